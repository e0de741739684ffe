"""The allowlist sanitizer, with legacy links and attachments rewritten in the same pass, and feeds' links
made absolute in another."""

import re
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from urllib.parse import unquote, urljoin

import nh3

from .cdn import LEGACY_HOSTS


def sanitize(html: str, attachments: Mapping[str, str]) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """Clean `html`; return it with the site-internal links and the legacy attachment URLs it holds.

    `attachments` maps legacy CDN attachment URLs to the URLs they are served from now.
    """
    collector = _Collector(attachments)
    token = _collector.set(collector)
    try:
        clean = _CLEANER.clean(html)
    finally:
        _collector.reset(token)
    return clean, tuple(dict.fromkeys(collector.links)), tuple(dict.fromkeys(collector.attachment_urls))


def absolute_urls(html: str, base: str) -> str:
    """Sanitized `html` with its links and image sources resolved against `base`, for a feed,
    which has no page around it. The HTML is parsed as a browser would and sanitized again."""
    token = _feed_base.set(base)
    try:
        return _FEED_CLEANER.clean(html)
    finally:
        _feed_base.reset(token)


_CDN_RE = re.compile(
    rf"https?://(?:{'|'.join(map(re.escape, sorted(LEGACY_HOSTS)))})/attachments/[^/?#]+/[^?#]+", re.IGNORECASE
)
_LEGACY_HOST_RE = re.compile(r"(?:https?:)?//(?:www\.)?vitamindwiki\.com(?::\d+)?(?=[/?#]|$)", re.IGNORECASE)
_PATH_RULES = (
    (re.compile(r"(/posts/[^/?#]+)"), r"\1/"),
    (re.compile(r"/tags/([^/?#]+)\.html"), r"/tags/\1/"),
    (re.compile(r"(/categories/[^/?#]+)"), r"\1/"),
)
_PATH_SPLIT_RE = re.compile(r"([^?#]*)(.*)", re.DOTALL)
_RED_LINK_TITLE = "This post/category does not exist yet"
# Ids of the page around a post body; a post must not be able to forge or clobber them.
RESERVED_IDS = frozenset({"main", "post-body"})
_UNSAFE_CSS = ("expression", "url(", "javascript", "vbscript", "behavior", "binding", "@import", "\\", "/*")


@dataclass
class _Collector:
    attachments: Mapping[str, str]
    links: list[str] = field(default_factory=list)
    attachment_urls: list[str] = field(default_factory=list)


_collector: ContextVar[_Collector] = ContextVar("rendering_collector")
_feed_base: ContextVar[str] = ContextVar("feed_base")


def _filter_attribute(tag: str, name: str, value: str) -> str | None:
    if name == "id" and value in RESERVED_IDS:
        return None
    if name == "href" or (name == "src" and tag == "img"):
        return _rewrite_url(value, is_link=name == "href")
    if name == "title" and value.startswith(_RED_LINK_TITLE):
        return None
    if name == "style":
        return _clean_style(tag, value)
    return value


def _rewrite_url(url: str, *, is_link: bool) -> str:
    collector = _collector.get()
    url = url.strip()
    if _CDN_RE.fullmatch(url):
        collector.attachment_urls.append(url)
        return _mapped_attachment(url, collector.attachments)
    if is_link:
        url = canonical_href(url)
        if url.startswith("/") and not url.startswith("//"):
            collector.links.append(url)
    return url


def _mapped_attachment(url: str, attachments: Mapping[str, str]) -> str:
    _, _, rest = url.partition("://")
    # markdown-it percent-encodes a Markdown image's URL ("café.jpg" -> "caf%C3%A9.jpg"); the
    # dump's text, and so the mapping's keys, have it as written.
    keys = (url, "https://" + rest, "http://" + rest)
    for key in dict.fromkeys([*keys, *map(unquote, keys)]):
        mapped = attachments.get(key)
        if mapped and mapped.startswith(("https://", "http://", "/")):
            return mapped
    return url


def canonical_href(url: str) -> str:
    """The canonical form of a link target: old-wiki links made relative, old path forms fixed."""
    legacy = _LEGACY_HOST_RE.match(url)
    if legacy:
        # "//other.host/x" would leave the site: the old wiki's "//x" meant its own "/x".
        url = "/" + url[legacy.end() :].lstrip("/")
    if not url.startswith("/"):
        return url
    path, rest = _PATH_SPLIT_RE.match(url).groups()
    for pattern, replacement in _PATH_RULES:
        if pattern.fullmatch(path):
            return pattern.sub(replacement, path) + rest
    return url


def _clean_style(tag: str, value: str) -> str | None:
    """Drop declarations that could run code or smuggle URLs, and the red of "red links"."""
    kept = []
    red_link = False
    for declaration in value.split(";"):
        lowered = "".join(declaration.lower().split())
        if not lowered or any(marker in lowered for marker in _UNSAFE_CSS):
            continue
        if tag == "a" and lowered in ("color:red", "color:#f00", "color:#ff0000"):
            red_link = True
            continue
        kept.append((lowered, declaration.strip()))
    if red_link:
        kept = [item for item in kept if item[0] != "text-decoration:underline"]
    return "; ".join(declaration for _, declaration in kept) or None


# fmt: off
_ALLOWED_TAGS = frozenset({
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "table", "thead",
    "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup", "col", "a", "img", "figure",
    "figcaption", "blockquote", "pre", "code", "em", "strong", "b", "i", "u", "s", "del", "ins",
    "sub", "sup", "small", "mark", "span", "div", "br", "hr", "nav", "section", "abbr", "details",
    "summary", "cite", "q", "kbd",
})
_REMOVED_WITH_CONTENT = frozenset({
    "script", "style", "title", "template", "noscript", "textarea", "xmp", "noembed", "noframes",
    "iframe", "object", "svg", "math", "select",
})
_ALLOWED_STYLES = frozenset({
    "color", "background-color", "font-size", "font-weight", "font-style", "font-variant",
    "text-align", "text-decoration", "text-indent", "text-transform", "vertical-align",
    "line-height", "white-space", "margin", "margin-top", "margin-right", "margin-bottom",
    "margin-left", "padding", "padding-top", "padding-right", "padding-bottom", "padding-left",
    "border", "border-top", "border-right", "border-bottom", "border-left", "border-color",
    "border-style", "border-width", "border-radius", "border-collapse", "border-spacing", "width",
    "max-width", "min-width", "height", "max-height", "min-height", "float", "clear", "display",
    "list-style-type",
})
# fmt: on


def _absolute_attribute(tag: str, name: str, value: str) -> str | None:
    if name == "href" or (name == "src" and tag == "img"):
        return urljoin(_feed_base.get(), value.strip())
    return _filter_attribute(tag, name, value)


_CLEANER_OPTIONS = dict(
    tags=set(_ALLOWED_TAGS),
    clean_content_tags=set(_REMOVED_WITH_CONTENT),
    attributes={
        "*": {"id", "class", "title", "style", "align"},
        "a": {"href"},
        "img": {"src", "alt", "width", "height"},
        "td": {"colspan", "rowspan", "width"},
        "th": {"colspan", "rowspan", "width"},
        "col": {"span", "width"},
        "colgroup": {"span", "width"},
        "table": {"width"},
        "ol": {"start"},
    },
    url_schemes={"http", "https", "mailto"},
    filter_style_properties=set(_ALLOWED_STYLES),
)
_CLEANER = nh3.Cleaner(**_CLEANER_OPTIONS, attribute_filter=_filter_attribute)
_FEED_CLEANER = nh3.Cleaner(**_CLEANER_OPTIONS, attribute_filter=_absolute_attribute)
