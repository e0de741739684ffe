"""What readers ask for, counted: the addresses the site does not have (path, hits, first and last
seen, the last referrer), so that an editor can make the ones that meant a post its aliases; and
how often each alias answers. A count is never worth a reader's wait or an error page: it is
skipped when the database cannot take it at once."""

import logging
import random
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import F
from django.utils import timezone

from .aliases import hidden_address, normalize_path
from .models import Alias, NotFound

logger = logging.getLogger(__name__)
PRUNE_EVERY = 100  # new addresses, on average
MAX_LENGTH = NotFound._meta.get_field("path").max_length


def record(request) -> None:
    """Count a 404 of the request's address, in the aliases' normal form. Addresses no alias could
    take (the site's own pages and files, overlong ones) are not counted. Never fails the page."""
    if request.method not in ("GET", "HEAD"):
        return
    path = normalize_path(request.path, request.META.get("QUERY_STRING", ""), decoded=True)
    if len(path) > MAX_LENGTH or hidden_address(path):
        return
    referrer = request.META.get("HTTP_REFERER", "")[:MAX_LENGTH]
    try:
        with without_waiting():
            _count(path, referrer)
    except DatabaseError as error:
        logger.warning("A 404 of %s was not counted: %s", path, error)


def alias_hit(alias_id: int) -> None:
    """Count an answer of the alias."""
    try:
        with without_waiting():
            Alias.objects.filter(pk=alias_id).update(hits=F("hits") + 1, last_hit=timezone.now())
    except DatabaseError as error:
        logger.warning("A use of alias %s was not counted: %s", alias_id, error)


@contextmanager
def without_waiting():
    """On SQLite, a database another connection is writing (an import, a test's transaction)
    answers "locked" at once instead of after the busy timeout: the count is skipped, the page
    served. Set on the driver's connection, as a setting of it rather than a query of the request."""
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    waited = raw.execute("PRAGMA busy_timeout").fetchone()[0]
    raw.execute("PRAGMA busy_timeout = 0")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA busy_timeout = {int(waited)}")


def _count(path: str, referrer: str) -> None:
    """One query for an address seen before, two for a new one. Two requests of the same moment
    for a new address may count it once."""
    now = timezone.now()
    seen = {"hits": F("hits") + 1, "last_seen": now, **({"referrer": referrer} if referrer else {})}
    if NotFound.objects.filter(path=path).update(**seen):
        return
    NotFound.objects.bulk_create(
        [NotFound(path=path, referrer=referrer, first_seen=now, last_seen=now)], ignore_conflicts=True
    )
    if random.randrange(PRUNE_EVERY) == 0:
        prune()


def prune() -> None:
    """Forget the least asked-for addresses beyond VDWIKI_NOT_FOUND_KEPT: a scanner's thousands
    of one-off paths do not grow the table without end."""
    excess = NotFound.objects.count() - settings.VDWIKI_NOT_FOUND_KEPT
    if excess > 0:
        forgotten = NotFound.objects.order_by("hits", "last_seen").values_list("pk", flat=True)[:excess]
        NotFound.objects.filter(pk__in=list(forgotten)).delete()
