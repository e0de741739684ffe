"""An import run's life: its progress and heartbeat while a process does it, and the end of
runs whose process died (kill -9, a lost machine) without finishing them."""

import logging
import time

from django.db import DatabaseError, connection, connections
from django.utils import timezone

from .models import ImportRun

ABANDONED = "The process doing this import stopped without finishing it (no sign of life since its last heartbeat)."
BEAT_EVERY = 1.0  # seconds, at most one write

logger = logging.getLogger(__name__)


def fail_abandoned() -> int:
    """Mark failed the runs whose process stopped giving signs of life; how many there were."""
    return ImportRun.objects.abandoned().update(finished=timezone.now(), succeeded=False, report={"aborted": ABANDONED})


class Progress:
    """Writes a run's progress (files done, of how many) and its heartbeat.

    A dry or strict run keeps one transaction open to its end; what is written in it would be
    seen by nobody until then. So inside one, the progress goes through a connection of its own
    (PostgreSQL), or waits for the end (SQLite, where one writer locks out all others).
    """

    def __init__(self, run: ImportRun) -> None:
        self.run = run
        self.total: int | None = None
        self._last_beat = 0.0
        self._own_connection = None

    def start(self, total: int | None) -> None:
        self.total = total
        ImportRun.objects.filter(pk=self.run.pk).update(heartbeat=timezone.now(), files_total=total)

    def beat(self, done: int) -> None:
        if time.monotonic() - self._last_beat < BEAT_EVERY:
            return
        self._last_beat = time.monotonic()
        if not connection.in_atomic_block:
            ImportRun.objects.filter(pk=self.run.pk).update(heartbeat=timezone.now(), files_done=done)
        elif connection.vendor != "sqlite":
            self._beat_aside(done)

    def finish(self, done: int, succeeded: bool, report: dict) -> None:
        if self._own_connection is not None:
            self._own_connection.close()
        now = timezone.now()
        run = self.run
        run.finished, run.heartbeat, run.files_done, run.succeeded, run.report = now, now, done, succeeded, report
        if run.files_total is None:
            run.files_total = self.total
        run.save()

    def _beat_aside(self, done: int) -> None:
        if self._own_connection is None:
            self._own_connection = connections.create_connection(connection.alias)
        own = self._own_connection
        try:
            with own.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {ImportRun._meta.db_table} SET heartbeat = %s, files_done = %s WHERE id = %s",
                    [own.ops.adapt_datetimefield_value(timezone.now()), done, self.run.pk],
                )
        except DatabaseError as error:
            logger.warning("Could not record the progress of import run %s: %s", self.run.pk, error)
