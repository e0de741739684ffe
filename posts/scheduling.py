"""Scheduled revisions go live at their time, with cron or without it.

`manage.py publish_scheduled` publishes them, for cron. Without it the first request after the
time does: each request compares the clock with the next due time. That time is kept in the shared
cache, so a schedule made through one app server is seen by all, and each process reads it from
there at most once a second.
"""

import logging
import time

from django.core.cache import cache

NEXT_DUE_KEY = "vdwiki:next-publish"
NOTHING_SCHEDULED = 0.0
READ_EVERY = 1.0  # seconds

logger = logging.getLogger(__name__)
_read: dict[str, float] = {"due": NOTHING_SCHEDULED, "at": float("-inf")}


def publish_if_due(**_signal_kwargs) -> None:
    due = _next_due()
    if due != NOTHING_SCHEDULED and due <= time.time():
        from .workflow import publish_due

        for post in publish_due():
            logger.info("Published “%s” at its scheduled time", post)


def forget() -> None:
    """The schedule changed: the next request reads it from the database again."""
    cache.delete(NEXT_DUE_KEY)
    _read["at"] = float("-inf")


def _next_due() -> float:
    if time.monotonic() - _read["at"] < READ_EVERY:
        return _read["due"]
    due = cache.get(NEXT_DUE_KEY)
    if due is None:
        from .workflow import next_due

        at = next_due()
        due = at.timestamp() if at else NOTHING_SCHEDULED
        cache.set(NEXT_DUE_KEY, due, timeout=None)
    _read.update(due=due, at=time.monotonic())
    return due
