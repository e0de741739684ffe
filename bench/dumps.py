"""What the benchmarks share: a big dump made from the corpus, and running commands."""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("VDWIKI_CORPUS", ROOT.parent / "shared" / "corpus"))
ID_BASE = 1_000_000
COMMENT_ALIAS = re.compile(r"(~tc~\s*\(alias\()(.*?)(\)\)\s*~/tc~)")


def corpus_files() -> list[Path]:
    return sorted([*(CORPUS / "posts").glob("*.md"), *(CORPUS / "seed").glob("*.md")])


def build_dump(target: Path, count: int) -> None:
    """Write `count` posts: the corpus, then copies of it made unique."""
    sources = [(path.name, path.read_text(encoding="utf-8")) for path in corpus_files()]
    target.mkdir(parents=True)
    for n in range(count):
        name, text = sources[n % len(sources)]
        copy = n // len(sources)
        if copy:
            meta, end = json.JSONDecoder().raw_decode(text)
            body = text[end:]
            meta["slug"] = f"{meta.get('slug', name[:-3])}-{copy}"
            meta["tiki_page_id"] = ID_BASE + n
            meta["aliases"] = [f"{alias}+{copy}" for alias in meta.get("aliases", []) if not alias.strip("/").isdigit()]
            body = COMMENT_ALIAS.sub(rf"\g<1>\g<2> {copy}\g<3>", body)
            text = json.dumps(meta, indent=4, ensure_ascii=False) + body
            name = f"{meta['slug']}.md"
        (target / name).write_text(text, encoding="utf-8")


def run(command: list[str], env: dict) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return elapsed, result.stdout
