"""Front benchmark: one post page, 15,000 posts in PostgreSQL, four ways of serving it, in one run.

    .venv/bin/python bench/front.py [--posts 15000] [--duration 15] [--connections 32]

1. static: nginx sending the page's HTML from a file, the machine's limit for this page;
2. front: the page through nginx with deploy/nginx/vdwiki.conf (the microcache) before gunicorn;
3. cached: gunicorn alone, answering from Django's page cache (Redis);
4. uncached: gunicorn alone, rendering every request.
gunicorn runs 2 workers, nginx 2, on the same 2 cores as wrk. The database (`vdwiki_bench_front`)
is made and dropped by this script. Goals: front >= 0.5x static, cached >= 1,500 req/s, uncached
no slower than before the redesign (about 500 req/s). The last line holds the figures.
"""

import argparse
import sys
import tempfile
import urllib.request
from pathlib import Path

from dumps import ROOT
from server import PORT, environment, gunicorn, imported_database, need_wrk, wrk

sys.path.insert(0, str(ROOT))
from deploy.local import running_nginx  # noqa: E402  (the repository's root is on the path now)

DATABASE = "vdwiki_bench_front"
POST = "/posts/recurrent-miscarriages-decreased-by-increased-vitamin-d-levels/"
FRONT_PORT = PORT + 1
GOALS = "front >= 0.5x static, cached >= 1500 req/s, uncached >= 500 req/s"


def load(name: str, url: str, duration: int, connections: int) -> dict:
    with urllib.request.urlopen(url, timeout=10) as answer:  # warm it, and check it answers
        assert answer.status == 200, (url, answer.status)
    result = wrk(url, duration=duration, connections=connections)
    figures = f"{result['rps']:>7.0f} req/s, p50 {result['p50']:.1f} ms, p99 {result['p99']:.1f} ms"
    print(f"  {name:<9} {figures}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=15000)
    parser.add_argument("--duration", type=int, default=15, help="seconds of wrk for each way")
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    need_wrk("bench/front.py")

    results = {}
    with tempfile.TemporaryDirectory(prefix="vdwiki-front-") as tmp, imported_database(Path(tmp), DATABASE, args.posts):
        work = Path(tmp)
        app = f"http://127.0.0.1:{PORT}"
        with gunicorn(environment(work, DATABASE, cache_pages=True), work / "gunicorn.log"):
            html = urllib.request.urlopen(app + POST, timeout=10).read()
            (work / "static" / "post.html").write_bytes(html)
            with running_nginx(
                work / "nginx",
                port=FRONT_PORT,
                app_servers=[f"127.0.0.1:{PORT}"],
                static_root=work / "static",
                media_root=work / "media",
                workers=2,
            ) as front:
                results["static"] = load("static", f"{front}/static/post.html", args.duration, args.connections)
                results["front"] = load("front", front + POST, args.duration, args.connections)
            results["cached"] = load("cached", app + POST, args.duration, args.connections)
        with gunicorn(environment(work, DATABASE, cache_pages=False), work / "gunicorn.log"):
            results["uncached"] = load("uncached", app + POST, args.duration, args.connections)

    setup = f"wrk {args.connections} connections {args.duration} s"
    print(f"{args.posts} posts in PostgreSQL, {len(html):,} bytes of HTML, {setup}")
    print(f"{'way':<10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'bad':>6}")
    for name, r in results.items():
        print(f"{name:<10}{r['rps']:>9.0f}{r['p50']:>9.1f}{r['p99']:>9.1f}{r['bad']:>6}")
    static, front, cached, uncached = (results[name]["rps"] for name in ("static", "front", "cached", "uncached"))
    print(
        f"static {static:.0f} req/s; front {front:.0f} req/s ({front / static:.2f}x static, goal 0.5x); "
        f"cached {cached:.0f} req/s ({cached / 1500:.2f}x goal); uncached {uncached:.0f} req/s ({uncached / 500:.2f}x"
        f" the 500 before); errors {sum(r['bad'] for r in results.values())}; goals: {GOALS}"
    )


if __name__ == "__main__":
    main()
