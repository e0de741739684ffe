"""Public reads benchmark: an uncached post page of this checkout against the baseline's, with
15,000 posts in PostgreSQL.

    .venv/bin/python bench/reads.py [--baseline REF] [--also REF ...] [--posts 15000] [--rounds 3]

Imports a dump of N posts into a fresh PostgreSQL database (`vdwiki_bench_reads`, made and
dropped by this script) and serves a post page from it, page cache off, from each checkout in
turn: this one, the baseline (by default the commit where this branch left `main`) and any
other commit named with --also (each unpacked with `git archive`). A round gives each checkout
wrk on gunicorn (2 workers) and 300 requests in one process, timed by CPU (steadier than req/s
on a machine shared with other work); each checkout's figure is its best round, as other work
only ever slows a round down. It also times rendering and storing every post's article
(`store_all_articles`, what the importer and `rerender` do) in each checkout. The last line holds
the figures and the ratios to the baseline.
"""

import argparse
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

from dumps import ROOT
from server import environment, gunicorn, imported_database, need_wrk, wrk

DATABASE = "vdwiki_bench_reads"
BIND = "127.0.0.1:8131"  # not the other serving benchmarks' port: they may run at the same time
POST = "/posts/recurrent-miscarriages-decreased-by-increased-vitamin-d-levels/"

IN_PROCESS = f"""
import statistics, time
import django; django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
client = Client()
for _ in range(30):
    assert client.get({POST!r}).status_code == 200
with CaptureQueriesContext(connection) as queries:
    client.get({POST!r})
count = len(queries)  # the next request clears Django's log of them
cpu = []
for _ in range(300):
    start = time.process_time()
    client.get({POST!r})
    cpu.append(time.process_time() - start)
print(count, statistics.median(cpu) * 1000)
"""
ARTICLES = """
import time
import django; django.setup()
from posts import article
from posts.models import Post
start = time.perf_counter()
if hasattr(article, "store_all_articles"):  # the name before 7d1296d
    article.store_all_articles()
else:
    article.store_articles(Post.objects.values_list("pk", flat=True))
print(time.perf_counter() - start)
"""


def unpacked(ref: str, target: Path) -> Path:
    """The tree of commit `ref` of this repository, written to `target`."""
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
    target.mkdir()
    with tempfile.TemporaryFile() as file:
        file.write(archive)
        file.seek(0)
        with tarfile.open(fileobj=file) as tar:
            tar.extractall(target, filter="data")
    return target


def python_in(root: Path, code: str, env: dict) -> list[str]:
    """What `code` prints, run by Python in the checkout at `root`."""
    result = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"Python in {root} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="commit to compare with (default: where this branch left main)")
    parser.add_argument("--also", nargs="*", default=[], help="other commits to measure beside them")
    parser.add_argument("--posts", type=int, default=15000)
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    need_wrk("bench/reads.py")
    git = ["git", "merge-base", "HEAD", "main"]
    baseline = args.baseline or subprocess.run(git, cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()

    with tempfile.TemporaryDirectory(prefix="vdwiki-reads-") as tmp, imported_database(Path(tmp), DATABASE, args.posts):
        work = Path(tmp)
        env = environment(work, DATABASE, cache_pages=False) | {"GUNICORN_BIND": BIND}
        checkouts = {"this": ROOT, "baseline": unpacked(baseline, work / "baseline")}
        checkouts |= {ref: unpacked(ref, work / f"also-{ref}") for ref in args.also}
        # This checkout's articles are stored last: they are the ones every checkout then reads (an
        # older one ignores what it does not know; this one would render again articles without it).
        stored = reversed(list(checkouts.items()))
        articles = {name: float(python_in(root, ARTICLES, env)[0]) for name, root in stored}
        rps, cpu, queries = {name: [] for name in checkouts}, {name: [] for name in checkouts}, {}
        for round_ in range(args.rounds):
            for name, root in checkouts.items():
                count, ms = python_in(root, IN_PROCESS, env)
                queries[name] = int(count)
                cpu[name].append(float(ms))
                with gunicorn(env, work / f"gunicorn-{name}.log", root=root):
                    url = f"http://{BIND}{POST}"
                    urllib.request.urlopen(url, timeout=10)
                    result = wrk(url, duration=args.duration, connections=args.connections)
                if result["bad"]:  # fast failures are no figure of a page: the round does not count
                    print(f"round {round_ + 1} {name}: {result['bad']} errors or non-2xx answers", flush=True)
                    continue
                rps[name].append(result["rps"])
                print(f"round {round_ + 1} {name}: {rps[name][-1]:.0f} req/s, {cpu[name][-1]:.2f} ms CPU", flush=True)

    print(f"{args.posts} posts in PostgreSQL, page cache off, baseline {baseline[:10]}; gunicorn with 2 workers,")
    print(f"wrk with {args.connections} connections, {args.rounds} rounds of {args.duration} s, best round each")
    base_rps, base_cpu, base_articles = max(rps["baseline"]), min(cpu["baseline"]), articles["baseline"]
    figures = []
    for name in checkouts:
        best_rps, best_cpu = max(rps[name]), min(cpu[name])
        figures.append(
            f"{name} {best_rps:.0f} req/s ({best_rps / base_rps:.2f}x), {best_cpu:.2f} ms CPU a page "
            f"({best_cpu / base_cpu:.2f}x), {queries[name]} queries, articles {articles[name]:.1f} s "
            f"({articles[name] / base_articles:.2f}x)"
        )
    print("uncached post page: " + "; ".join(figures))


if __name__ == "__main__":
    main()
