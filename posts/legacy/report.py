"""What an import did (or, in a dry run, would do): the report the command prints, the admin shows
and the run keeps (ImportRun.report)."""

from dataclasses import asdict, dataclass, field

from .dump import DumpError


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    source: str
    dry_run: bool = False
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    revived: list[str] = field(default_factory=list)  # deleted in the CMS, brought back by --force
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    aliases_created: int = 0
    attachments_registered: int = 0
    attachments_stored: int = 0
    attachments_missing: list[str] = field(default_factory=list)
    attachments_refused: list[str] = field(default_factory=list)
    broken_links: list[dict] = field(default_factory=list)
    aborted: str = ""
    run_id: int | None = None  # its ImportRun

    def counts(self) -> tuple[int, int, int]:
        return self.aliases_created, self.attachments_registered, self.attachments_stored

    def restore(self, counts: tuple[int, int, int]) -> None:
        self.aliases_created, self.attachments_registered, self.attachments_stored = counts

    @property
    def ok(self) -> bool:
        return not self.failed and not self.aborted

    def files_done(self) -> int:
        return sum(map(len, (self.created, self.updated, self.unchanged, self.conflicts, self.failed)))

    def fail(self, error: DumpError) -> None:
        self.failed.append(
            {
                "file": error.name,
                "field": error.field,
                "line": error.line,
                "column": error.column,
                "message": str(error),
            }
        )

    def summary(self) -> dict:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "conflicts": len(self.conflicts),
            "failed": len(self.failed),
            "revived": len(self.revived),
            "aliases": self.aliases_created,
            "attachments": self.attachments_registered,
            "attachments stored": self.attachments_stored,
            "attachments refused": len(self.attachments_refused),
            "broken links": len(self.broken_links),
        }

    def to_dict(self) -> dict:
        return {"summary": self.summary(), **asdict(self)}
