"""Admin benchmark: the editors' pages with 15,000 posts and 30,000 aliases in PostgreSQL.

    .venv/bin/python bench/admin.py [--posts 15000] [--requests 20]

Builds a dump of N posts from the corpus, imports it into a fresh PostgreSQL database
(`vdwiki_bench_admin` on 127.0.0.1, made and dropped by this script), sends 300 posts through the
workflow (200 new drafts submitted, 100 published posts with changes in review), then, logged in
as a moderator, requests each admin page N times in-process (Django's test client, DEBUG off) and
prints the median and p95 time and the queries of each. Target on the 2-core machine: every page
(the dashboard, the post list, the review queue, the comparison, a post's edit page...) within
300 ms, with a bounded number of queries.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from dumps import build_dump, run

DATABASE = os.environ.get("VDWIKI_BENCH_DATABASE", "vdwiki_bench_admin")  # another name for parallel runs
TARGET_MS = 300

MEASURE = """
import json, statistics, time
import django; django.setup()
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from posts import workflow
from posts.models import Post

moderator = User.objects.create_user("bench-moderator", is_staff=True)
moderator.groups.add(Group.objects.get(name="Moderator"))
author = User.objects.create_user("bench-author", is_staff=True)
author.groups.add(Group.objects.get(name="Author"))
for n in range(200):
    post = workflow.create(by=author, content=workflow.Content(f"Draft {{n}}", f"bench-draft-{{n}}", "Words " * 200))
    workflow.submit(post, by=author)
for post in Post.objects.published().order_by("-date")[:100]:
    latest = post.latest_revision
    was = workflow.Content.of(latest)
    more = workflow.Content(was.title, was.slug, was.body + "\\n\\nMore.", was.categories, was.tags)
    workflow.edit(post, by=moderator, content=more, based_on=latest)
    workflow.submit(post, by=moderator)
reader = Client()
for n in range(2000):  # addresses readers asked for and the site does not have
    reader.get(f"/an-old-page-{{n % 700}}-about-vitamin-d-{{n}}", HTTP_REFERER="https://example.org/")
busy = Post.objects.published().order_by("-date").first()
new = Post.objects.filter(slug="bench-draft-0").get()
pages = {{
    "dashboard": "/admin/",
    "post list": "/admin/posts/post/",
    "post list, in review": "/admin/posts/post/?state=in_review",
    "post list, a category": "/admin/posts/post/?categories__id__exact=" + str(busy.categories.first().pk),
    "post list, search": "/admin/posts/post/?q=vitamin+d",
    "post list, pasted URL": "/admin/posts/post/?q=https://vitamindwiki.com/posts/" + busy.slug + "/",
    "review queue": "/admin/posts/postinreview/",
    "edit page": f"/admin/posts/post/{{busy.pk}}/change/",
    "history": f"/admin/posts/post/{{busy.pk}}/history/",
    "compare": f"/admin/posts/post/{{busy.pk}}/compare/",
    "compare, a new post": f"/admin/posts/post/{{new.pk}}/compare/",
    "next in review": "/admin/posts/postinreview/next/",
    "audit log": "/admin/posts/postaction/",
    "add page": "/admin/posts/post/add/",
    "post titles, 1 word": "/admin/posts/post/titles/?q=vitamin",
    "post titles, 3 words": "/admin/posts/post/titles/?q=vitamin+d+pregnancy",
    "tag names": "/admin/posts/post/tag-names/?q=vit",
    "post list, deleted too": "/admin/posts/post/?state=any",
    "Markdown search, common": "/admin/posts/post/source-search/?q=vitamin+D",
    "Markdown search, rare": "/admin/posts/post/source-search/?q=%3Cbr&exclude=ZZZ",
    "Markdown search, case": "/admin/posts/post/source-search/?q=Vitamin+D&case_sensitive=on&page=5",
    "Markdown search, none": "/admin/posts/post/source-search/?q=no+such+text+anywhere",
    "addresses not found": "/admin/posts/notfound/",
    "broken links": "/admin/posts/brokenlink/",
}}
client = Client()
client.force_login(moderator)
results = {{}}
for name, url in pages.items():
    assert client.get(url).status_code in (200, 302), url
    times = []
    for _ in range({requests}):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    times.sort()
    results[name] = {{"median": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1],
                      "queries": len(queries)}}
tagged = list(Post.objects.published().order_by("-date").values_list("pk", flat=True)[:50])
form = {{"action": "change_tags_selected", "index": 0, "_selected_action": tagged, "add": "bench", "step": "choose"}}
for name, data in {{"bulk tags, 50 chosen": form, "bulk tags, all matching": {{**form, "select_across": "1"}}}}.items():
    times = []
    for _ in range({requests}):
        start = time.perf_counter()
        assert client.post("/admin/posts/post/?q=vitamin", data).status_code == 200
        times.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.post("/admin/posts/post/?q=vitamin", data)
    times.sort()
    results[name] = {{"median": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1],
                      "queries": len(queries)}}
from posts.cache import bump_content_version
from posts.links import broken_targets
times = []
for _ in range({requests}):  # after each change to what readers see, the report works them out again
    bump_content_version()
    start = time.perf_counter()
    broken_targets()
    times.append((time.perf_counter() - start) * 1000)
bump_content_version()
with CaptureQueriesContext(connection) as queries:
    broken_targets()
times.sort()
results["broken links, worked out again"] = {{"median": statistics.median(times),
                                             "p95": times[int(len(times) * 0.95) - 1], "queries": len(queries)}}
print(json.dumps(results))
"""


def psql(sql: str, database: str = "postgres") -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-qc", sql], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=15000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--database", default=DATABASE, help="made and dropped by this script (one per concurrent run)")
    args = parser.parse_args()
    database = args.database
    with tempfile.TemporaryDirectory(prefix="vdwiki-admin-") as tmp:
        work = Path(tmp)
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SETTINGS_MODULE": "vdwiki.settings",
            "DJANGO_LOG_LEVEL": "WARNING",
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "MEDIA_ROOT": str(work / "media"),
            "DJANGO_STATIC_ROOT": str(work / "static"),
        }
        psql(f"DROP DATABASE IF EXISTS {database}")
        psql(f"CREATE DATABASE {database}")
        try:
            build_dump(work / "dump", args.posts)
            manage = [sys.executable, "manage.py"]
            run([*manage, "migrate", "--noinput", "-v", "0"], env)
            run([*manage, "import_dump", str(work / "dump"), "--no-progress"], env)
            psql("VACUUM ANALYZE", database=database)  # the state of a running site
            run([*manage, "collectstatic", "--noinput", "-v", "0"], env)
            _, output = run([sys.executable, "-c", MEASURE.format(requests=args.requests)], env)
        finally:
            psql(f"DROP DATABASE IF EXISTS {database}")
    results = json.loads(output.strip().splitlines()[-1])
    print(f"{'page':<24} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for name, figures in results.items():
        print(f"{name:<24} {figures['median']:>10.1f} {figures['p95']:>8.1f} {figures['queries']:>8}")
    slowest = max(results.items(), key=lambda item: item[1]["p95"])
    summary = ", ".join(
        f"{name} p95 {results[name]['p95']:.0f} ms ({results[name]['queries']} q)"
        for name in ("dashboard", "post list", "review queue", "edit page")
    )
    ratio = slowest[1]["p95"] / TARGET_MS
    print(f"{summary}; slowest: {slowest[0]} p95 {slowest[1]['p95']:.0f} ms = {ratio:.2f}x the {TARGET_MS} ms target")


if __name__ == "__main__":
    main()
