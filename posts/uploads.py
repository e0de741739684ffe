"""Images and PDFs uploaded from the editor (django-markdownx's drop or paste onto the body),
stored as Attachments. A file is judged by its content, never by its name: only PNG, JPEG, GIF,
WebP and PDF are taken, and stored under the name of what it is, so nothing uploaded (SVG, HTML,
a script named .png) can run in a reader's browser from our own domain."""

import hashlib
import io
import re
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.http import JsonResponse
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_valid_filename
from django.views.decorators.http import require_POST
from PIL import Image, UnidentifiedImageError

from .legacy.attachments import SNIFF_BYTES, sniff_content_type
from .models import Attachment

EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/pdf": "pdf",
}
UPLOAD_DIRECTORY = "uploads/"  # under Attachment.file's own "attachments/"
MARKDOWN_ESCAPES = re.compile(r"([\[\]\\])")


class Refused(Exception):
    """An upload that is not taken; the message tells the editor why."""


@require_POST
def upload(request):
    """Store one uploaded file; answer markdownx's editor with the Markdown that shows it."""
    if not (request.user.is_active and request.user.is_staff and request.user.has_perm("posts.add_attachment")):
        return JsonResponse({"image": ["You may not upload files."]}, status=403)
    try:
        attachment = store(request.FILES.get("image"))
    except Refused as error:
        return JsonResponse({"image": [str(error)]}, status=400)
    return JsonResponse({"image_code": markdown_for(attachment), "url": attachment.file.url})


def store(uploaded) -> Attachment:
    """The Attachment holding the uploaded file, a new one unless the same bytes were stored before."""
    if uploaded is None:
        raise Refused("No file was sent.")
    limit = settings.MARKDOWNX_UPLOAD_MAX_SIZE
    if uploaded.size > limit:
        raise Refused(f"“{uploaded.name}” is {filesizeformat(uploaded.size)}; the limit is {filesizeformat(limit)}.")
    content = uploaded.read()
    content_type = sniff_content_type(content[:SNIFF_BYTES])
    if content_type is None:
        raise Refused(f"“{uploaded.name}” is not a PNG, JPEG, GIF, WebP or PDF file (judged by its content).")
    if content_type.startswith("image/"):
        _check_image(uploaded.name, content)
    checksum = hashlib.sha256(content).hexdigest()
    same = Attachment.objects.filter(checksum=checksum, legacy_url=None).exclude(file="").first()
    if same:
        return same
    stem = _stem(uploaded.name)
    attachment = Attachment(
        kind=Attachment.Kind.PDF if content_type == "application/pdf" else Attachment.Kind.IMAGE,
        content_type=content_type,
        size=len(content),
        checksum=checksum,
    )
    try:
        attachment.file.save(f"{UPLOAD_DIRECTORY}{stem}.{EXTENSIONS[content_type]}", ContentFile(content))
    except Exception:
        if attachment.file.name:
            attachment.file.storage.delete(attachment.file.name)  # stored, but its row was not written
        raise
    return attachment


def markdown_for(attachment: Attachment) -> str:
    name = MARKDOWN_ESCAPES.sub(r"\\\1", PurePath(attachment.file.name).stem)
    if attachment.kind == Attachment.Kind.IMAGE:
        return f"![{name}]({attachment.file.url})"
    return f"[{name} (PDF)]({attachment.file.url})"


def _stem(name: str) -> str:
    try:
        return get_valid_filename(PurePath(name).stem)[:80]
    except SuspiciousFileOperation:  # nothing usable is left of it ("..", "???")
        return "upload"


def _check_image(name: str, content: bytes) -> None:
    """Refuse an image Pillow cannot read, or one so large it would exhaust memory when decoded."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as error:
        raise Refused(f"“{name}” is not a readable image ({error}).") from error
