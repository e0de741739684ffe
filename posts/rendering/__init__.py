"""The one Markdown renderer: post body in, sanitized HTML out.

CommonMark + GFM tables and strikethrough, footnotes, heading anchors, a table of contents for
`{{< toc >}}`, the wiki remnants of the legacy dump, and an allowlist sanitizer over everything
(`goldmark.py` reads Markdown as the legacy site's Goldmark did; `sanitize.py` cleans the result).
Pure: no database, no settings.
"""

import html
import re
from collections.abc import Mapping

from . import remnants
from .excerpt import excerpt
from .goldmark import to_html
from .result import Heading, Rendered
from .sanitize import RESERVED_IDS, absolute_urls, canonical_href, sanitize

__all__ = [
    "RESERVED_IDS",
    "Heading",
    "Rendered",
    "absolute_urls",
    "canonical_href",
    "excerpt",
    "plain_text",
    "render",
    "render_html",
]

_TOC_RE = re.compile(r'<nav class="toc">.*?</nav>', re.DOTALL)
_BLOCK_TAG_RE = re.compile(r"<(/?)(p|h[1-6]|li|dt|dd|td|th|tr|div|br|hr|blockquote|pre|figcaption|section)\b")
# A tag of the sanitizer's output, which holds no comment and escapes "<" and ">" in text and in
# attribute values alike.
_TAG_RE = re.compile(r"<[^>]*>")


def render(markdown: str, *, attachments: Mapping[str, str] | None = None) -> Rendered:
    """Render a post body to sanitized HTML, with its headings and the links it makes.

    `attachments` maps legacy CDN attachment URLs to the URLs they are served from now.
    """
    if not markdown or not markdown.strip():
        return Rendered("", (), (), ())
    env: dict = {}
    body = to_html(remnants.convert(markdown), env)
    headings = tuple(env.get("headings", ()))
    clean, links, attachment_urls = sanitize(_insert_toc(body, headings), attachments or {})
    return Rendered(
        html=clean,
        headings=headings,
        links=links,
        attachment_urls=attachment_urls,
        text=plain_text(clean),
        summary=excerpt(clean),
    )


def render_html(markdown: str) -> str:
    """Markdown to sanitized HTML, with no stored attachments to point at."""
    return render(markdown).html


def plain_text(body_html: str) -> str:
    """The words a reader sees in a sanitized body (no table of contents), for search and summaries."""
    spaced = _BLOCK_TAG_RE.sub(r" <\1\2", _TOC_RE.sub("", body_html))
    return " ".join(html.unescape(_TAG_RE.sub("", spaced)).split())


def _insert_toc(body: str, headings: tuple[Heading, ...]) -> str:
    """The table of contents in place of the first `{{< toc >}}`; the others make nothing. A post
    has one, and each copy would cost the whole list again (thousands of shortcodes over thousands
    of headings, within the limits, took gigabytes)."""
    placeholder = remnants.TOC_PLACEHOLDER
    if placeholder not in body:
        return body
    head, _, tail = body.replace(f"<p>{placeholder}</p>", placeholder).partition(placeholder)
    return head + _toc_html(headings) + tail.replace(placeholder, "")


def _toc_html(headings: tuple[Heading, ...]) -> str:
    """A nested list of links to the headings; a deeper heading nests under the one before."""
    if not headings:
        return ""
    out = ['<nav class="toc">']
    levels: list[int] = []
    for heading in headings:
        if not levels or heading.level > levels[-1]:
            out.append("<ul>")
            levels.append(heading.level)
        else:
            while len(levels) > 1 and heading.level <= levels[-2]:
                out.append("</li></ul>")
                levels.pop()
            levels[-1] = heading.level
            out.append("</li>")
        out.append(f'<li><a href="#{html.escape(heading.anchor)}">{html.escape(heading.text)}</a>')
    out.append("</li>")
    out.extend("</ul></li>" for _ in levels[1:])
    out.append("</ul></nav>")
    return "".join(out)
