"""Serving benchmark: the site under gunicorn with 15,000 posts in PostgreSQL, loaded with wrk.

    .venv/bin/python bench/serve.py [--posts 15000] [--duration 20] [--connections 16]

Builds a dump of N posts from the corpus, imports it into a fresh PostgreSQL database
(`vdwiki_bench_serve` on 127.0.0.1, made and dropped by this script), starts gunicorn with two
workers on 127.0.0.1, and runs wrk on a post page, a category page and a search, first with the
page cache off ("cold": every request renders) and then on (Redis at 127.0.0.1:6379). With 16
connections on two cores a request mostly waits for the others, so the search also runs with one
connection: its latency there is what a reader waits; so does a search with a typo, which finds
nothing and offers "Did you mean" and close titles. Prints requests per second, p50/p95/p99
latency and the queries each request runs; the last line holds them all. Targets on the 2-core
machine: cached post page >= 1,500 req/s, uncached >= 300, search p95 < 50 ms.
"""

import argparse
import sys
import tempfile
import urllib.request
from pathlib import Path

from dumps import run
from server import PORT, environment, gunicorn, imported_database, need_wrk, wrk

DATABASE = "vdwiki_bench_serve"
PAGES = {
    "post": "/posts/recurrent-miscarriages-decreased-by-increased-vitamin-d-levels/",
    "category": "/categories/pregnancy/",
    "search": "/search/?q=vitamin+d+pregnancy",
    "typo": "/search/?q=vitamin+d+pregnancey",  # no result: "Did you mean" and close titles
}
TARGETS = "cached post >= 1500 req/s, cold post >= 300 req/s, search p95 < 50 ms"

COUNT_QUERIES = """
import django; django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
client = Client()
for url in {urls!r}:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        status = client.get(url).status_code
    print(url, status, len(queries))
"""


def load(path: str, duration: int, connections: int) -> dict:
    url = f"http://127.0.0.1:{PORT}{path}"
    urllib.request.urlopen(url, timeout=10)  # warm the page (and the cache, when on)
    result = wrk(url, duration=duration, connections=connections)
    print(f"  {path} with {connections} connections: {result['rps']:.0f} req/s, p95 {result['p95']:.1f} ms", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=15000)
    parser.add_argument("--duration", type=int, default=20, help="seconds of wrk per page and mode")
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    need_wrk("bench/serve.py")

    with tempfile.TemporaryDirectory(prefix="vdwiki-serve-") as tmp, imported_database(Path(tmp), DATABASE, args.posts):
        work = Path(tmp)
        env = environment(work, DATABASE, cache_pages=False)
        _, counted = run([sys.executable, "-c", COUNT_QUERIES.format(urls=list(PAGES.values()))], env)
        queries = {url: int(count) for url, _status, count in (line.split() for line in counted.splitlines())}
        results = {}
        for mode, cache_pages in (("cold", False), ("cached", True)):
            with gunicorn(environment(work, DATABASE, cache_pages=cache_pages), work / "gunicorn.log"):
                for name, path in PAGES.items():
                    results[mode, name] = load(path, args.duration, args.connections)
                results[mode, "search-1c"] = load(PAGES["search"], args.duration, 1)
                results[mode, "typo-1c"] = load(PAGES["typo"], args.duration, 1)

    setup = f"wrk with {args.connections} connections for {args.duration} s"
    print(f"{args.posts} posts in PostgreSQL, gunicorn with 2 workers, {setup}")
    print(f"{'page':<10}{'mode':<8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'queries':>9}")
    for (mode, name), r in results.items():
        url = PAGES[name.removesuffix("-1c")]
        print(f"{name:<10}{mode:<8}{r['rps']:>9.0f}{r['p50']:>9.1f}{r['p95']:>9.1f}{r['p99']:>9.1f}{r['bad']:>9}"
              f"{queries[url] if mode == 'cold' else 0:>9}")  # fmt: skip
    cached, cold, search = results["cached", "post"], results["cold", "post"], results["cold", "search-1c"]
    typo = results["cold", "typo-1c"]
    print(
        f"cached post {cached['rps']:.0f} req/s ({cached['rps'] / 1500:.2f}x target); "
        f"cold post {cold['rps']:.0f} req/s ({cold['rps'] / 300:.2f}x target); "
        f"cold search p95 {search['p95']:.1f} ms with 1 connection, "
        f"{results['cold', 'search']['p95']:.1f} ms with {args.connections} (target 50); "
        f"cold search with a typo p95 {typo['p95']:.1f} ms with 1 connection; "
        f"category cached {results['cached', 'category']['rps']:.0f} req/s; targets: {TARGETS}"
    )


if __name__ == "__main__":
    main()
