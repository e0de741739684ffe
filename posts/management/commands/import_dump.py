import json
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from posts.legacy.importer import import_dump

SHOWN = 20


class Command(BaseCommand):
    help = "Import the legacy dump: a directory, .zip or .tar.gz of Markdown files with front matter."

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path, help="directory, .zip or .tar.gz of .md files")
        parser.add_argument(
            "--attachments", type=Path, metavar="DIR", help="legacy attachments laid out as <ext>/<file>"
        )
        parser.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
        parser.add_argument(
            "--force",
            action="store_true",
            help="overwrite posts edited in the CMS since their import, revive deleted ones",
        )
        parser.add_argument("--user", metavar="NAME", help="who runs it, for the audit log (default: nobody)")
        parser.add_argument("--strict", action="store_true", help="write nothing at all if any file fails")
        parser.add_argument("--report", type=Path, metavar="FILE", help="write the full report as JSON")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar even on a terminal")

    def handle(self, *args, source, attachments, dry_run, force, strict, user, report, no_progress, **options):
        if attachments and not attachments.is_dir():
            raise CommandError(f"--attachments {attachments}: not a directory")
        if user is not None:
            User = get_user_model()
            try:
                user = User.objects.get(**{User.USERNAME_FIELD: user})
            except User.DoesNotExist:
                raise CommandError(f"--user {user}: no such user") from None
        result = import_dump(
            source,
            attachments_dir=attachments,
            dry_run=dry_run,
            force=force,
            strict=strict,
            user=user,
            progress=sys.stderr.isatty() and not no_progress,
        )
        if report:
            report.write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
        self._print(result, options["verbosity"])
        if not result.ok:
            raise CommandError(result.aborted or f"{len(result.failed)} file(s) failed")

    def _print(self, result, verbosity):
        title = "Dry run of import" if result.dry_run else "Import"
        self.stdout.write(f"{title} of {result.source}")
        for item in result.failed[:SHOWN]:
            self.stderr.write(f"  failed: {item['message']}")
        for path in result.attachments_refused[:SHOWN]:
            self.stderr.write(f"  attachment not stored: {path} is not a PNG, JPEG, GIF, WebP or PDF file")
        for slug in result.revived[:SHOWN]:
            self.stdout.write(f"  revived: {slug} (deleted in the CMS; --force brought it back)")
        for item in result.conflicts[:SHOWN]:
            self.stdout.write(f"  conflict: {item['file']} ({item['slug']}): {item['reason']}; --force overwrites")
        if verbosity > 1:
            for item in result.broken_links:
                self.stdout.write(f"  broken link in {item['post']}: {item['link']}")
        hidden = sum(max(0, len(items) - SHOWN) for items in (result.failed, result.conflicts, result.revived))
        if hidden:
            self.stdout.write(f"  … and {hidden} more (see --report)")
        if result.broken_links and verbosity < 2:
            self.stdout.write("  (-v 2 lists the broken links; --report writes everything)")
        summary = ", ".join(f"{value} {key}" for key, value in result.summary().items())
        self.stdout.write(self.style.SUCCESS(summary) if result.ok else self.style.WARNING(summary))
