"""markdown-it set up to read the dump as Hugo's Goldmark did.

The dump was written for Goldmark (linkify, typographer, GitHub-style heading ids, footnotes,
raw HTML allowed); where markdown-it differs, the rules here follow Goldmark so imported posts
read exactly as they did on the static site.
"""

import re
import unicodedata

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from . import remnants
from .result import Heading


def to_html(markdown: str, env: dict) -> str:
    """Markdown to (unsanitized) HTML; the headings found are left in env["headings"]."""
    return _MD.render(markdown, env)


# --- Goldmark's linkify: bare URLs, www. addresses and e-mail addresses -----------------------

_URL_RE = re.compile(
    r"(?:https?|ftp)://[-a-zA-Z0-9@:%._+~#=]{1,256}\.[a-z]+(?::\d+)?"
    r"(?:[/#?][-a-zA-Z0-9@:%_+.~#$!?&/=();,'\">^{}\[\]`]*)?"
)
_WWW_RE = re.compile(r"www\.[-a-zA-Z0-9@:%._+~#=]{1,256}\.[a-z]+(?:[/#?][-a-zA-Z0-9@:%_+.~#!?&/=();,'\">^{}\[\]`]*)?")
_EMAIL_RE = re.compile(
    r"[-a-zA-Z0-9!#$%&'*+./=?^_`{|}~]+@"
    r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*"
)
_URL_PREFIXES = ("http:", "https:", "ftp:", "www.")
_LINKIFY_TRIGGERS = " \t("
_ASCII_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_TRAILING_PUNCT = frozenset("?!.,:*_~")


def _linkify(state: StateInline, silent: bool) -> bool:
    """Goldmark's linkify as an inline rule, so URLs are seen before emphasis splits them.

    Goldmark looks for a link right after whitespace or "(", and wherever an inline element
    (emphasis delimiter, tag, code span, typographic quote...) has just ended. Whitespace and
    "(" are extra terminator characters here; the plain text after them is consumed by this
    rule too, which keeps the extra stops cheap.
    """
    if silent or state.linkLevel > 0:
        return False
    src, pos = state.src, state.pos
    if src[pos] in _LINKIFY_TRIGGERS:
        start = pos + 1
    elif _after_inline_element(state):
        start = pos
    else:
        return False
    found = _match_link(src, start, state.posMax) if start < state.posMax else None
    if found and not _inside_link_label(state, pos):
        end, href = found
        state.pending += src[pos:start]
        _push_autolink(state, href, src[start:end])
        state.pos = end
        return True
    if start == pos:
        return False
    stop = state.md.inline.terminator_re.search(src, start)
    end = min(stop.start() if stop else state.posMax, state.posMax)
    state.pending += src[pos:end]
    state.pos = end
    return True


def _after_inline_element(state: StateInline) -> bool:
    """Whether `state.pos` starts the inline content or directly follows an element."""
    if state.pending:
        return False
    return not state.tokens or state.tokens[-1].type != "text_special"


def _match_link(src: str, start: int, limit: int) -> tuple[int, str] | None:
    """(end, href) of the link Goldmark would recognise at `start`, if any."""
    if src.startswith(_URL_PREFIXES, start):
        regex = _WWW_RE if src.startswith("www.", start) else _URL_RE
        match = regex.match(src, start, limit)
        if match:
            end = _trim_url(src, start, match.end())
            text = src[start:end]
            return end, ("https://" + text if regex is _WWW_RE else text)
    if src[start] in _ASCII_PUNCT:
        return None
    match = _EMAIL_RE.match(src, start, limit)
    if not match or "." not in src[src.index("@", start) : match.end() - 1]:
        return None
    end = match.end() - (src[match.end() - 1] == ".")
    if end < limit and src[end] in "-_":
        return None
    end = _trim_trailing(src, start, end)
    return end, "mailto:" + src[start:end]


def _trim_url(src: str, start: int, end: int) -> int:
    """Drop trailing punctuation, then unbalanced ")" or a trailing entity such as "&amp;"."""
    end = _trim_trailing(src, start, end)
    if src[end - 1] == ")":
        closing = src.count(")", start, end) - src.count("(", start, end)
        if closing > 0:
            end -= closing
    elif src[end - 1] == ";":
        i = end - 2
        while i >= start and src[i].isascii() and src[i].isalnum():
            i -= 1
        if i != end - 2 and src[i] == "&":
            end = i
    return end


def _trim_trailing(src: str, start: int, end: int) -> int:
    while end - 1 > start and src[end - 1] in _TRAILING_PUNCT:
        end -= 1
    return end


def _inside_link_label(state: StateInline, pos: int) -> bool:
    """Whether an unclosed `[` precedes `pos` (Goldmark does not linkify inside one).

    The scan resumes where the previous call stopped: a paragraph full of links stays linear.
    """
    scanned, depth = getattr(state, "vdwiki_brackets", (0, 0))
    if pos < scanned:
        scanned, depth = 0, 0
    src = state.src
    i = scanned
    while i < pos:
        char = src[i]
        if char == "\\":
            i += 1
        elif char == "[":
            depth += 1
        elif char == "]" and depth:
            depth -= 1
        i += 1
    state.vdwiki_brackets = (i, depth)
    return depth > 0


def _push_autolink(state: StateInline, href: str, text: str) -> None:
    token = state.push("link_open", "a", 1)
    token.attrs = {"href": state.md.normalizeLink(href)}
    token.markup = "linkify"
    token.info = "auto"
    token = state.push("text", "", 0)
    token.content = text
    token = state.push("link_close", "a", -1)
    token.markup = "linkify"
    token.info = "auto"


# --- Goldmark's typographer: dashes, ellipsis, angle quotes and smart quotes ------------------

_TYPOGRAPHER_CHARS = "'\"-.<>"
_LOOKAHEAD = 5
_ASCII_SPACE = " \t\n\v\f\r"


def _typographer(state: StateInline, silent: bool) -> bool:
    """Goldmark's typographer as an inline rule (it decides each quote where it stands)."""
    src, pos = state.src, state.pos
    char = src[pos]
    if char not in _TYPOGRAPHER_CHARS:
        return False
    # The rules look at most 5 characters ahead: reading further made a long line quadratic.
    ahead = min(pos + _LOOKAHEAD, state.posMax)
    newline = src.find("\n", pos, ahead)
    line = src[pos : newline + 1 if newline != -1 else ahead]
    replacement, length = _substitution(line, char)
    if replacement is None and char in "'\"":
        replacement, length = _quote(state, line, char, silent)
    if replacement is None:
        return False
    if not silent:
        state.push("text", "", 0).content = replacement
    state.pos += length
    return True


def _substitution(line: str, char: str) -> tuple[str | None, int]:
    if len(line) > 2 and char in "-." and line[1] == line[2] == char:
        return ("\u2014" if char == "-" else "\u2026"), 3
    if len(line) > 1 and char in "<>-" and line[1] == char:
        return {"<": "\u00ab", ">": "\u00bb", "-": "\u2013"}[char], 2
    return None, 0


def _quote(state: StateInline, line: str, char: str, silent: bool) -> tuple[str | None, int]:
    before = state.src[state.pos - 1] if state.pos else "\n"
    after = line[1] if len(line) > 1 else " "
    can_open = not after.isspace() and (not _is_punct(after) or before.isspace() or _is_punct(before))
    can_close = not before.isspace() and (not _is_punct(before) or after.isspace() or _is_punct(after))
    if not can_open and not can_close:
        return None, 0
    counts = _open_quotes(state)
    if char == "'":
        if _is_apostrophe(line, before, can_open, can_close):
            return "\u2019", 1
        if can_open and not can_close:
            if _is_contraction(line):
                return "\u2019", 1
            _count(counts, char, 1, silent)
            return "\u2018", 1
        if len(line) > 2 and not line[1].isdecimal():
            return "\u2019", 1
    elif can_open and not can_close:
        _count(counts, char, 1, silent)
        return "\u201c", 1
    if counts[char] > 0 and _closes(line, can_open, can_close):
        if char == '"' and len(line) > 1 and line[1] == '"' and before.isdecimal():
            return None, 0
        _count(counts, char, -1, silent)
        return ("\u2019" if char == "'" else "\u201d"), 1
    return None, 0


def _open_quotes(state: StateInline) -> dict[str, int]:
    """Quotes opened so far in this block (markdown-it parses each block with its own state)."""
    counts = getattr(state, "vdwiki_open_quotes", None)
    if counts is None:
        counts = state.vdwiki_open_quotes = {"'": 0, '"': 0}
    return counts


def _is_apostrophe(line: str, before: str, can_open: bool, can_close: bool) -> bool:
    """'90s, 'twas/'em/'net/'ll and it's: an apostrophe, not an opening quote."""
    if can_open and not can_close and _is_decade(line):
        return True
    if len(line) > 1 and (_is_unicode_punct(before) or before.isspace()) and line[1] in "tenl":
        return True
    return len(line) > 1 and (before.isdecimal() or before.isalpha()) and line[1].isalpha()


def _is_decade(line: str) -> bool:
    """'90s: two ASCII digits and an "s", then a break."""
    if len(line) < 4 or not (line[1:3].isascii() and line[1:3].isdigit()) or line[3] != "s":
        return False
    return len(line) == 4 or line[4].isspace() or _is_punct(line[4])


def _is_contraction(line: str) -> bool:
    """'s, 'm, 't, 'd, 've, 'll, 're followed by a break (Alice's, I'm, I've)."""
    if len(line) > 1 and line[1] in "smtd" and (len(line) < 3 or _is_ascii_break(line[2])):
        return True
    return len(line) > 2 and line[1:3] in ("ve", "ll", "re") and (len(line) < 4 or _is_ascii_break(line[3]))


def _closes(line: str, can_open: bool, can_close: bool) -> bool:
    if can_close and not can_open:
        return True
    return (
        can_close
        and can_open
        and len(line) > 1
        and _is_unicode_punct(line[1])
        and (len(line) == 2 or _is_ascii_break(line[2]))
    )


def _count(counts: dict[str, int], char: str, step: int, silent: bool) -> None:
    if not silent:
        counts[char] += step


def _is_punct(char: str) -> bool:
    return unicodedata.category(char)[0] in "PS"


def _is_unicode_punct(char: str) -> bool:
    return unicodedata.category(char)[0] == "P"


def _is_ascii_break(char: str) -> bool:
    return char in _ASCII_PUNCT or char in _ASCII_SPACE


# --- Heading anchors, as Hugo computes them ----------------------------------------------------


def _heading_anchors(state: StateCore) -> None:
    """Give every heading a unique id and collect the headings for the table of contents.

    Ids are Hugo's, so old `#fragment` links keep working. Hugo leaves a heading whose id text
    is empty without an id; those get one too, after the others, so no Hugo id shifts.
    """
    tokens = state.tokens
    opens = [index for index, token in enumerate(tokens) if token.type == "heading_open"]
    sources = {index: _id_source(tokens[index + 1].children or []) for index in opens}
    used: set[str] = set()
    numbers: dict[str, int] = {}
    for index in sorted(opens, key=lambda index: not sources[index]):
        tokens[index].attrSet("id", _unique(_slug(sources[index]), used, numbers))
    state.env["headings"] = [
        Heading(int(tokens[index].tag[1]), _plain_text(tokens[index + 1].children or []), tokens[index].attrGet("id"))
        for index in opens
    ]


def _plain_text(children: list[Token]) -> str:
    parts = []
    for token in children:
        if token.type in ("text", "text_special", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return " ".join("".join(parts).replace(remnants.TOC_PLACEHOLDER, "").split())


def _id_source(children: list[Token]) -> str:
    """The text Hugo derives a heading id from.

    Hugo reads the heading's last source line and, for emphasis, links and images, only their
    first child; raw HTML and autolinks contribute nothing, numeric character references count
    as written.
    """
    breaks = [i for i, token in enumerate(children) if token.type in ("softbreak", "hardbreak")]
    first = breaks[-1] + 1 if breaks else 0
    parts = []
    depth = 0
    for index, token in enumerate(children):
        if depth == 0 and index >= first:
            parts.append(_node_text(children, index))
        depth += token.nesting
    return "".join(parts).replace(remnants.TOC_PLACEHOLDER, "").strip(" \t\n")


def _node_text(children: list[Token], index: int) -> str:
    token = children[index]
    if token.type in ("text", "code_inline"):
        return token.content
    if token.type == "text_special":
        is_numeric_reference = token.info == "entity" and token.markup.startswith("&#")
        return token.markup if is_numeric_reference else token.content
    if token.type == "image":
        return _node_text(token.children, 0) if token.children else ""
    if token.nesting == 1 and token.info != "auto" and index + 1 < len(children):
        return "" if children[index + 1].nesting == -1 else _node_text(children, index + 1)
    return ""


def _slug(text: str) -> str:
    out = []
    for char in text:
        if char in "- ":
            out.append("-")
        elif char == "_" or char.isalpha() or char.isdecimal():
            out.append(char.lower())
    return "".join(out) or "heading"


def _unique(slug: str, used: set[str], numbers: dict[str, int]) -> str:
    """`slug`, or Hugo's first free `slug-N`. The search for a slug resumes at the N last given
    to it (the ids below it stay taken), so a thousand equal headings take a thousand steps."""
    anchor = slug
    number = numbers.get(slug, 0)
    if number:
        anchor = f"{slug}-{number}"
    while anchor in used:
        number += 1
        anchor = f"{slug}-{number}"
    numbers[slug] = number
    used.add(anchor)
    return anchor


# --- Footnotes and strikethrough, marked up as Goldmark does ----------------------------------


def _footnote_number(token: Token) -> int:
    return token.meta["id"] + 1


def _render_footnote_ref(self, tokens, idx, options, env) -> str:
    number = _footnote_number(tokens[idx])
    sub = tokens[idx].meta.get("subId", 0)
    ref_id = f"fnref{sub if sub else ''}:{number}"
    return f'<sup id="{ref_id}"><a href="#fn:{number}" class="footnote-ref" role="doc-noteref">{number}</a></sup>'


def _render_footnote_anchor(self, tokens, idx, options, env) -> str:
    number = _footnote_number(tokens[idx])
    return f'&#160;<a href="#fnref:{number}" class="footnote-backref" role="doc-backlink">&#x21a9;&#xfe0e;</a>'


_GOLDMARK_RENDER_RULES = {
    "footnote_ref": _render_footnote_ref,
    "footnote_anchor": _render_footnote_anchor,
    "footnote_block_open": lambda *a: '<div class="footnotes" role="doc-endnotes">\n<hr>\n<ol>\n',
    "footnote_block_close": lambda *a: "</ol>\n</div>\n",
    "footnote_open": lambda self, tokens, idx, *a: f'<li id="fn:{_footnote_number(tokens[idx])}">\n',
    "footnote_close": lambda *a: "</li>\n",
    "s_open": lambda *a: "<del>",
    "s_close": lambda *a: "</del>",
}


def _build_markdown(*, linkify: bool) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "strikethrough_single_tilde": True})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin, inline=False)
    for name, rule in _GOLDMARK_RENDER_RULES.items():
        md.add_render_rule(name, rule)
    for char in _TYPOGRAPHER_CHARS + (_LINKIFY_TRIGGERS if linkify else ""):
        md.inline.add_terminator_char(char)
    if linkify:
        md.inline.ruler.before("text", "goldmark_linkify", _linkify)
        md.core.ruler.at("inline", _parse_inline)
    md.inline.ruler.push("goldmark_typographer", _typographer)
    md.core.ruler.before("text_join", "heading_anchors", _heading_anchors)
    return md


def _parse_inline(state) -> None:
    """markdown-it's core "inline" step, with a parser that skips linkify where no link can be.

    The linkify rule stops at every space; most paragraphs hold no URL, www. or e-mail address,
    and for them the parser without it gives the same tokens in a fraction of the time.
    """
    for token in state.tokens:
        if token.type == "inline":
            if token.children is None:
                token.children = []
            could_link = any(marker in token.content for marker in _LINK_MARKERS)
            md = state.md if could_link else _PLAIN_MD
            md.inline.parse(token.content, md, state.env, token.children)


_LINK_MARKERS = ("://", "www.", "@")
_PLAIN_MD = _build_markdown(linkify=False)
_MD = _build_markdown(linkify=True)
