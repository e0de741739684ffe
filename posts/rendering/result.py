"""What rendering returns."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Heading:
    """A heading of a post, as listed in its table of contents."""

    level: int  # 1..6
    text: str  # plain text
    anchor: str  # the id attribute on the heading


@dataclass(frozen=True)
class Rendered:
    """A rendered post body and what it refers to."""

    html: str  # sanitized HTML
    headings: tuple[Heading, ...]
    # Site-internal link targets (hrefs starting with "/") after rewriting, in order, without
    # duplicates: "/posts/foo/", "/9708", "/tiki-index.php?page=Foo". Attachments are not links.
    links: tuple[str, ...]
    # Legacy CDN attachment URLs found in img src and a href, as written, without duplicates.
    attachment_urls: tuple[str, ...]
    # The words a reader sees, without the table of contents: for search and summaries.
    text: str = ""
    # The first sentences of its prose, for lists, feeds and meta descriptions (excerpt.py).
    summary: str = ""
