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
KEEP_FOR = 60  # seconds

logger = logging.getLogger(__name__)
_read: dict[str, float] = {"due": NOTHING_SCHEDULED, "at": float("-inf"), "tried": float("-inf")}


def publish_if_due(**_signal_kwargs) -> None:
    now = time.monotonic()
    if now - _read["tried"] < READ_EVERY:
        return  # a failed attempt is tried again a second later, not at every request
    try:
        due = _next_due()
        if due != NOTHING_SCHEDULED and due <= time.time():
            _read["tried"] = now
            from .workflow import publish_due  # workflow imports this module

            for post in publish_due():
                logger.info("Published “%s” at its scheduled time", post)
    except Exception:
        # Never fail the request: the page asked for may still be served (from the cache), and
        # cron's publish_scheduled or a later request publishes once the cause is gone.
        logger.exception("Scheduled revisions could not be published")


def forget() -> None:
    """The schedule changed: the next request reads it from the database again."""
    cache.delete(NEXT_DUE_KEY)
    _read["at"] = _read["tried"] = float("-inf")


def _next_due() -> float:
    if time.monotonic() - _read["at"] < READ_EVERY:
        return _read["due"]
    due = cache.get(NEXT_DUE_KEY)
    if due is None:
        from .workflow import next_due  # workflow imports this module

        at = next_due()
        due = at.timestamp() if at else NOTHING_SCHEDULED
        # Not kept for ever: a value read just before a schedule was committed, and stored just
        # after that change's forget(), must not hide it for longer than this.
        cache.set(NEXT_DUE_KEY, due, KEEP_FOR)
    _read.update(due=due, at=time.monotonic())
    return due
