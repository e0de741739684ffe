"""Rendering benchmark: the worst a body within the limits of a post can cost to render.

    .venv/bin/python bench/render.py [--runs 3]

Builds hostile bodies as long as DJANGO_MAX_BODY_CHARS allows and as deep as DJANGO_MAX_HTML_DEPTH
allows (thousands of headings, deep nesting, one long line, many links, emphasis, brackets,
footnotes, wiki remnants...), checks each passes posts/limits.py as a save would, then times the
limit check and the rendering of each (the fastest of `--runs`, as other load only adds), next to
the rendering of the largest corpus post. The last line gives the worst body and its ratio to
that baseline.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vdwiki.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from posts import limits  # noqa: E402
from posts.legacy.dump import parse_post  # noqa: E402
from posts.rendering import render  # noqa: E402

CORPUS = Path(os.environ.get("VDWIKI_CORPUS", ROOT.parent / "shared" / "corpus"))


def filled(unit: str, head: str = "") -> str:
    """`head`, then `unit` repeated up to the body limit."""
    room = settings.VDWIKI_MAX_BODY_CHARS - len(head)
    return head + unit * (room // len(unit))


def hostile_bodies() -> dict[str, str]:
    depth = settings.VDWIKI_MAX_HTML_DEPTH
    nested = "<div>" * depth + "x" + "</div>" * depth + "\n"
    return {
        "equal headings": filled("## a\n"),
        "headings, every level, toc": filled("".join(f"{'#' * level} h\n" for level in range(1, 7)), "{{< toc >}}\n"),
        "toc shortcodes among headings": filled("{{< toc >}}\n## a\n"),
        "nesting at the depth limit": filled(nested),
        "self-closed divs at the limit": filled("x\n\n", "<div/>" * depth),
        "unclosed tags at the limit": filled("x\n\n", "<b>" * depth),
        "one long line": filled("a"),
        "one long heading": filled("a", "# "),
        "links": filled("[a](/b) "),
        "reference links": filled("[a][r] ", "[r]: /x\n\n"),
        "emphasis": filled("*a _b "),
        "strong and strikethrough": filled("**a ~~b "),
        "open brackets": filled("["),
        "backticks": filled("`a"),
        "entities": filled("&amp;"),
        "angle brackets": filled("<a"),
        "bare URLs": filled("http://a.com/x "),
        "e-mail addresses": filled("a@b.co "),
        "quotes": filled("\"'"),
        "table rows": filled("|x|y|\n", "|a|b|\n|-|-|\n"),
        "footnotes": filled("x[^1]\n\n", "[^1]: note\n\n"),
        "blockquotes": filled(">" * 30 + " x\n\n"),
        "nested lists": filled("".join("  " * level + "- x\n" for level in range(30)) + "\n"),
        "inline HTML": filled("<span>a</span>"),
        "HTML comments": filled("<!-- a -->"),
        "wiki fonts and colours": filled('{FONT(size="20")}a{FONT} ~~#F00:b~~ __c__ '),
        "wiki boxes": filled('{BOX(title="t")}x{BOX}\n'),
        "wiki links": filled("((Page title|text)) "),
        "wiki images": filled('{IMG(attId="601")}{IMG}'),
        "CDN attachments": filled("![a](https://d1bk1kqxc0sym.cloudfront.net/attachments/png/a.png) "),
        "styles": filled('<span style="color:red;font-size:20px;margin:1px">a</span>'),
    }


def fastest(function, argument, runs: int) -> float:
    """The least time of `runs` calls: the machine's other load only ever adds to it."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function(argument)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs

    largest = max(CORPUS.glob("*/*.md"), key=lambda path: path.stat().st_size)
    baseline_body = parse_post(largest.name, largest.read_bytes()).body
    baseline = fastest(render, baseline_body, 10)
    print(
        f"limits: {settings.VDWIKI_MAX_BODY_CHARS:,} characters, {settings.VDWIKI_MAX_HTML_DEPTH} deep, "
        f"{settings.VDWIKI_MAX_TAGS} tags"
    )
    print(f"baseline: {largest.name} ({len(baseline_body):,} characters) renders in {baseline * 1000:.1f} ms\n")
    print(f"{'body':32} {'characters':>10} {'check ms':>9} {'render ms':>10} {'x baseline':>11}")
    worst = ("", 0.0)
    for name, body in hostile_bodies().items():
        problem = limits.body_problem(body)
        if problem:
            raise SystemExit(f"{name}: not within the limits, fix the benchmark: {problem}")
        check = fastest(limits.body_problem, body, runs)
        seconds = fastest(render, body, runs) + check
        print(f"{name:32} {len(body):>10,} {check * 1000:>9.1f} {seconds * 1000:>10.1f} {seconds / baseline:>10.0f}x")
        worst = max(worst, (name, seconds), key=lambda item: item[1])
    name, seconds = worst
    print(
        f"\nworst case at the limits: {name}, {seconds:.2f} s to check and render = {seconds / baseline:.0f}x "
        f"the largest corpus post ({baseline * 1000:.1f} ms)"
    )


if __name__ == "__main__":
    main()
