"""Import benchmark: vdwiki's importer against Hugo building the same dump.

    .venv/bin/python bench/import.py --posts 15000 [--database-url postgres://…/db]

Builds a dump of N posts from the corpus (copies get unique slugs, ids and aliases), imports it
into a fresh database, imports it again (all unchanged), and times Hugo building the same
content. Prints the figures; the last line holds them all with the ratios to Hugo's time.
Targets on the 2-core machine: import within 3x Hugo, re-import within 1x, peak memory < 300 MB.
"""

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from dumps import build_dump, run

HUGO_CONFIG = """baseURL = "http://localhost/"
title = "bench"
disableKinds = ["RSS", "sitemap"]
[markup.goldmark.renderer]
unsafe = true
"""
HUGO_SINGLE = "<html><body><main>{{ .Content }}</main></body></html>\n"
HUGO_LIST = '<html><body>{{ range .Pages }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</body></html>\n'
HUGO_TOC = "{{ .Page.TableOfContents }}\n"


def time_hugo(dump: Path, work: Path) -> float:
    site = work / "hugo-site"
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "layouts" / "shortcodes").mkdir(parents=True)
    (site / "hugo.toml").write_text(HUGO_CONFIG)
    (site / "layouts" / "_default" / "single.html").write_text(HUGO_SINGLE)
    (site / "layouts" / "_default" / "list.html").write_text(HUGO_LIST)
    (site / "layouts" / "shortcodes" / "toc.html").write_text(HUGO_TOC)
    shutil.copytree(dump, site / "content" / "posts")
    hugo = Path(sys.executable).parent / "hugo"
    # Hugo's time varies by a third from run to run here: the median of three builds, each fresh.
    command = [str(hugo), "--quiet", "--source", str(site), "--destination"]
    builds = [run([*command, str(work / f"public-{n}")], os.environ.copy()) for n in range(3)]
    return statistics.median(elapsed for elapsed, _ in builds)


def peak_child_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=15000)
    parser.add_argument("--database-url", help="an empty database to import into (default: a fresh SQLite file)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="vdwiki-bench-") as tmp:
        work = Path(tmp)
        dump = work / "dump"
        build_dump(dump, args.posts)
        env = {
            **os.environ,
            "DATABASE_URL": args.database_url or f"sqlite:///{work / 'bench.sqlite3'}",
            "MEDIA_ROOT": str(work / "media"),
            "DJANGO_LOG_LEVEL": "WARNING",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        }
        manage = [sys.executable, "manage.py"]
        run([*manage, "migrate", "--noinput", "-v", "0"], env)
        baseline_memory = peak_child_memory_mb()
        first, out = run([*manage, "import_dump", str(dump), "--no-progress"], env)
        print(out.strip().splitlines()[-1])
        memory = peak_child_memory_mb()
        second, out = run([*manage, "import_dump", str(dump), "--no-progress"], env)
        print(out.strip().splitlines()[-1])
        memory = max(memory, peak_child_memory_mb())
        hugo = time_hugo(dump, work)

    print(f"posts: {args.posts}  database: {'PostgreSQL' if args.database_url else 'SQLite'}")
    print(f"import:    {first:7.1f} s  ({args.posts / first:,.0f} posts/s)")
    print(f"re-import: {second:7.1f} s  ({args.posts / second:,.0f} posts/s)")
    print(f"hugo:      {hugo:7.1f} s  (median of 3 builds)")
    print(f"peak memory of the import process: {memory:.0f} MB (migrate alone: {baseline_memory:.0f} MB)")
    print(
        f"import {first:.1f}s = {first / hugo:.2f}x hugo; re-import {second:.1f}s = {second / hugo:.2f}x hugo; "
        f"hugo {hugo:.1f}s; {args.posts / first:,.0f} posts/s; peak {memory:.0f} MB"
    )


if __name__ == "__main__":
    main()
