"""Reading the legacy dump: files out of a directory or an archive, and posts out of files.

Parse, then load: everything here turns bytes into plain records (`LegacyPost`) or a `DumpError`
that says which file, field, line and column is wrong. Nothing touches the database.
"""

import hashlib
import math
import os
import re
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import ftfy
from django.core.validators import slug_unicode_re
from django.utils.text import slugify

from posts.aliases import hidden_address, normalize_path
from posts.legacy.frontmatter import FrontMatterError, parse_front_matter
from posts.plaintext import without_control_characters
from posts.rendering.cdn import find_attachment_urls

MAX_FILE_SIZE = 5 * 1024 * 1024
MAX_SLUG_LENGTH = 255
# The columns' sizes (posts/models.py, taggit): what does not fit is refused here, not by the database.
MAX_TITLE_LENGTH = 500
MAX_LABEL_LENGTH = {"categories": 200, "tags": 100}
MAX_PATH_LENGTH = 1000
MAX_PAGE_ID = 2**31 - 1

MODELLED_FIELDS = frozenset(
    {"title", "slug", "aliases", "tiki_page_id", "date", "lastmod", "categories", "tags", "draft"}
)


class DumpError(Exception):
    """A dump, or one file in it, that cannot be read; the attributes feed the import report."""

    def __init__(
        self,
        name: str,
        message: str,
        *,
        field: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(name, message)
        self.name = name
        self.message = message
        self.field = field
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = [self.name]
        if self.field is not None:
            where.append(f"field {self.field!r}")
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}"


@dataclass(frozen=True)
class LegacyAlias:
    path: str
    origin: str  # "aliases" (front matter), "page_id" (from tiki_page_id) or "comment" (body)


@dataclass(frozen=True)
class LegacyPost:
    name: str
    title: str
    slug: str
    body: str
    aliases: tuple[LegacyAlias, ...]
    tiki_page_id: int | None
    date: datetime
    lastmod: datetime | None
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    draft: bool
    extra: dict[str, Any]
    attachment_urls: tuple[str, ...]
    checksum: str


@dataclass(frozen=True)
class DumpFile:
    name: str
    data: bytes | None
    error: DumpError | None = None


# --- Files out of a directory or an archive -------------------------------------------------------


def iter_dump(source: Path | str, *, max_file_size: int = MAX_FILE_SIZE) -> Iterator[DumpFile]:
    """Yield the `.md` files of a dump directory, `.zip` or `.tar.gz`/`.tgz`, one at a time.

    Directory and zip entries come sorted by name; a tar.gz stream comes in archive order (it
    cannot be sorted without reading it twice). A file that must not or cannot be read (unsafe
    path, link, too large) is yielded with an `error` instead of data; a source that is not a
    dump at all, or a corrupt archive, raises `DumpError`.
    """
    path = Path(source)
    if path.is_dir():
        return _iter_directory(path, max_file_size)
    if not path.is_file():
        raise DumpError(str(source), "no such directory or file")
    suffix = path.name.lower()
    if suffix.endswith(".zip"):
        return _iter_zip(_open_zip(path), max_file_size)
    if suffix.endswith((".tar.gz", ".tgz")):
        _check_gzip(path)
        return _iter_tar(path, max_file_size)
    raise DumpError(str(source), "not a dump: expected a directory, a .zip or a .tar.gz")


def count_dump(source: Path | str) -> int | None:
    """How many `.md` files a dump holds (for its progress), None if that cannot be told; a
    tar.gz is read through once for it."""
    path = Path(source)
    if path.is_dir():
        return sum(1 for _ in _walk(path))
    name = path.name.lower()
    if name.endswith(".zip"):
        with _open_zip(path) as archive:
            return sum(1 for name in archive.namelist() if _is_markdown(_clean_name(name)))
    if name.endswith((".tar.gz", ".tgz")):
        try:
            with tarfile.open(path, mode="r|gz") as archive:
                return sum(1 for member in archive if not member.isdir() and _is_markdown(_clean_name(member.name)))
        except (tarfile.TarError, EOFError, OSError, zlib.error):
            return None
    return None


def _is_markdown(name: str) -> bool:
    # Archives made on macOS carry an AppleDouble `__MACOSX/._<name>.md` twin of every file.
    return name.lower().endswith(".md") and not name.startswith("__MACOSX/")


def _clean_name(name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return name


def _is_unsafe_path(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or bool(re.match(r"[A-Za-z]:", name)) or ".." in parts


def _too_large(name: str, size: int, limit: int) -> DumpFile:
    return DumpFile(name, None, DumpError(name, f"file is too large: {size:,} bytes (limit {limit:,} bytes)"))


def _failed(name: str, message: str) -> DumpFile:
    return DumpFile(name, None, DumpError(name, message))


def _iter_directory(root: Path, limit: int) -> Iterator[DumpFile]:
    real_root = root.resolve()
    for name, path in sorted(_walk(root)):
        yield _read_directory_file(name, path, real_root, limit)


def _walk(root: Path) -> Iterable[tuple[str, Path]]:
    # os.walk does not descend into symlinked directories; symlinked files are checked on reading.
    for directory, _subdirectories, files in os.walk(root):
        for file_name in files:
            path = Path(directory, file_name)
            name = path.relative_to(root).as_posix()
            if _is_markdown(name):
                yield name, path


def _read_directory_file(name: str, path: Path, real_root: Path, limit: int) -> DumpFile:
    try:
        if path.is_symlink() and not path.resolve().is_relative_to(real_root):
            return _failed(name, "symlink points outside the dump")
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):
            return _failed(name, "not a regular file")
        if status.st_size > limit:
            return _too_large(name, status.st_size, limit)
        with path.open("rb") as file:
            data = file.read(limit + 1)
    except (OSError, RuntimeError) as error:  # RuntimeError: a symlink loop
        return _failed(name, f"cannot read file: {getattr(error, 'strerror', None) or error}")
    if len(data) > limit:
        return _too_large(name, len(data), limit)
    return DumpFile(name, data)


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise DumpError(str(path), f"not a valid zip archive: {error}") from None


def _iter_zip(archive: zipfile.ZipFile, limit: int) -> Iterator[DumpFile]:
    with archive:
        for info in sorted(archive.infolist(), key=lambda info: info.filename):
            # Not info.is_dir(): it fails on an entry with an empty name, which a hostile archive has.
            if not info.filename.endswith("/") and _is_markdown(_clean_name(info.filename)):
                yield _read_zip_entry(archive, info, limit)


def _read_zip_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> DumpFile:
    name = _clean_name(info.filename)
    if _is_unsafe_path(name):
        return _failed(name, f"unsafe path in archive: {info.filename}")
    if stat.S_ISLNK(info.external_attr >> 16):
        return _failed(name, f"unsafe entry in archive: {name} is a symlink")
    if info.file_size > limit:
        return _too_large(name, info.file_size, limit)
    try:
        with archive.open(info) as file:
            data = file.read(limit + 1)
    # OSError: an entry's offset before the file's start, from a forged directory (a negative seek).
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError) as error:
        return _failed(name, f"cannot read archive entry: {getattr(error, 'strerror', None) or error}")
    if len(data) > limit:
        return _too_large(name, len(data), limit)
    return DumpFile(name, data)


GZIP_HEADER_BYTES = 10


def _check_gzip(path: Path) -> None:
    try:
        with path.open("rb") as file:
            header = file.read(GZIP_HEADER_BYTES)
    except OSError as error:
        raise DumpError(str(path), f"cannot read archive: {error.strerror or error}") from None
    if header[:2] != b"\x1f\x8b":
        raise DumpError(str(path), "not a valid .tar.gz archive: not gzip-compressed")
    if len(header) < GZIP_HEADER_BYTES:  # tarfile fails on it with a TypeError, not a TarError
        raise DumpError(str(path), "corrupt .tar.gz archive: its gzip header is cut short")


def _iter_tar(path: Path, limit: int) -> Iterator[DumpFile]:
    try:
        # Stream mode reads the archive once, front to back, never seeking back.
        with tarfile.open(path, mode="r|gz") as archive:
            while (member := archive.next()) is not None:
                # The stream would otherwise keep every member's header for the whole import.
                archive.members.clear()
                name = _clean_name(member.name)
                if not member.isdir() and _is_markdown(name):
                    yield _read_tar_member(archive, member, name, limit)
    except (tarfile.TarError, EOFError, OSError, zlib.error) as error:
        raise DumpError(str(path), f"corrupt .tar.gz archive: {error}") from None


def _read_tar_member(archive: tarfile.TarFile, member: tarfile.TarInfo, name: str, limit: int) -> DumpFile:
    if _is_unsafe_path(name):
        return _failed(name, f"unsafe path in archive: {member.name}")
    if not member.isreg():
        return _failed(name, f"unsafe entry in archive: {name} is a {_tar_kind(member)}")
    if member.size > limit:
        return _too_large(name, member.size, limit)
    file = archive.extractfile(member)
    return DumpFile(name, file.read() if file else b"")


def _tar_kind(member: tarfile.TarInfo) -> str:
    if member.issym():
        return "symlink"
    if member.islnk():
        return "hard link"
    if member.isdev():
        return "device or FIFO"
    return "special file"


# --- Posts out of files ----------------------------------------------------------------------------


class _FieldError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message)
        self.field = field
        self.message = message


def file_checksum(name: str, data: bytes) -> str:
    """What identifies a file's import: its bytes and its base name (the slug when none is given),
    but not the folder it sits in, so the same dump from a directory or an archive matches."""
    return hashlib.sha256(PurePosixPath(name).name.encode() + b"\0" + data).hexdigest()


def parse_post(name: str, data: bytes) -> LegacyPost:
    """Parse one dump file into a `LegacyPost`, or raise `DumpError` saying what is wrong where."""
    text = _decode(name, data)
    try:
        metadata, body, _body_line = parse_front_matter(text)
    except FrontMatterError as error:
        raise DumpError(name, error.message, field=error.field, line=error.line, column=error.column) from None
    try:
        return _build_post(name, data, metadata, repair_mojibake(body))
    except _FieldError as error:
        raise DumpError(name, error.message, field=error.field) from None


def _decode(name: str, data: bytes) -> str:
    if not data.strip():
        raise DumpError(name, "empty file")
    if b"\x00" in data:
        raise DumpError(name, "binary file, not Markdown")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line_start = data.rfind(b"\n", 0, error.start) + 1
        line = data.count(b"\n", 0, error.start) + 1
        column = len(data[line_start : error.start].decode("utf-8")) + 1
        message = f"not valid UTF-8 (byte 0x{data[error.start]:02x})"
        raise DumpError(name, message, line=line, column=column) from None


def _build_post(name: str, data: bytes, metadata: dict[str, Any], body: str) -> LegacyPost:
    for key, value in metadata.items():
        _check_text(str(key), key)
        _check_text(str(key), value)
    title = _title(metadata.get("title"))
    slug = _slug(metadata.get("slug"), name)
    lastmod = _date("lastmod", metadata.get("lastmod"))
    published = _date("date", metadata.get("date")) or lastmod
    if published is None:
        raise _FieldError("date", "missing date")
    tiki_page_id = _page_id(metadata.get("tiki_page_id"))
    return LegacyPost(
        name=name,
        title=title,
        slug=slug,
        body=body,
        aliases=_aliases(metadata.get("aliases"), tiki_page_id, body),
        tiki_page_id=tiki_page_id,
        date=published,
        lastmod=lastmod,
        categories=_labels("categories", metadata.get("categories")),
        tags=_labels("tags", metadata.get("tags")),
        draft=_draft(metadata.get("draft", False)),
        extra={str(key): _jsonable(value) for key, value in metadata.items() if key not in MODELLED_FIELDS},
        attachment_urls=_attachment_urls(body),
        checksum=file_checksum(name, data),
    )


def _title(value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _FieldError("title", "missing title")
    if not isinstance(value, str):
        raise _FieldError("title", f"must be a string, not {type(value).__name__}")
    title = without_control_characters(repair_mojibake(value.strip()))
    if len(title) > MAX_TITLE_LENGTH:
        raise _FieldError("title", f"longer than {MAX_TITLE_LENGTH} characters ({len(title):,})")
    return title


_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")


def _check_text(field: str, value: Any) -> None:
    """No NUL and no lone surrogate (JSON's `\\u0000`, `\\ud800`) in any string, key or value:
    no database column stores them."""
    if isinstance(value, str):
        if found := _NOT_TEXT.search(value):
            what = "a NUL character" if found[0] == "\x00" else f"a lone surrogate (U+{ord(found[0]):04X})"
            raise _FieldError(field, f"contains {what}, which is not text")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(field, key)
            _check_text(field, item)
    elif isinstance(value, list | tuple | set):
        for item in value:
            _check_text(field, item)


def _attachment_urls(body: str) -> tuple[str, ...]:
    urls = tuple(find_attachment_urls(body))
    for url in urls:
        if len(url) > MAX_PATH_LENGTH:
            raise _FieldError("body", f"an attachment address is longer than {MAX_PATH_LENGTH} characters: {url[:60]}…")
    return urls


def _slug(value: Any, name: str) -> str:
    if value is None or value == "":
        value = PurePosixPath(name.replace("\\", "/")).name
        value = value[:-3] if value.lower().endswith(".md") else value
    elif not isinstance(value, str):
        raise _FieldError("slug", f"must be a string, not {type(value).__name__}")
    slug = value.strip()
    if len(slug) > MAX_SLUG_LENGTH or not slug_unicode_re.match(slug):
        raise _FieldError(
            "slug",
            f"{slug!r} is not a valid slug (letters, digits, hyphens and underscores, "
            f"at most {MAX_SLUG_LENGTH} characters)",
        )
    return slug


def _page_id(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_PAGE_ID:
        raise _FieldError("tiki_page_id", f"{value!r} is not a positive integer up to {MAX_PAGE_ID}")
    return value


def _date(field: str, value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            moment = None
    else:
        moment = None
    if moment is None:
        raise _FieldError(field, f"{value!r} is not a date (expected YYYY-MM-DD or ISO 8601)")
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise _FieldError(field, f"{value!r} is out of range in UTC") from None
    return moment


def _draft(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _FieldError("draft", f"{value!r} is not true or false")
    return value


def _strings(field: str, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise _FieldError(field, f"must be a list of strings, not {type(value).__name__}")
    for item in value:
        if not isinstance(item, str):
            raise _FieldError(field, f"must be a list of strings ({item!r} is not a string)")
    return value


def _labels(field: str, value: Any) -> tuple[str, ...]:
    """Categories or tags: whitespace collapsed, blanks dropped, the first of each spelling kept."""
    labels: dict[str, str] = {}
    for item in _strings(field, value):
        label = " ".join(without_control_characters(repair_mojibake(item)).split())
        limit = MAX_LABEL_LENGTH[field]
        # Only outside ASCII can a slug be longer than its name (NFKC makes "ﷺ" 18 letters).
        if len(label) > limit or (not label.isascii() and len(slugify(label, allow_unicode=True)) > limit):
            raise _FieldError(field, f"{label[:60]!r}… is longer than {limit} characters, or its slug is")
        if label:
            labels.setdefault(label.casefold(), label)
    return tuple(labels.values())


# --- Aliases -----------------------------------------------------------------------------------------

# The old wiki recorded a renamed page's former title as `~tc~ (alias(Old title)) ~/tc~`; the title
# may itself contain parentheses, so the match runs to the `))` that closes the comment.
_COMMENT_ALIAS = re.compile(r"~tc~\s*\(alias\((.+?)\)\)\s*~/tc~")


def _aliases(value: Any, tiki_page_id: int | None, body: str) -> tuple[LegacyAlias, ...]:
    candidates = [LegacyAlias(_alias_path(item), "aliases") for item in _strings("aliases", value)]
    if tiki_page_id is not None:
        candidates.append(LegacyAlias(f"/{tiki_page_id}", "page_id"))
    if "~tc~" in body:
        for match in _COMMENT_ALIAS.finditer(body):
            if match[1].strip():
                candidates.append(LegacyAlias("/" + match[1].strip(), "comment"))
    aliases: dict[str, LegacyAlias] = {}
    for alias in candidates:
        path = normalize_path(alias.path)
        hidden = hidden_address(path, pages=False)  # the site pages' addresses: the loader's (claims.py)
        if hidden:
            raise _FieldError("aliases", f"{alias.path!r} would hide {hidden}")
        aliases.setdefault(path, alias)
    return tuple(aliases.values())


def _alias_path(alias: str) -> str:
    alias = alias.strip()
    if not alias.startswith("/"):
        parts = urlsplit(alias)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise _FieldError("aliases", f"{alias!r} is neither a path starting with '/' nor a full URL")
        alias = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    path = normalize_path(alias)
    if path == "/":
        raise _FieldError("aliases", f"{alias!r} would redirect the home page")
    if len(path) > MAX_PATH_LENGTH:
        raise _FieldError("aliases", f"{alias[:60]!r}… is longer than {MAX_PATH_LENGTH} characters")
    return alias


# --- Mojibake --------------------------------------------------------------------------------------

# UTF-8 decoded as Windows-1252 or Latin-1 always leaves a lead byte (Â..ô) followed by a
# continuation byte (0x80..0xBF as either code page shows it), or "Ã"/"Â" before a space where a
# no-break space was lost. Text without such a pair has none of that mojibake, so ftfy's detector
# (~0.5 ms on a typical post) only runs on the lines that have one.
_CONTINUATION_CHARS = "".join(
    sorted({chr(byte) for byte in range(0x80, 0xC0)} | set(bytes(range(0x80, 0xC0)).decode("cp1252", "ignore")))
)
_MOJIBAKE_HINT = re.compile(f"[\u00c2-\u00f4][{re.escape(_CONTINUATION_CHARS)}]|[\u00c2\u00c3] ")

# "蠄" for "≤": the converter read the decimal character reference `&#8804;` (≤, U+2264) as
# hexadecimal and wrote U+8804; `&#8805;` (≥) turns into U+8805 "蠅" the same way. No byte-level
# round trip takes "≤" there (the only one giving "蠄" is UTF-8 "ψ" read as GBK, which garbles
# whole Greek words), so ftfy rightly sees a plausible Chinese character and leaves it. It is
# repaired only where it stands outside Chinese text, where it cannot be meant.
_DECIMAL_READ_AS_HEX = re.compile("(?<![\u3400-\u9fff\uf900-\ufaff])[\u8804\u8805](?![\u3400-\u9fff\uf900-\ufaff])")
_DECIMAL_REPAIRS = {"\u8804": "\u2264", "\u8805": "\u2265"}


def repair_mojibake(text: str) -> str:
    """Undo the encoding round trips the dump went through, touching only lines that show one."""
    if text.isascii():
        return text
    if _MOJIBAKE_HINT.search(text):
        text = "".join(
            ftfy.fix_encoding(line) if _MOJIBAKE_HINT.search(line) else line for line in text.splitlines(keepends=True)
        )
    if "\u8804" in text or "\u8805" in text:
        text = _DECIMAL_READ_AS_HEX.sub(lambda match: _DECIMAL_REPAIRS[match[0]], text)
    return text


def _jsonable(value: Any) -> Any:
    """Legacy metadata as JSON can store it: YAML and TOML dates and times become ISO strings."""
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(item) for item in value]
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # NaN and infinities, which JSON has no number for
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
