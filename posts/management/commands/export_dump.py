from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from posts.legacy.export import ExportError, export_dump


class Command(BaseCommand):
    help = (
        "Write the posts back as a legacy dump: one <slug>.md file per post, JSON front matter, then the"
        " Markdown body; import_dump reads it back. Published posts only, unless --include-drafts;"
        " deleted posts are never written."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "directory", type=Path, help="where to write the .md files (made if missing; must be empty)"
        )
        parser.add_argument(
            "--include-drafts",
            action="store_true",
            help="also write the posts readers do not see (draft, in review, scheduled, unpublished), marked"
            ' "draft": true; without it the export is the public site',
        )
        parser.add_argument(
            "--force", action="store_true", help="write into a directory that is not empty, over files of the same name"
        )

    def handle(self, *args, directory, include_drafts, force, **options):
        try:
            report = export_dump(directory, include_drafts=include_drafts, force=force)
        except ExportError as error:
            raise CommandError(str(error)) from None
        if report.deleted_left_out:
            self.stdout.write(f"  {report.deleted_left_out} deleted post(s) left out")
        if report.drafts_left_out:
            self.stdout.write(
                f"  {report.drafts_left_out} post(s) readers do not see left out (--include-drafts writes them)"
            )
        if report.site_pages_left_out:
            self.stdout.write(
                f"  {report.site_pages_left_out} site page(s) left out: the dump's format holds posts only"
            )
        if report.others_in_directory:
            self.stdout.write(
                self.style.WARNING(
                    f"  {report.others_in_directory} other .md file(s) in {directory} left as they were:"
                    " an import of the directory reads them too"
                )
            )
        self.stdout.write(self.style.SUCCESS(f"{report.written} posts written to {directory}"))
