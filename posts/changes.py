"""What depends on a change to posts, brought up to date by the code that makes the change.

Four things are made from posts and kept for speed: each post's stored article (article.py), the
links each published post makes to the site (links.py), each tag's digest of its published posts
(related.py), and the cached pages (cache.py, stale once the content version moves). The
workflow's verbs, the importer and `manage.py rerender` call `refresh` with the posts they
changed; receivers.py calls it for what other apps change behind our back (a user, category or
tag renamed or deleted). Nothing else does: a change made otherwise (a model's
save(), QuerySet.update()) shows once `manage.py rerender` runs.
"""

from collections.abc import Iterable
from functools import partial

from django.db import transaction

from .article import store_articles
from .cache import bump_content_version
from .links import store_links
from .related import refresh_tag_digests


def refresh(post_ids: Iterable[int] = (), *, seen: bool, tag_ids: Iterable[int] | None = ()) -> None:
    """Bring up to date what depends on these posts, changed in the current transaction.

    Their articles are stored at once, in the transaction, so they commit or roll back with the
    change. `seen`: readers see the change (a post they reach changed, or what they see of one);
    then, once it commits, the digests of `tag_ids` (every tag's for None) are remade, and only
    after them cached pages go stale: a page cached in between would keep the old related posts.
    Both wait for the commit: before it, another request could still read and cache what was.
    """
    post_ids = set(post_ids)
    store_articles(post_ids)
    store_links(post_ids)
    if not seen:
        return
    tag_ids = None if tag_ids is None else set(tag_ids)
    if tag_ids is None or tag_ids:
        transaction.on_commit(partial(refresh_tag_digests, tag_ids), robust=True)
    transaction.on_commit(bump_content_version, robust=True)
