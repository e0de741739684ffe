"""Parse and render dump files, in worker processes when the dump is large.

Parsing and rendering are pure and take most of an import's time; the database work stays in
the importing process. Results come back in input order, and only a bounded window of files is
in flight at once, so memory stays flat however large the dump.
"""

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import chain, islice

from .. import limits
from ..rendering import Rendered, render
from .dump import DumpError, LegacyPost, parse_post

CHUNK = 16  # files per task: one round trip to a worker costs about as much as parsing a file
WINDOW = 16  # tasks in flight


@dataclass(frozen=True)
class Prepared:
    legacy: LegacyPost
    rendered: Rendered | None


@dataclass(frozen=True)
class Unchanged:
    """A file whose exact bytes were imported into this post before: nothing to parse or write."""

    name: str
    slug: str
    tiki_page_id: int | None


def prepare(job: "tuple[str, bytes, bool] | DumpError | Unchanged") -> "Prepared | DumpError | Unchanged":
    """Parse one file, check it against the limits of a post, and, when asked, render its body.
    Errors and unchanged files pass through."""
    if not isinstance(job, tuple):
        return job
    name, data, render_body = job
    try:
        legacy = parse_post(name, data)
    except DumpError as error:
        return error
    if problem := limits.body_problem(legacy.body):
        return DumpError(name, problem, field="body")
    if problem := limits.tags_problem(legacy.tags):
        return DumpError(name, problem, field="tags")
    return Prepared(legacy, render(legacy.body) if render_body else None)


def ordered_map(function: Callable, items: Iterable, *, workers: int, inline: int) -> Iterator:
    """`map(function, items)`, the items after the first `inline` ones spread over `workers` processes."""
    items = iter(items)
    yield from map(function, islice(items, inline))
    first = list(islice(items, 1))
    if not first:
        return
    if workers < 2:
        yield from map(function, chain(first, items))
        return
    # Forked workers start at once and need no importable __main__; they never touch the
    # database connection they inherit (and leave through os._exit, which closes nothing).
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        window = deque()
        for chunk in _chunks(chain(first, items), CHUNK):
            window.append(pool.submit(_map_list, function, chunk))
            if len(window) >= WINDOW:
                yield from window.popleft().result()
        while window:
            yield from window.popleft().result()


def _map_list(function: Callable, items: list) -> list:
    return [function(item) for item in items]


def _chunks(items: Iterator, size: int) -> Iterator[list]:
    while chunk := list(islice(items, size)):
        yield chunk
