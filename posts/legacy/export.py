"""Writing the posts back as a legacy dump: one `<slug>.md` file per post, JSON front matter, a
blank line, the Markdown body, so that importing the export into an empty database gives the
same posts.

What a file holds is what the site is: the post's own fields, which hold its live revision while
it is published with changes waiting (what readers see), else its latest one; categories and tags
as the post has them now (a category renamed since keeps its new name), in the order they were
linked. Those are the fields an import writes, so the round trip is exact. Waiting changes, the
written summary and the author have no place in the dump's format and are left out. A post
readers do not see (draft, in review, scheduled, unpublished) is written with `"draft": true` and
comes back as a draft; deleted posts are not written. Site pages (About, Contact, the home page's
introduction: site_pages.py) are not written either, and counted in the report: the dump is the
legacy wiki's posts, and its format has no place for a page's kind and address, so an import would
bring a page back as a post, listed everywhere at /posts/<slug>/.

Aliases are written as they are stored, in the normal form of posts/aliases.py (lower case: the
dump's own spelling is not kept), spaces as "+", "%" and "?" escaped. Their kind is not written:
the importer gives it from the path, so a manual alias comes back as a legacy title or an old
slug. The post's legacy metadata is written back as the unmodelled keys it came from.

The format cannot carry blank lines at the start of a body (the importer drops them, as
Markdown does), and an import adds a `/<tiki_page_id>` alias where the post has none.

Posts are read a chunk at a time, with their categories, tags and aliases in one query each per
chunk, and each file is written under a temporary name first: a failed export never leaves a
half-written file under its final name."""

import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from ..models import Alias, Post, TaggedPost
from .dump import MODELLED_FIELDS

CHUNK_SIZE = 500


class ExportError(Exception):
    """An export that cannot be written where it was asked to be."""


@dataclass
class ExportReport:
    written: int = 0
    deleted_left_out: int = 0
    drafts_left_out: int = 0
    site_pages_left_out: int = 0
    others_in_directory: int = 0


def export_dump(
    directory: Path | str, *, include_drafts: bool = False, force: bool = False, chunk_size: int = CHUNK_SIZE
) -> ExportReport:
    """Write every published post (and with `include_drafts` every other post but the deleted
    ones) into `directory` as a legacy dump. A directory holding anything already is refused
    unless `force`, which writes over files of the same name and leaves the others as they are
    (counted in the report: an import of the directory would read them too). Posts are read
    `chunk_size` at a time."""
    directory = Path(directory)
    _check_directory(directory, force)
    directory.mkdir(parents=True, exist_ok=True)
    report = ExportReport()
    posts = Post.objects.existing().posts() if include_drafts else Post.objects.published()
    written = set()
    for post, categories, tags, aliases in _posts(posts, chunk_size):
        name = f"{post.slug}.md"
        _write_atomically(directory / name, dump_file(post, categories, tags, aliases))
        written.add(name)
        report.written += 1
    report.deleted_left_out = Post.objects.posts().filter(status=Post.Status.DELETED).count()
    report.site_pages_left_out = Post.objects.existing().site_pages().count()
    if not include_drafts:
        report.drafts_left_out = Post.objects.existing().posts().exclude(status=Post.Status.PUBLISHED).count()
    report.others_in_directory = sum(
        1 for path in directory.iterdir() if path.name.lower().endswith(".md") and path.name not in written
    )
    return report


def dump_file(post: Post, categories: list[str], tags: list[str], aliases: list[str]) -> bytes:
    """One post as the dump's file: its front matter as a JSON object, a blank line, its body."""
    front_matter: dict[str, Any] = {"title": post.title, "slug": post.slug}
    if aliases:
        front_matter["aliases"] = [_alias(path) for path in aliases]
    if post.tiki_page_id is not None:
        front_matter["tiki_page_id"] = post.tiki_page_id
    front_matter["date"] = _date(post.date)
    if post.lastmod is not None:
        front_matter["lastmod"] = _date(post.lastmod)
    if categories:
        front_matter["categories"] = categories
    if tags:
        front_matter["tags"] = tags
    if not post.is_published:
        front_matter["draft"] = True
    front_matter.update((key, value) for key, value in post.legacy_metadata.items() if key not in MODELLED_FIELDS)
    text = json.dumps(front_matter, indent=4, ensure_ascii=False) + "\n\n" + post.body
    return text.encode("utf-8")


def _alias(path: str) -> str:
    """A stored path as the dump spells one, spaces as "+"; "%" and "?" escaped, which the
    importer's normalize_path would otherwise read as an escape and a query string."""
    return path.replace("%", "%25").replace("?", "%3F").replace(" ", "+")


def _date(moment: datetime) -> str:
    """The dump's own spelling: a day at midnight UTC as YYYY-MM-DD, any other moment in ISO 8601."""
    moment = moment.astimezone(UTC)
    return moment.date().isoformat() if moment.time() == time() else moment.isoformat()


def _check_directory(directory: Path, force: bool) -> None:
    if directory.exists() and not directory.is_dir():
        raise ExportError(f"{directory} is not a directory")
    if directory.is_dir() and any(directory.iterdir()) and not force:
        raise ExportError(f"{directory} is not empty: choose an empty directory, or --force to write over its files")


def _posts(posts, chunk_size: int) -> Iterator[tuple[Post, list[str], list[str], list[str]]]:
    """The posts by slug, a chunk at a time, each with its categories, tags and alias paths."""
    fields = ("title", "slug", "body", "date", "lastmod", "tiki_page_id", "legacy_metadata", "status")
    last_slug = None
    while True:
        chunk = posts.only(*fields).order_by("slug")
        if last_slug is not None:
            chunk = chunk.filter(slug__gt=last_slug)
        chunk = list(chunk[:chunk_size])
        if not chunk:
            return
        ids = [post.pk for post in chunk]
        categories = _names(Post.categories.through.objects.filter(post__in=ids), "post_id", "category__name")
        tags = _names(TaggedPost.objects.filter(content_object__in=ids), "content_object_id", "tag__name")
        aliases = _names(Alias.objects.filter(post__in=ids), "post_id", "path")
        for post in chunk:
            yield post, categories[post.pk], tags[post.pk], aliases[post.pk]
        last_slug = chunk[-1].slug


def _names(rows, post_field: str, name_field: str) -> dict[int, list[str]]:
    """Each post's names, in the order they were linked (an import links them in the file's order)."""
    names = defaultdict(list)
    for post_id, name in rows.order_by("pk").values_list(post_field, name_field):
        names[post_id].append(name)
    return names


def _write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path` (not named `.md`, so no import reads it),
    then rename it over `path`."""
    try:
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".export-", suffix=".tmp")
    except OSError as error:
        raise ExportError(f"cannot write in {path.parent}: {error.strerror or error}") from None
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise ExportError(f"cannot write {path}: {error.strerror or error}") from None
        raise
