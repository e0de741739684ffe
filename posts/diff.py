"""Two revisions side by side: which lines of the body changed, and within a changed line which
words; which names a list of tags or categories gained and lost; how many words a change added
and removed. Pure: text in, escaped HTML (or counts) out."""

import re
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from html import escape

from django.utils.safestring import SafeString, mark_safe

WORDS_RE = re.compile(r"\s+|\w+|[^\w\s]")
COUNTED_WORDS_RE = re.compile(r"\w+")
CONTEXT = 3  # unchanged lines shown around each change


@dataclass(frozen=True)
class Row:
    """One row of the side-by-side table. `kind`: equal, replace, delete, insert, or skip (a run
    of unchanged lines left out)."""

    kind: str
    old_number: int | None = None
    old: SafeString = mark_safe("")
    new_number: int | None = None
    new: SafeString = mark_safe("")


def side_by_side(old: str, new: str, *, context: int = CONTEXT) -> list[Row]:
    """The rows showing each change with `context` unchanged lines around it."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    if old_lines == new_lines:
        return []
    rows: list[Row] = []
    shown_to = 0  # the old lines before it are shown or skipped
    for group in SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_grouped_opcodes(context):
        if group[0][1] > shown_to:
            rows.append(Row("skip"))
        for kind, i1, i2, j1, j2 in group:
            rows.extend(_rows(kind, old_lines, i1, i2, new_lines, j1, j2))
        shown_to = group[-1][2]
    if shown_to < len(old_lines):
        rows.append(Row("skip"))
    return rows


def changed_words(old: str, new: str) -> tuple[SafeString, SafeString]:
    """Both lines escaped, the words only one of them has in <del> and <ins>."""
    old_words, new_words = WORDS_RE.findall(old), WORDS_RE.findall(new)
    old_html, new_html = [], []
    for kind, i1, i2, j1, j2 in SequenceMatcher(None, old_words, new_words, autojunk=False).get_opcodes():
        old_part, new_part = escape("".join(old_words[i1:i2])), escape("".join(new_words[j1:j2]))
        if kind == "equal":
            old_html.append(old_part)
            new_html.append(new_part)
            continue
        if old_part:
            old_html.append(f"<del>{old_part}</del>")
        if new_part:
            new_html.append(f"<ins>{new_part}</ins>")
    return mark_safe("".join(old_html)), mark_safe("".join(new_html))


def changed_names(old: list[str], new: list[str], *, ignore_case: bool = False) -> tuple[SafeString, SafeString, bool]:
    """Two lists of names compared as sets (their order is no change; with `ignore_case`, nor is
    their case): both escaped and comma-separated, the names only one has in <del> and <ins>, and
    whether they differ."""

    def key(name: str) -> str:
        return name.casefold() if ignore_case else name

    old_keys, new_keys = {key(name) for name in old}, {key(name) for name in new}
    old_html = [f"<del>{escape(name)}</del>" if key(name) not in new_keys else escape(name) for name in old]
    new_html = [f"<ins>{escape(name)}</ins>" if key(name) not in old_keys else escape(name) for name in new]
    return mark_safe(", ".join(old_html)), mark_safe(", ".join(new_html)), old_keys != new_keys


def words_changed(old: str | None, new: str) -> tuple[int, int]:
    """(added, removed): the words `new` has more of than `old`, and fewer, counted as bags of
    words (a moved paragraph is no change). `old` None: a first text, all of whose words are added.
    Linear in the texts' length, so a save or an import of a long post pays little for it."""
    if old is None:
        return len(COUNTED_WORDS_RE.findall(new)), 0
    new_words = Counter(COUNTED_WORDS_RE.findall(new))
    old_words = Counter(COUNTED_WORDS_RE.findall(old))
    return (new_words - old_words).total(), (old_words - new_words).total()


def _rows(kind, old_lines, i1, i2, new_lines, j1, j2) -> list[Row]:
    if kind == "equal":
        return [
            Row("equal", i + 1, mark_safe(escape(old_lines[i])), j + 1, mark_safe(escape(new_lines[j])))
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
        ]
    rows = []
    for offset in range(max(i2 - i1, j2 - j1)):
        i, j = i1 + offset, j1 + offset
        old_line = old_lines[i] if i < i2 else None
        new_line = new_lines[j] if j < j2 else None
        if old_line is not None and new_line is not None:
            old_html, new_html = changed_words(old_line, new_line)
            rows.append(Row("replace", i + 1, old_html, j + 1, new_html))
        elif old_line is not None:
            rows.append(Row("delete", i + 1, mark_safe(f"<del>{escape(old_line)}</del>")))
        else:
            rows.append(Row("insert", None, mark_safe(""), j + 1, mark_safe(f"<ins>{escape(new_line)}</ins>")))
    return rows
