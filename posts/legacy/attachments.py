"""Attachments of the legacy site: images and PDFs on two old CDN hosts (posts/rendering/cdn.py).

The importer copies each one
into storage under the relative path `<ext>/<file>`, so a name taken from a URL must never be able
to reach outside that directory.
"""

from pathlib import PurePosixPath
from typing import Literal
from urllib.parse import unquote, urlsplit

from ..rendering.cdn import LEGACY_HOSTS

IMAGE_EXTENSIONS = frozenset({"avif", "bmp", "gif", "ico", "jpeg", "jpg", "png", "svg", "tif", "tiff", "webp"})

_PREFIX = "/attachments/"


def attachment_path(url: str) -> str | None:
    """The safe relative storage path `<ext>/<file>` of a CDN attachment URL, else None."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or (parts.hostname or "") not in LEGACY_HOSTS:
        return None
    if not parts.path.startswith(_PREFIX):
        return None
    segments = [unquote(segment) for segment in parts.path[len(_PREFIX) :].split("/")]
    if len(segments) != 2 or not all(_is_safe_name(segment) for segment in segments):
        return None
    return "/".join(segments)


def attachment_kind(path: str) -> Literal["image", "pdf", "other"]:
    """Classify an attachment by its file extension (the `<ext>` directory when the file has none)."""
    pure = PurePosixPath(path)
    extension = (pure.suffix or "." + pure.parent.name).lower().lstrip(".")
    if extension == "pdf":
        return "pdf"
    return "image" if extension in IMAGE_EXTENSIONS else "other"


# The only files copied into storage, recognised by their first bytes, never by their name:
# anything else (SVG, HTML, scripts) would run in a reader's browser from our own domain.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)
SNIFF_BYTES = 16


def sniff_content_type(head: bytes) -> str | None:
    """The content type of a file that is a PNG, JPEG, GIF, WebP or PDF by its first bytes, else None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return next((content_type for signature, content_type in _SIGNATURES if head.startswith(signature)), None)


def _is_safe_name(name: str) -> bool:
    return (
        bool(name)
        and ".." not in name
        and "/" not in name
        and "\\" not in name
        and not any(ord(char) < 0x20 or ord(char) == 0x7F for char in name)
    )
