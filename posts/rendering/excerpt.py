"""A post's excerpt for lists, feeds and meta descriptions: the first sentences of its prose.

Most imported posts open with the citation of the study they report: its title, the journal line
("Nutrients 2024, 16, 1754."), a DOI, the authors with their affiliation numbers, the
affiliations, "Received … Accepted" dates, a "Download the PDF" link, images. None of that reads
as an excerpt, and the plain text of a body cannot tell it from prose, so the excerpt is taken
from the sanitized HTML, block by block (paragraphs, list items, headings, cells): it starts at
the first block of prose and ends at a sentence (or a word, with an ellipsis) within the length.
Pure and cheap: it reads the HTML only as far as it needs.
"""

import html
import re
from collections.abc import Callable, Iterator
from functools import cached_property
from itertools import islice

EXCERPT_LENGTH = 300  # Post.summary holds 300 characters
SHORTEST_SENTENCE_CUT = 100  # below it, a cut at a word keeps more of what the post says
MIN_PROSE_CHARS = 40
MAX_BLOCKS = 500  # prose further into a body does not open it; its first lines do better
MAX_HTML_CHARS = 100_000  # the opening of a body that is read
MAX_BLOCK_CHARS = 2000  # the opening of a block that is read, HTML: what a summary can hold, and more
MIN_UNPUNCTUATED_WORDS = 12  # a line without a full stop needs this many words to read as prose
MAX_LOWERCASE_SHARE = 0.4  # author lists, journal lines, titles: mostly capitals and numbers
SHARE_WORDS = 25  # the words of a block that tell its kind
LONG_BLOCK_WORDS = 40  # a study's title or a citation's line is shorter
CITATION_WORDS = 30  # a citation's line is shorter; a paragraph of prose may cite in passing

_TAG_RE = re.compile(r"<[^>]*>")  # the sanitizer escapes "<" and ">" in text and attributes
# A run of tags that start or end blocks, with the whitespace after each. It starts with "<"
# outside any group, which lets the regex engine skip to the next "<" (100 times faster in a
# long paragraph).
_BLOCK_TAG = (
    r"/?(?:p|li|dt|dd|div|blockquote|h[1-6]|td|th|tr|ul|ol|dl|table|thead|tbody|tfoot|caption|figure|figcaption|"
    r"nav|pre|section|article|aside|header|footer|details|summary|hr|br)(?=[\s/>])[^>]*>\s*"
)
_BLOCK_TAGS_RE = re.compile(f"<{_BLOCK_TAG}(?:<{_BLOCK_TAG})*")
# Containers whose text is never an excerpt: headings, tables (of contents), code, captions, notes.
_NOT_PROSE_TAG_RE = re.compile(r"<(/?)(?:h[1-6]|nav|table|pre|figcaption|summary|caption)(?=[\s/>])")
_NOTE_MARK_RE = re.compile(r'<sup id="fnref[^>]*>.*?</sup>')
_LINK_RE = re.compile(r"<a\b[^>]*>(.*?)</a>", re.DOTALL)

_URL_START_RE = re.compile(r"^\W*(https?:|www\.|doi\b|10\.\d{4,}/|pmid\b|pii\b)", re.IGNORECASE)
_REFERENCE_RE = re.compile(r"https?:|www\.|\bdoi\b|\b10\.\d{4,}/|\bpmid\b|\bpii\b|@\w+\.\w", re.IGNORECASE)
_CITATION_LINE_RE = re.compile(
    r"^\W*(received|accepted|revised|published|first published|available online|epub|e-pub|"
    r"article first published|copyright|©|keywords?|pmid|citation|cite this|download|click|"
    r"see also|read more|full text|free full text|(the )?pdf\b|attached|attachment|"
    r"(portions of this .{0,40})?presented (as|at)\b|updated?\b|"
    r"\d+\s*(studies|items|articles) (are )?(on|in) this page)",
    re.IGNORECASE,
)
_PUBLICATION_RE = re.compile(
    r"\b(preprint|(first )?(published|posted|available) online|ahead of print|in press)\b", re.IGNORECASE
)
_YEAR_RE = re.compile(r"\b(1[89]|20)\d\d\b")
_LEADING_JUNK_RE = re.compile(r"^[\s.…:;,\-–—*•·|\[\]>_#]+")
_ABSTRACT_LABEL_RE = re.compile(
    r"^(?i:abstract|background|introduction|objectives?|aims?|purpose|context|importance|rationale|summary)"
    r"(?i:\s+and\s+(?:objectives?|aims?|purpose))?(?:\s*[:.?]\s+|\s+(?=[A-Z]))"
)
# Words a title or an author list writes in lower case: left out when counting capitals.
# fmt: off
_SMALL_WORDS = frozenset({
    "a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or", "the", "to",
    "with", "vs", "via", "de", "del", "della", "der", "di", "da", "du", "des", "la", "le", "van",
    "von", "den", "ten", "ter", "y", "e", "et", "al", "bin", "ibn",
})
_SENTENCE_END_RE = re.compile(r"""[.!?…]["'”’)\]]*(?=\s+["'“‘(\[]?[A-Z0-9À-ÖØ-Þ])|[。！？]""")
_ABBREVIATIONS = frozenset({
    "dr", "mr", "mrs", "ms", "prof", "st", "vs", "etc", "fig", "figs", "no", "vol", "nos",
    "approx", "ca", "cf", "eg", "ie", "al", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "inc", "ltd", "co", "jr", "sr", "ph",
})
# fmt: on
_WORD_PUNCTUATION = "()[]{}\"'“”‘’.,;:!?*+†‡§¶#©®-–—"
# "**Objective:", "text__": emphasis marks the legacy Markdown left unclosed, shown as typed.
_STRAY_EMPHASIS_RE = re.compile(r"(?<!\S)[*_]{2,}|[*_]{2,}(?!\S)")
_TRAILING_RE = re.compile(r"[\s,;:.\-–—(\[/]+$")


class _Block:
    """A paragraph, list item, heading, cell... of a body, as text, with what is known of it
    once asked (a block is looked at up to four times: to start, follow, or tell a title)."""

    def __init__(self, text: str, linked: int, prose_container: bool):
        self.text = text
        self.linked = linked  # characters of `text` inside links
        self.prose_container = prose_container  # not in a heading, table, code, caption...

    @cached_property
    def words(self) -> list[str]:
        """Its first words, enough to count them up to the thresholds."""
        return self.text.split(None, LONG_BLOCK_WORDS)

    @cached_property
    def is_linked(self) -> bool:
        return self.linked * 2 >= len(self.text)

    @cached_property
    def lowercase_share(self) -> float:
        return _lowercase_share(self.words[:SHARE_WORDS])

    @cached_property
    def is_citation(self) -> bool:
        """A URL or DOI, a line of a citation or of a page's furniture ("Download the PDF"), or
        a line of mostly capitals and numbers: a title, a journal line, names, affiliations."""
        text = self.text
        if _URL_START_RE.match(text):
            return True
        if len(self.words) < CITATION_WORDS and (
            _CITATION_LINE_RE.match(text) or _REFERENCE_RE.search(text) or _PUBLICATION_RE.search(text)
        ):
            return True
        return self.lowercase_share < MAX_LOWERCASE_SHARE

    @cached_property
    def is_journal_line(self) -> bool:
        return len(self.words) < CITATION_WORDS and bool(_YEAR_RE.search(self.text)) and self.lowercase_share < 0.5


def excerpt(body_html: str, length: int = EXCERPT_LENGTH) -> str:
    """The first sentences of prose of a sanitized body, at most `length` characters.

    A block of prose is a paragraph or list item of running text: not a heading, table, caption,
    code or table of contents; not mostly links; not a citation (URL, DOI, journal line,
    author list, affiliations, dates of publication, "Download the PDF"); not a short fragment.
    Blocks that follow the first one continue the excerpt, up to the first citation or link.
    A body without prose (in its first blocks) falls back to its first lines that are not
    citations, headings and list items included; a body without those has no excerpt ("").
    """
    blocks = _Blocks(body_html)
    text = _opening(blocks, _is_prose, length) or _opening(blocks, _is_plain_line, length)
    text = _ABSTRACT_LABEL_RE.sub("", _LEADING_JUNK_RE.sub("", text), count=1)
    return _cut(text, length)


class _Blocks:
    """The blocks of a body, read from its HTML as far as they are asked for."""

    def __init__(self, body_html: str):
        self._source = _read_blocks(body_html)
        self._read: list[_Block] = []

    def __getitem__(self, index: int) -> _Block | None:
        while len(self._read) <= index:
            block = next(self._source, None)
            if block is None:
                return None
            self._read.append(block)
        return self._read[index]

    def __iter__(self) -> Iterator[_Block]:
        index = 0
        while (block := self[index]) is not None:
            yield block
            index += 1


def _opening(blocks: "_Blocks", starts: Callable[[_Block], bool], length: int) -> str:
    """The text from the first block that `starts` an excerpt, with the blocks that continue it."""
    for index, block in enumerate(islice(blocks, MAX_BLOCKS)):
        if not starts(block) or _is_title_over_citation(block, blocks[index + 1], blocks[index + 2]):
            continue
        parts = [block.text]
        while sum(map(len, parts)) <= length:
            following = blocks[index + len(parts)]
            if following is None or not _continues(following):
                break
            parts.append(following.text)
        return _join(parts)
    return ""


def _is_prose(block: _Block) -> bool:
    if not block.prose_container or len(block.text) < MIN_PROSE_CHARS or block.is_linked or block.is_citation:
        return False
    return len(block.words) >= MIN_UNPUNCTUATED_WORDS or bool(_SENTENCE_END_RE.search(block.text + " A"))


def _continues(block: _Block) -> bool:
    """Whether a block may follow prose in an excerpt: any text but citations and links."""
    return not block.is_linked and not block.is_citation


def _is_title_over_citation(block: _Block, *following: _Block | None) -> bool:
    """A study's title in a paragraph of its own reads like a sentence; the citation under it
    (a journal line, or a line with its DOI) tells it apart."""
    if len(block.words) >= LONG_BLOCK_WORDS:
        return False
    after = [block for block in following if block is not None]
    return bool(after) and (
        after[0].is_journal_line or any(block.is_citation and _REFERENCE_RE.search(block.text) for block in after)
    )


def _is_plain_line(block: _Block) -> bool:
    """A line for an excerpt of a body without prose: a title or a heading will do, a citation,
    a link or a list of names will not."""
    text = block.text
    return (
        (len(block.words) >= 4 or not block.is_citation)  # "Changed words", not "Carsten Carlberg"
        and not block.is_linked
        and not any(pattern.search(text) for pattern in (_URL_START_RE, _CITATION_LINE_RE, _REFERENCE_RE))
        and not block.is_journal_line
        and (not block.is_citation or not _is_name_list(text))
    )


def _is_name_list(text: str) -> bool:
    """Names between commas ("Marco Occhiuto 1,+ , Jessica Pepe 1", "Knight JA, Wong J")."""
    names = [name for name in re.split(r",|;|\band\b|&", text) if re.search(r"[^\W\d_]", name)]
    return len(names) >= 2 and all(len(name.split()) <= 5 for name in names)


def _lowercase_share(words: list[str]) -> float:
    """The share of the first words of a text that start with a lower-case letter, leaving out
    the small words titles write in lower case and words in capitals (emphasis, acronyms);
    1.0 for a text in a script without case."""
    counted = lowercase = 0
    for word in words[:SHARE_WORDS]:
        letters = word.strip(_WORD_PUNCTUATION)
        if not letters:
            continue
        first = letters[0]
        if first.islower():
            if letters not in _SMALL_WORDS:
                counted += 1
                lowercase += 1
        elif first.isupper():
            if letters.lower() not in _SMALL_WORDS and not _is_in_capitals(letters):
                counted += 1
        elif first.isalpha():
            return lowercase / counted if counted else 1.0
        else:
            counted += 1  # a number
    return lowercase / counted if counted else 0.0


def _is_in_capitals(word: str) -> bool:
    """ "ONLY", "COVID-19"; not "维生素D", whose other letters have no case."""
    return (
        len(word) > 1
        and word.isupper()
        and (word.isascii() or all(char.isupper() for char in word[:40] if char.isalpha()))
    )


def _join(parts: list[str]) -> str:
    joined = ""
    for part in parts:
        if joined and not re.search(r"[.!?…:;,。！？]$", joined):
            joined += " —"
        joined = f"{joined} {part}" if joined else part
    return joined


def _cut(text: str, length: int) -> str:
    """`text` within `length` characters: whole if it fits, else up to its last sentence end
    (when that keeps enough), else at a word, with an ellipsis."""
    if len(text) <= length:
        return text
    sentence_end = 0
    for match in _SENTENCE_END_RE.finditer(text, 0, length):
        if match.end() <= length and not _ends_abbreviation(text, match.start()):
            sentence_end = match.end()
    if sentence_end >= SHORTEST_SENTENCE_CUT:
        return text[:sentence_end]
    head = text[: length - 1]
    at_word = text[length - 1].isspace() or " " not in head[length // 2 :]  # else a script without spaces
    return _TRAILING_RE.sub("", head if at_word else head.rsplit(" ", 1)[0]) + "…"


def _ends_abbreviation(text: str, period: int) -> bool:
    """Whether the full stop at `period` ends an abbreviation or an initial ("Dr.", "J.", "U.S.")."""
    if text[period] != ".":
        return False
    word = text[:period].rsplit(None, 1)[-1] if text[:period].strip() else ""
    word = word.lstrip("([\"'“‘")
    return len(word) <= 1 or "." in word or word.lower() in _ABBREVIATIONS


def _read_blocks(body_html: str) -> Iterator[_Block]:
    """The blocks of text of a sanitized body, in order, each read when it is asked for: the
    text between runs of block tags. Only the opening of the body and of each block is read: an
    excerpt needs no more, and a hostile body (200,000 characters in one paragraph, a hundred
    nested divs around each word) costs no more than a post."""
    end = min(len(body_html), MAX_HTML_CHARS)
    not_prose = 0
    position = 0
    for tags in _BLOCK_TAGS_RE.finditer(body_html, 0, end):
        if position < tags.start():
            block = _block(body_html[position : tags.start()], prose_container=not not_prose)
            if block.text:
                yield block
        position = tags.end()
        if 'class="footnotes"' in tags.group():
            return  # the notes, at the end of the body
        for tag in _NOT_PROSE_TAG_RE.finditer(tags.group()):
            not_prose = max(0, not_prose + (-1 if tag.group(1) else 1))
    block = _block(body_html[position:end], prose_container=not not_prose)
    if block.text:
        yield block


def _block(raw: str, *, prose_container: bool) -> _Block:
    raw = raw[:MAX_BLOCK_CHARS]
    if raw.rfind("<") > raw.rfind(">"):  # cut inside a tag: at the block's or the body's read limit
        raw = raw[: raw.rfind("<")]
    if "<" not in raw:
        return _Block(_text(raw), 0, prose_container)
    if "fnref" in raw:
        raw = _NOTE_MARK_RE.sub("", raw)
    linked = sum(len(_text(link)) for link in _LINK_RE.findall(raw)) if "<a " in raw else 0
    return _Block(_text(_TAG_RE.sub("", raw)), linked, prose_container)


def _text(raw: str) -> str:
    text = html.unescape(raw if "<" not in raw else _TAG_RE.sub("", raw))
    if "**" in text or "__" in text:
        text = _STRAY_EMPHASIS_RE.sub("", text)
    return " ".join(text.split())
