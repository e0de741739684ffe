import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

CORPUS = Path(os.environ.get("VDWIKI_CORPUS", Path(settings.BASE_DIR).parent / "shared" / "corpus"))
CORPUS_POSTS = CORPUS / "posts"
CORPUS_SEED = CORPUS / "seed"
CORPUS_FILES = sorted([*CORPUS_POSTS.glob("*.md"), *CORPUS_SEED.glob("*.md")])
if not CORPUS_FILES:  # else every test over the corpus would be collected as "skipped", and CI stay green
    raise pytest.UsageError(f"No corpus at {CORPUS}: set VDWIKI_CORPUS to the directory holding posts/ and seed/.")


@pytest.fixture
def corpus_dump(tmp_path):
    """The whole corpus (posts and seed) as one dump directory."""
    dump = tmp_path / "dump"
    dump.mkdir()
    for source in CORPUS_FILES:
        (dump / source.name).write_bytes(source.read_bytes())
    return dump


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with no cached pages (the database is rolled back between tests, the cache is not)."""
    cache.clear()


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
