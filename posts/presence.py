"""Who has a post's edit page open, kept in the shared cache (each open page reports every
PING_EVERY seconds; one not heard from for FORGET_AFTER has closed). Advisory only: a save made
from an outdated page is refused anyway (workflow.EditConflict)."""

import time

from django.core.cache import cache

PING_EVERY = 20  # seconds; posts/static/posts/presence.js pings at this pace
FORGET_AFTER = 60


def here(post_id: int, username: str) -> list[str]:
    """Note that `username` has the page open; the others who have it open, by name."""
    key = f"vdwiki:presence:{post_id}"
    now = time.time()
    seen = {name: at for name, at in (cache.get(key) or {}).items() if now - at < FORGET_AFTER}
    seen[username] = now
    cache.set(key, seen, FORGET_AFTER)
    return sorted(name for name in seen if name != username)
