"""Search relevance on the corpus, as a reader meets it: do the posts asked for come first?

    .venv/bin/python bench/relevance.py [--postgres]

Imports the corpus (seed and posts) into a fresh SQLite database in a temporary directory, or
with --postgres into a fresh PostgreSQL database (`vdwiki_bench_relevance` on 127.0.0.1, made
and dropped by this script), then measures through posts/search.py, as the search page uses it:

- categories: for every category readers see with at least 5 published posts, the share of the
  top 10 results for the category's name that are in that category or hold its words in their
  title; the average over the categories (goal >= 0.8);
- typos: for 100 published posts' titles (chosen with a fixed seed) with one letter of one word
  changed, the share whose post is in the top 3 results, or in the top 3 results of the query
  the page offers behind "Did you mean" (goal >= 0.9). Also printed: the share found among the
  close titles the page shows.

The last line holds the figures.
"""

import argparse
import os
import random
import re
import shutil
import sys
import tempfile
from pathlib import Path

from dumps import ROOT, corpus_files, run
from server import environment, psql

DATABASE = "vdwiki_bench_relevance"
TYPOS = 100
SEED = 15
MIN_POSTS = 5
TOP = 10
TYPO_TOP = 3
WORD = re.compile(r"[^\W\d_]+")
NAME_STOPWORDS = {"a", "an", "and", "of", "the", "in", "on", "for", "to", "or", "with", "by", "is"}


def import_corpus(work: Path, postgres: bool) -> dict:
    dump = work / "dump"
    dump.mkdir()
    for path in corpus_files():
        shutil.copy(path, dump)
    env = environment(work, DATABASE, cache_pages=False)
    del env["REDIS_URL"]  # the local cache: nothing left from another run of another database
    if not postgres:
        env["DATABASE_URL"] = f"sqlite:///{work / 'db.sqlite3'}"
    manage = [sys.executable, "manage.py"]
    run([*manage, "migrate", "--noinput", "-v", "0"], env)
    run([*manage, "import_dump", str(dump), "--no-progress"], env)
    return env


def name_words(name: str) -> list[str]:
    return [word for word in WORD.findall(name.casefold()) if word not in NAME_STOPWORDS]


def category_shares() -> list[tuple[str, int, float]]:
    from posts.models import Category, Post
    from posts.search import search

    shares = []
    for category in Category.objects.shown().order_by("name"):
        members = set(Post.objects.published().filter(categories=category).values_list("pk", flat=True))
        if len(members) < MIN_POSTS:
            continue
        words = name_words(category.name)
        top = list(search(category.name)[:TOP])
        good = [post for post in top if post.pk in members or all(word in post.title.casefold() for word in words)]
        shares.append((category.name, len(members), len(good) / len(top) if top else 0.0))
    return shares


def with_one_letter_changed(title: str, rng: random.Random) -> str | None:
    """The title with one letter of one of its words (of 4 letters or more) replaced by another."""
    words = [match for match in WORD.finditer(title) if len(match[0]) >= 4]
    if not words:
        return None
    word = rng.choice(words)
    at = word.start() + rng.randrange(len(word[0]))
    letter = rng.choice([c for c in "abcdefghijklmnopqrstuvwxyz" if c != title[at].lower()])
    return title[:at] + letter + title[at + 1 :]


def typo_findings() -> tuple[int, int, int, int, list[str]]:
    """(asked, found in the top 3, found behind "Did you mean", found among close titles, misses)."""
    from posts.models import Post
    from posts.search import search, suggest

    rng = random.Random(SEED)
    posts = list(Post.objects.published().order_by("pk").only("title"))
    asked = top = behind = close = 0
    misses = []
    for post in rng.sample(posts, min(len(posts) * 3, len(posts))):
        if asked == TYPOS:
            break
        query = with_one_letter_changed(post.title, rng)
        if query is None:
            continue
        asked += 1
        results = search(query)
        suggestion = suggest(results)
        if post.pk in [found.pk for found in results[:TYPO_TOP]]:
            top += 1
        elif suggestion.query and post.pk in [found.pk for found in search(suggestion.query)[:TYPO_TOP]]:
            behind += 1
        else:
            misses.append(f"{query!r} (suggested {suggestion.query!r})")
        if post.pk in [found.pk for found in suggestion.titles]:
            close += 1
    return asked, top, behind, close, misses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    args = parser.parse_args()
    engine = "PostgreSQL" if args.postgres else "SQLite"
    with tempfile.TemporaryDirectory() as work:
        if args.postgres:
            psql(f"DROP DATABASE IF EXISTS {DATABASE}")
            psql(f"CREATE DATABASE {DATABASE}")
        try:
            os.environ.update(import_corpus(Path(work), args.postgres))
            sys.path.insert(0, str(ROOT))
            import django

            django.setup()
            shares = category_shares()
            asked, top, behind, close, misses = typo_findings()
        finally:
            if args.postgres:
                from django.db import connections

                connections.close_all()
                psql(f"DROP DATABASE IF EXISTS {DATABASE}")
    for name, count, share in shares:
        print(f"  {name!r} ({count} posts): {share:.1f}")
    for miss in misses:
        print(f"  missed: {miss}")
    average = sum(share for _, _, share in shares) / len(shares)
    typo_share = (top + behind) / asked
    print(
        f"{engine}: category share {average:.2f} over {len(shares)} categories (goal 0.8); "
        f"typos {typo_share:.2f} of {asked} ({top} in the top {TYPO_TOP}, {behind} behind Did you mean; "
        f"{close / asked:.2f} among close titles) (goal 0.9)"
    )


if __name__ == "__main__":
    main()
