"""The legacy attachments of an import: registered for the posts that refer to them, and copied
into storage from the attachments directory (laid out `<ext>/<file>` like the old CDN)."""

import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage

from ..models import Attachment
from .attachments import SNIFF_BYTES, attachment_kind, attachment_path, sniff_content_type
from .dump import LegacyPost


@dataclass
class BatchAttachments:
    """The attachments a batch of posts refers to, by legacy URL."""

    by_url: dict[str, Attachment]

    def urls_for(self, legacy: LegacyPost) -> dict[str, str]:
        """The post's legacy URLs we hold a stored copy of, mapped to the copy's URL."""
        return {
            url: self.by_url[url].file.url
            for url in legacy.attachment_urls
            if url in self.by_url and self.by_url[url].file
        }

    def of(self, legacy) -> list[Attachment]:
        """The attachments a legacy post shows."""
        return [self.by_url[url] for url in legacy.attachment_urls if url in self.by_url]


class AttachmentImporter:
    """Registers attachments and copies their files, counting both in the import report.

    With `store_files` off (a dry run) files are only looked at: the run's transaction is rolled
    back, and nothing must be left in storage.
    """

    def __init__(self, report, directory: Path | str | None, *, store_files: bool):
        self.report = report
        self.directory = Path(directory) if directory else None
        self.store_files = store_files
        self.stored_names: list[str] = []
        self.stored_ids: list[int] = []

    def for_posts(self, batch: list[LegacyPost]) -> BatchAttachments:
        """Register the attachments of `batch` and store the files found for those not stored yet."""
        urls = {url for legacy in batch for url in legacy.attachment_urls}
        known = {a.legacy_url: a for a in Attachment.objects.filter(legacy_url__in=urls)}
        new = [self._new(url) for url in urls if url not in known]
        Attachment.objects.bulk_create(new, ignore_conflicts=True)
        self.report.attachments_registered += len(new)
        if new:
            known = {a.legacy_url: a for a in Attachment.objects.filter(legacy_url__in=urls)}
        for attachment in known.values():
            if not attachment.file:
                self._store(attachment)
        return BatchAttachments(known)

    def discard_stored_files(self) -> None:
        """Remove the files this run stored (its database rows were rolled back)."""
        for name in self.stored_names:
            default_storage.delete(name)
        self.stored_names.clear()

    def _new(self, url: str) -> Attachment:
        path = attachment_path(url) or ""
        content_type = mimetypes.guess_type(path)[0] or ""
        return Attachment(legacy_url=url, kind=attachment_kind(path) if path else "other", content_type=content_type)

    def _store(self, attachment: Attachment) -> None:
        """Copy the attachment's file into storage, if the directory has it and it is an image or PDF."""
        relative = attachment_path(attachment.legacy_url)
        if not self.directory or not relative:
            return
        source = self.directory / relative
        if not source.is_file() or not source.resolve().is_relative_to(self.directory.resolve()):
            if relative not in self.report.attachments_missing:
                self.report.attachments_missing.append(relative)
            return
        digest = hashlib.sha256()
        with source.open("rb") as handle:
            content_type = sniff_content_type(handle.read(SNIFF_BYTES))
            if content_type is None:
                self.report.attachments_refused.append(relative)
                return
            handle.seek(0)
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
            handle.seek(0)
            if self.store_files:
                stored = File(handle)
                stored.content_type = content_type  # served as what it is (S3 keeps it), not as its name says
                attachment.file.save(relative, stored, save=False)
                self.stored_names.append(attachment.file.name)
            else:
                attachment.file.name = f"attachments/{relative}"
        attachment.size = source.stat().st_size
        attachment.checksum = digest.hexdigest()
        attachment.content_type = content_type
        attachment.kind = Attachment.Kind.PDF if content_type == "application/pdf" else Attachment.Kind.IMAGE
        attachment.save(update_fields=["file", "size", "checksum", "content_type", "kind"])
        self.stored_ids.append(attachment.pk)
        self.report.attachments_stored += 1
