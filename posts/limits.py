"""How much one post may hold, so that no save, preview or import costs more than a moment of CPU.

Rendering time grows with a body's length, and the sanitizer's with how deep its HTML nests; a
save's with the number of tags. Each limit is a setting read from the environment (README,
"Configuration"); every writer checks it before rendering: the admin's form, the live preview,
the workflow and the importer. Each refusal names the limit and the value found.
"""

import re
from collections import Counter
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from taggit.models import Tag

from .rendering import remnants

_VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
)


def body_problem(markdown: str) -> str | None:
    """Why `markdown` may not be a post body, or None."""
    limit = settings.VDWIKI_MAX_BODY_CHARS
    if len(markdown) > limit:
        return f"The body is {len(markdown):,} characters long; the limit is {limit:,} (DJANGO_MAX_BODY_CHARS)."
    limit = settings.VDWIKI_MAX_HTML_DEPTH
    depth = nesting_depth(remnants.convert(markdown))
    if depth > limit:
        return f"The body's HTML is nested {depth:,} elements deep; the limit is {limit:,} (DJANGO_MAX_HTML_DEPTH)."
    return None


def tags_problem(tags: Iterable[str]) -> str | None:
    """Why a post may not have these tags, or None."""
    tags = set(tags)
    count, limit = len(tags), settings.VDWIKI_MAX_TAGS
    if count > limit:
        return f"The post has {count:,} tags; the limit is {limit:,} (DJANGO_MAX_TAGS)."
    longest = max(tags, key=len, default="")
    holds = Tag._meta.get_field("name").max_length  # PostgreSQL refuses a longer name
    if len(longest) > holds:
        return f"A tag is {len(longest):,} characters long; a tag holds {holds} at most."
    return None


def check(markdown: str, tags: Iterable[str] = ()) -> None:
    """Raise ValidationError naming each limit the body or tags go over."""
    problems = [problem for problem in (body_problem(markdown), tags_problem(tags)) if problem]
    if problems:
        raise ValidationError(problems, code="limit")


def nesting_depth(html: str) -> int:
    """How many elements deep the tags in `html` nest at most, never less than in a browser.

    A tag runs from "<name" to the next ">"; an end tag closes the nearest open element of its name
    and those opened inside it, and is ignored when none is open; "<div/>" opens a div, as in a
    browser. Tags in comments, scripts or attribute values count too. One pass, each element
    opened and closed once: linear whatever the input (the standard library's HTMLParser takes
    minutes over "<a<a<a...").
    """
    stack: list[str] = []
    open_count: Counter[str] = Counter()
    deepest = 0
    position = 0
    while match := _TAG_START_RE.search(html, position):
        position = html.find(">", match.end()) + 1
        if not position:
            break
        closing, name = match[1], match[2].lower()
        if not closing:
            if name not in _VOID_ELEMENTS:
                stack.append(name)
                open_count[name] += 1
                deepest = max(deepest, len(stack))
        elif open_count[name]:
            while (closed := stack.pop()) != name:
                open_count[closed] -= 1
            open_count[name] -= 1
    return deepest


_TAG_START_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)")
