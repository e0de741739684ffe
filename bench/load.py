"""Load benchmark: a reader's mix of pages under gunicorn + PostgreSQL + Redis with 15,000 posts.

    .venv/bin/python bench/load.py [--posts 15000] [--duration 60] [--connections 64]

Imports a dump of N posts made from the corpus into a fresh PostgreSQL database
(`vdwiki_bench_load`, made and dropped by this script), starts gunicorn with two workers and the
page cache in Redis, and runs wrk over a shuffled mix of paths: post pages, category and tag pages,
searches, legacy redirects (aliases as browsers send the dump's spellings: non-ASCII
percent-encoded, wholly percent-encoded, `+` or `%20` for spaces; `/<tiki_page_id>`;
`tiki-index.php?page_id=`) and feeds. Prints requests per second, p50/p99 latency and the count of
errors and answers that were not 2xx or 3xx, which must be zero; any path that answers so
afterwards is listed. The last line holds the figures.
"""

import argparse
import json
import random
import sys
import tempfile
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import quote

from dumps import ROOT, run
from server import PORT, environment, gunicorn, imported_database, need_wrk, wrk

DATABASE = "vdwiki_bench_load"
# The share of each kind of request in the mix, out of 100.
MIX = {"post": 40, "redirect": 20, "category": 10, "tag": 5, "search": 15, "feed": 10}
SEARCHES = ["vitamin d", "pregnancy", "omega-3", "cancer", "covid", "magnesium", "autism", "bone",
            "depression", "diabetes", "infant", "sun", "dose", "obesity", "heart", "muscle"]  # fmt: skip

SITE_PATHS = """
import django; django.setup()
from posts.models import Category, Post
from taggit.models import Tag
for post in Post.objects.published().only("slug"):
    print("post", post.get_absolute_url())
for category in Category.objects.all():
    print("category", category.get_absolute_url())
for tag in Tag.objects.all()[:500]:
    print("tag", f"/tags/{tag.slug}/")
"""


def alias_spellings(dump: Path) -> list[str]:
    """Every alias of the dump's posts, as a browser sends a legacy link to it: as written with
    only what is outside ASCII percent-encoded (gunicorn refuses raw bytes outside ASCII, as
    RFC 9112 asks), wholly percent-encoded, and with `%20` for spaces."""
    spellings = []
    for path in dump.glob("*.md"):
        meta, _ = json.JSONDecoder().raw_decode(path.read_text(encoding="utf-8"))
        for alias in meta.get("aliases", []):
            as_linked = quote(alias, safe="".join(map(chr, range(0x21, 0x7F))))
            spellings += [as_linked, quote(alias, safe="/+"), quote(alias.replace("+", " "), safe="/")]
        if "tiki_page_id" in meta:
            spellings += [f"/{meta['tiki_page_id']}", f"/tiki-index.php?page_id={meta['tiki_page_id']}"]
    return spellings


def request_mix(env: dict, dump: Path, size: int) -> list[str]:
    _, listed = run([sys.executable, "-c", SITE_PATHS], env)
    pools = {kind: [] for kind in MIX}
    for line in listed.splitlines():
        kind, path = line.split(" ", 1)
        pools[kind].append(path)
    pools["redirect"] = alias_spellings(dump)
    pools["search"] = [f"/search/?q={quote(words)}" for words in SEARCHES]
    pools["search"] += [f"{search}&page=2" for search in pools["search"]]
    pools["feed"] = ["/feed/"] + [f"{path}feed/" for path in pools["category"][:20] + pools["tag"][:20]]
    rng = random.Random(12)
    mix = [rng.choice(pools[kind]) for kind, share in MIX.items() for _ in range(size * share // 100)]
    rng.shuffle(mix)
    return mix


def failing(paths: list[str]) -> Counter:
    """The paths that do not answer 2xx or 3xx now, with their status."""
    opener = urllib.request.build_opener(NoRedirect)
    statuses = Counter()
    for path in sorted(set(paths)):
        try:
            opener.open(f"http://127.0.0.1:{PORT}{quote(path, safe='/?=&%+:')}", timeout=10)
        except urllib.error.HTTPError as error:
            if not 300 <= error.code < 400:
                statuses[f"{error.code} {path}"] += 1
        except OSError as error:
            statuses[f"{error} {path}"] += 1
    return statuses


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=15000)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    need_wrk("bench/load.py")

    with tempfile.TemporaryDirectory(prefix="vdwiki-load-") as tmp, imported_database(Path(tmp), DATABASE, args.posts):
        work = Path(tmp)
        env = environment(work, DATABASE, cache_pages=True)
        mix = request_mix(env, work / "dump", 20_000)
        paths_file = work / "paths.txt"
        paths_file.write_text("\n".join(mix) + "\n", encoding="utf-8")
        with gunicorn(env, work / "gunicorn.log"):
            url = f"http://127.0.0.1:{PORT}/"
            result = wrk(url, duration=args.duration, connections=args.connections,
                         script=ROOT / "bench" / "wrk_mix.lua", args=(str(paths_file),))  # fmt: skip
            bad_paths = failing(mix) if result["bad"] else Counter()

    kinds = ", ".join(f"{share}% {kind}" for kind, share in MIX.items())
    print(f"{args.posts} posts in PostgreSQL, gunicorn with 2 workers, page cache in Redis")
    print(f"wrk: {args.connections} connections for {args.duration} s over {len(set(mix))} distinct paths ({kinds})")
    for line in list(bad_paths)[:20]:
        print(f"  failing: {line}")
    print(
        f"load mix: {result['rps']:.0f} req/s, p50 {result['p50']:.1f} ms, p99 {result['p99']:.1f} ms, "
        f"{result['bad']} errors or non-2xx/3xx answers (must be 0)"
    )
    if result["bad"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
