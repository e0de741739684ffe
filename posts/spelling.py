"""Spelling for "Did you mean": the words readers can find, and the likeliest of them for a word
they mistyped.

The words are those of published posts' titles, labels (category and tag names, hidden
categories' left out) and summaries, each with the number of posts that hold it: what a reader
searches for, not every word of every body (reading 15,000 bodies for it would cost seconds).
They are worked out once per content version and kept in the shared cache, so every app server
reads the same and none rebuilds them on every search. One Python path serves PostgreSQL and
SQLite alike: a corrected word is looked up among the words one edit away (Norvig's method),
microseconds for a set this size, with the same answer on both databases.
"""

import re

from django.core.cache import cache

from .cache import content_version
from .models import Post

WORD = re.compile(r"[^\W_]+")
SHORTEST = 4  # shorter words have too many neighbours one edit away to guess among
LONGEST = 40  # no one mistyped a longer word, and its neighbours would cost milliseconds a letter
BATCH = 2000
KEPT = 24 * 3600  # seconds; a change makes a new content version, and so a new key, anyway


def words_of(text: str) -> list[str]:
    return WORD.findall(text.casefold())


_held: tuple[str, dict[str, int]] = ("", {})  # this process's copy, under its cache key


def vocabulary() -> dict[str, int]:
    """Every word readers can find by title, label or summary, with the number of published
    posts holding it (a hidden category's name is in no post's labels).
    Each process keeps its copy while the shared cache holds the same key: reading 80,000 words
    back from Redis would cost a typo search 10-20 ms."""
    global _held
    key = f"vdwiki:spelling:{content_version()}"
    if _held[0] == key and cache.has_key(key):
        return _held[1]
    counts = cache.get(key)
    if counts is None:
        counts = {}
        rows = Post.objects.published().order_by().values_list("title", "labels", "summary")
        for title, labels, summary in rows.iterator(chunk_size=BATCH):
            for word in set(words_of("\n".join([title, labels, summary]))):
                counts[word] = counts.get(word, 0) + 1
        cache.set(key, counts, KEPT)
    _held = (key, counts)
    return counts


def one_edit_away(word: str, letters: str) -> set[str]:
    """Every string one deletion, swap of neighbours, replacement or insertion from `word`."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deleted = [left + right[1:] for left, right in splits if right]
    swapped = [left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1]
    replaced = [left + letter + right[1:] for left, right in splits if right for letter in letters]
    inserted = [left + letter + right for left, right in splits for letter in letters]
    return set(deleted + swapped + replaced + inserted)


def likeliest(word: str, words: dict[str, int], *, known_too: bool = False) -> list[str]:
    """The words readers most likely meant by `word`, likeliest first: the known words one edit
    away, the most common first. None for a known word, unless `known_too` asks for the more
    common neighbours of a known word ("sleep" for "steep")."""
    word = word.casefold()
    if not SHORTEST <= len(word) <= LONGEST or not any(char.isalpha() for char in word):
        return []
    count = words.get(word, 0)
    if count and not known_too:
        return []
    letters = "".join(sorted(set(word) | set("abcdefghijklmnopqrstuvwxyz")))
    neighbours = [(words[other], other) for other in one_edit_away(word, letters) if words.get(other, 0) > count]
    return [other for _, other in sorted(neighbours, reverse=True)]
