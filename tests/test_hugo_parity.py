"""Every corpus post reads as it did on the Hugo site the legacy dump came from.

Hugo (Goldmark, raw HTML allowed) renders the whole corpus once; for each post the visible text,
the set of link targets, the list of image sources and the heading ids must equal those of
`render()`, after the documented canonicalisations below: typographic punctuation as ASCII, the
wiki remnants the renderer converts taken out of Hugo's text, and old link forms mapped as the
renderer maps them.
"""

import difflib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nh3
import pytest
from bs4 import BeautifulSoup, Comment

from posts.rendering import render

pytestmark = pytest.mark.hugo

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
SITE_SKELETON = Path(__file__).resolve().parent / "hugo_site"
POST_FILES = sorted([*CORPUS.glob("posts/*.md"), *CORPUS.glob("seed/*.md")])

# fmt: off
HTML_TAGS = {
    "a", "abbr", "address", "article", "aside", "b", "bdi", "bdo", "blockquote", "br", "caption",
    "center", "cite", "code", "col", "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt",
    "em", "figcaption", "figure", "font", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hr", "i", "img", "ins", "kbd", "li", "main", "mark", "nav", "ol", "p", "pre", "q", "s",
    "samp", "section", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "time", "tr", "u", "ul", "var", "wbr",
}
BLOCK_TAGS = [
    "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "table",
    "thead", "tbody", "tr", "td", "th", "caption", "blockquote", "pre", "hr", "br", "img", "nav",
    "section", "figure", "figcaption", "details", "summary",
]
# fmt: on
HEADING_TAGS = ["h1", "h2", "h3", "h4", "h5", "h6"]
INVISIBLE_TAGS = ["script", "style", "title", "template", "head"]
TYPOGRAPHY = {
    "\u201c": '"',
    "\u201d": '"',
    "\u2018": "'",
    "\u2019": "'",
    "\u2013": "--",
    "\u2014": "---",
    "\u2026": "...",
    "\u00ab": "<<",
    "\u00bb": ">>",
    "\u00a0": " ",
}
TYPOGRAPHY_RE = re.compile("|".join(TYPOGRAPHY))

# Goldmark cannot parse `((Page|text))`: the `|` even splits table cells and drops a column.
# Hugo is given the Markdown link the renderer makes of it, so the href is compared as well.
WIKI_LINK_RE = re.compile(r"\(\(([^()\n<>\"]+?)\)\)")
# Pasted MS-Word conditional comments contain blank lines, so Markdown splits them and escapes
# their `-->`: the unclosed `<!--` left behind hid the rest of the post from browsers. The renderer
# drops these comments before parsing; Hugo is given the body without them too.
CONDITIONAL_COMMENT_RE = re.compile(r"<!--\[if [^\]]*\]>.*?<!\[endif\]-->", re.DOTALL)
# Wiki plugin tags the renderer turns into markup; in Hugo's output they are literal text.
WIKI_TAG_RE = re.compile(r"\{(?:FONT|BOX|DIV|IMG|ATTACH)(?:\([^)]*\))?\}?")
# `~~#00F:text~~` is strikethrough to Goldmark; the renderer colours the text instead.
COLOUR_PREFIX_RE = re.compile(r"^\s*#[0-9A-Fa-f]{3}(?:[0-9A-Fa-f]{3})?:")
UNSAFE_SCHEME_RE = re.compile(r"^\s*(?!https?:|mailto:)[a-zA-Z][a-zA-Z0-9+.-]*:")
OLD_HOST_RE = re.compile(r"^https?://(?:www\.)?vitamindwiki\.com(?=[/?#]|$)", re.IGNORECASE)


def split_front_matter(text: str) -> str:
    """The body: everything after the dump's JSON front matter object."""
    _, end = json.JSONDecoder().raw_decode(text)
    return text[end:]


def post_key(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def goldmark_input(body: str) -> str:
    def markdown_link(match: re.Match[str]) -> str:
        page, _, text = match.group(1).partition("|")
        return f"[{text.strip() or page.strip()}](/{'+'.join(page.split())})"

    return WIKI_LINK_RE.sub(markdown_link, CONDITIONAL_COMMENT_RE.sub("", body))


def hugo_binary() -> Path:
    return Path(sys.executable).parent / "hugo"


@pytest.fixture(scope="module")
def hugo_pages(tmp_path_factory) -> dict[str, str]:
    """The rendered body of every corpus post, keyed by `posts/<file>` or `seed/<file>`."""
    site = tmp_path_factory.mktemp("hugo")
    shutil.copytree(SITE_SKELETON, site, dirs_exist_ok=True)
    for path in POST_FILES:
        target = site / "content" / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        body = split_front_matter(path.read_text(encoding="utf-8"))
        target.write_text(json.dumps({"title": path.stem}) + "\n" + goldmark_input(body), encoding="utf-8")
    command = [str(hugo_binary()), "--quiet", "--source", str(site), "--cacheDir", str(site / ".cache")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    pages = {}
    for page in (site / "public").rglob("index.html"):
        main = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").find("main", id="post-body")
        if main is not None:
            pages[main["data-file"]] = main.decode_contents()
    return pages


def as_browser_parses(html: str) -> BeautifulSoup:
    """Hugo's raw output as an HTML5 parser (a browser) reads it.

    Pasted MS-Word markup leaves tags with unbalanced quotes that Python's lenient html.parser
    reads differently from a browser. html5ever, through nh3 with every ordinary tag allowed,
    gives the browser's reading; the renderer's own output is already html5ever-serialised.
    """
    normalised = nh3.clean(
        html,
        tags=HTML_TAGS,
        clean_content_tags=set(INVISIBLE_TAGS),
        attributes={"*": {"id", "href", "src"}},
        url_schemes={"http", "https", "mailto", "ftp", "doi", "tel", "file", "data"},
        link_rel=None,
    )
    return BeautifulSoup(normalised, "html.parser")


def visible_text(soup: BeautifulSoup) -> str:
    for element in soup.find_all(INVISIBLE_TAGS):
        element.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for element in soup.find_all(BLOCK_TAGS):
        element.insert_before(" ")
        element.insert_after(" ")
    text = TYPOGRAPHY_RE.sub(lambda m: TYPOGRAPHY[m.group(0)], soup.get_text())
    return " ".join(text.split())


def hugo_visible_text(soup: BeautifulSoup) -> str:
    for strike in soup.find_all("del"):
        first = strike.find(string=True)
        if first is not None and COLOUR_PREFIX_RE.match(first):
            first.replace_with(COLOUR_PREFIX_RE.sub("", first))
            strike.unwrap()
    return " ".join(WIKI_TAG_RE.sub(" ", visible_text(soup)).split())


def hrefs(soup: BeautifulSoup) -> set[str]:
    return {a["href"] for a in soup.find_all("a", href=True)}


def allowed_hrefs(soup: BeautifulSoup) -> set[str]:
    """Hugo's link targets minus those the sanitizer refuses (`doi:...`): only http(s), mailto."""
    return {href for href in hrefs(soup) if not UNSAFE_SCHEME_RE.match(href)}


def canonical_href(href: str) -> str:
    """Old link forms as the site serves them now (the renderer's documented rewriting)."""
    relative = OLD_HOST_RE.sub("", href)
    if relative != href and not relative.startswith("/"):
        relative = "/" + relative
    path, rest = re.match(r"([^?#]*)(.*)", relative, re.DOTALL).groups()
    path = re.sub(r"^/posts/([^/]+)$", r"/posts/\1/", path)
    path = re.sub(r"^/tags/([^/]+)\.html$", r"/tags/\1/", path)
    path = re.sub(r"^/categories/([^/]+)$", r"/categories/\1/", path)
    return path + rest


def image_sources(soup: BeautifulSoup) -> list[str]:
    return [img["src"] for img in soup.find_all("img", src=True)]


def heading_ids(soup: BeautifulSoup) -> list[str | None]:
    return [heading.get("id") for heading in soup.find_all(HEADING_TAGS)]


def first_difference(ours: str, theirs: str) -> str:
    matcher = difflib.SequenceMatcher(None, ours.split(), theirs.split(), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            words_ours, words_theirs = ours.split(), theirs.split()
            return (
                f"ours:  ...{' '.join(words_ours[max(i1 - 8, 0) : i2 + 8])}...\n"
                f"hugo:  ...{' '.join(words_theirs[max(j1 - 8, 0) : j2 + 8])}..."
            )
    return ""


def test_hugo_renders_every_corpus_post(hugo_pages):
    assert len(POST_FILES) > 100
    assert set(hugo_pages) == {post_key(path) for path in POST_FILES}


@pytest.mark.parametrize("path", POST_FILES, ids=post_key)
def test_post_renders_like_hugo(path, hugo_pages):
    body = split_front_matter(path.read_text(encoding="utf-8"))
    ours = BeautifulSoup(render(body).html, "html.parser")
    theirs = as_browser_parses(hugo_pages[post_key(path)])

    assert image_sources(ours) == image_sources(theirs)
    # Old `#fragment` links must keep working. Hugo leaves a heading whose id text is empty
    # without an id, where the renderer gives every heading one: only Hugo's ids are compared.
    id_pairs = list(zip(heading_ids(ours), heading_ids(theirs), strict=True))
    assert [(id_ours, id_theirs) for id_ours, id_theirs in id_pairs if id_theirs and id_ours != id_theirs] == []
    assert hrefs(ours) == {canonical_href(href) for href in allowed_hrefs(theirs)}
    text_ours, text_theirs = visible_text(ours), hugo_visible_text(theirs)
    assert text_ours == text_theirs, first_difference(text_ours, text_theirs)
