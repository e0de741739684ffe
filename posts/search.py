"""Full-text search over published posts: `/search/?q=` and the 404 page's suggestions.

Each database searches with its own engine over the same three texts of a post: its title, its
`labels` (category and tag names) and its body as text. PostgreSQL keeps a weighted tsvector per
post under a GIN index, SQLite an FTS5 table; both are kept current by triggers
(posts/migrations/0004_search.py), so bulk imports and raw updates are indexed too.

What the reader types is parsed here, the same way for both: words (all of them must occur,
stemmed: "pregnancies" finds "pregnancy"), "quoted phrases", `-word` or `-"a phrase"` to
exclude, and `OR` between two words or phrases for either of them. Nothing typed can cause a
database error: every term reaches the database as data (PostgreSQL) or as a quoted FTS5 string.

Results come in tiers: posts whose title holds the whole query; posts in a category the query
names; posts whose title and labels hold it; posts holding the query as one phrase; then the rest
by relevance (title counts more than labels, labels more than the body), newer before older among
equals. SQLite weighs the whole body and finds the phrase anywhere (FTS5 reads both from the
index); PostgreSQL only the body's opening, the summary, as reading every matching body's vector
would cost too much (see the migration). Snippets are computed for the shown page only; a post
with a summary its editor wrote shows that, and so does one whose body holds none of the words.

A query with fewer than FEW_RESULTS results gets a Suggestion: "Did you mean" with its typos
corrected (spelling.py), if that finds more, and the posts with the closest titles.
"""

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from operator import and_, or_

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVectorExact,
    SearchVectorField,
)
from django.core.exceptions import ImproperlyConfigured
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import (
    BooleanField,
    Exists,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    prefetch_related_objects,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Left, Length
from django.shortcuts import render
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from taggit.models import Tag

from . import spelling
from .models import Category, Post

PAGE_SIZE = 20
MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
NEWEST_WHEN_NOTHING_FOUND = 5
FEW_RESULTS = 3  # fewer results than this, and the page offers "Did you mean" and close titles
CLOSE_TITLES = 5
CORRECTION_TRIES = 4  # queries counted, at most, in search of a correction that finds more
SNIPPET_WORDS = 30

TOKEN = re.compile(r'(-?)(?:"([^"]*)"?|([^\s"]+))')
URL_WORD = re.compile(r"[^\W_]+")
URL_FURNITURE = {"posts", "post", "tags", "tag", "categories", "category", "html", "htm", "php", "tiki", "index"}
MAX_URL_WORDS = 10
PREFIX_FROM = 4  # shorter words of a URL match whole words only ("d" is not a prefix of everything)
TYPO_FROM, TYPO_PREFIX = 6, 0.6  # a longer word also matches by its first 60 percent
SAME_STEM = 4  # "viruses" names the category "Virus": words agree up to their last three letters, at least 4

# Private-use characters around highlighted words: escaping the snippet leaves them alone, then
# they become <mark> tags. No reader's text can bring its own markup into a snippet.
MARK_START, MARK_END = "\ue000", "\ue001"
MARKS = re.compile(f"([{MARK_START}{MARK_END}])")

PG_CONFIG = "english"
PG_VECTOR = RawSQL('"posts_post"."search_vector"', [], output_field=SearchVectorField())
PG_TITLE = RawSQL('"posts_post"."search_title"', [], output_field=SearchVectorField())
PG_RANK = RawSQL('"posts_post"."search_rank"', [], output_field=SearchVectorField())
PG_WEIGHTS = [0.05, 0.2, 0.4, 1.0]  # D, C (summary), B (labels), A (title)
PG_TITLE_AND_LABELS = RawSQL("""ts_filter("posts_post"."search_rank", '{a,b}')""", [], output_field=SearchVectorField())
PG_HEADLINE_CHARS = 50_000  # a match further into a long body gets a snippet from its start

FTS = "posts_post_fts"
PAGE_FIELDS = ["title", "slug", "date", "summary", "written_summary"]
FTS_WEIGHTS = "10.0, 4.0, 1.0"  # title, labels, body


@dataclass(frozen=True)
class ParsedQuery:
    """A reader's query: `groups` must all match, each by any one of its terms (a term is a
    word or a phrase); no `excluded` term may match."""

    text: str = ""
    groups: tuple[tuple[str, ...], ...] = ()
    excluded: tuple[str, ...] = ()
    shortened: bool = False

    def __bool__(self) -> bool:
        return bool(self.groups)

    @property
    def phrase(self) -> str:
        """All its terms as one phrase, for a query of several terms without OR; else ""."""
        if len(self.groups) < 2 or any(len(group) > 1 for group in self.groups):
            return ""
        return " ".join(group[0] for group in self.groups)


def clean_query(text: str) -> str:
    """The query as searched and shown: composed (NFC, as posts' words are: an accent typed as a
    combining mark is no word break), no control or private-use characters (NUL among them),
    single spaces, at most MAX_QUERY_LENGTH characters."""
    text = unicodedata.normalize("NFC", text[: MAX_QUERY_LENGTH * 4])
    text = "".join(" " if unicodedata.category(char)[0] == "C" else char for char in text)
    return " ".join(text.split())[:MAX_QUERY_LENGTH]


def parse_query(text: str) -> ParsedQuery:
    """Parse what a reader typed (see the module's docstring). Terms without a letter or digit
    ("***", a lone "-", emoji) are dropped; so is everything after MAX_TERMS terms."""
    cleaned = clean_query(text)
    groups: list[list[str]] = []
    excluded: list[str] = []
    either = False
    terms = 0
    for match in TOKEN.finditer(cleaned):
        minus, phrase, word = match.groups()
        if word == "OR" and not minus:
            either = bool(groups)
            continue
        term = " ".join((phrase if phrase is not None else word).split())
        if not any(char.isalnum() for char in term):
            continue
        terms += 1
        if terms > MAX_TERMS:
            break
        if minus:
            excluded.append(term)
        elif either:
            groups[-1].append(term)
        else:
            groups.append([term])
        either = False
    shortened = terms > MAX_TERMS or len(" ".join(text.split())) > MAX_QUERY_LENGTH
    return ParsedQuery(cleaned, tuple(map(tuple, groups)), tuple(excluded), shortened)


class SearchResults:
    """The published posts that match a query, best first, for Django's Paginator: `count()`
    is one query; a slice is one query for its posts, one for their snippets (`post.snippet`,
    safe HTML with the query's words in <mark>) and one for their categories."""

    def __init__(self, query: ParsedQuery, posts: QuerySet):
        self.query = query
        self._posts = posts
        self._engine = _engine(posts.db)
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = self._engine.matching(self._posts, self.query).count() if self.query else 0
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        window = range(self.count())[index]  # bounds made plain, as a list would take them
        if isinstance(window, int):
            return self[window : window + 1][0]
        if window.step != 1:
            return list(self)[index]
        if not window:
            return []
        start, stop = window.start, window.stop
        posts = self._engine.page(self._posts, self.query, start, stop, named_categories(self.query))
        shown = Category.objects.shown().only("name", "slug")
        prefetch_related_objects(posts, Prefetch("categories", queryset=shown))
        for post in posts:
            # What its editor wrote of it comes first. A post found by its title or labels alone
            # gets the body's opening from the engine, often a study's citation: its summary
            # (the opening of its prose) reads better.
            if post.written_summary or MARK_START not in (post.snippet or ""):
                post.snippet = post.summary
            else:
                post.snippet = highlight(post.snippet)
        return posts

    def __iter__(self):
        return iter(self[:])

    def asking(self, text: str) -> "SearchResults":
        """The same search (category, tag) for another query."""
        return SearchResults(parse_query(text), self._posts)


@dataclass(frozen=True)
class Suggestion:
    """What the search page offers for a query that finds few posts: `query`, the query with its
    likely typos corrected ("Did you mean"), when that finds more; `titles`, the published posts
    whose titles are closest to the query."""

    query: str = ""
    titles: tuple[Post, ...] = ()


def named_categories(query: ParsedQuery) -> list[int]:
    """The ids of the categories readers see whose names hold every group of `query` (by one of
    its terms), a word as a word or its plural: their posts rank right after title matches."""

    def agree(word: str, other: str) -> bool:
        # A short word ("d", "art") would otherwise start many words ("diabetes", "arthritis").
        return word == other or (len(word) >= SAME_STEM and other.startswith(word[: max(SAME_STEM, len(word) - 3)]))

    def holds(name_words: list[str], term: str) -> bool:
        return all(any(agree(word, other) for other in name_words) for word in URL_WORD.findall(term.casefold()))

    found = []
    for pk, name in Category.objects.shown().values_list("pk", "name"):
        name_words = URL_WORD.findall(name.casefold())
        if all(any(holds(name_words, term) for term in group) for group in query.groups):
            found.append(pk)
    return found


def search(query: str, *, category: str | None = None, tag: str | None = None) -> SearchResults:
    """Published posts matching `query` (see the module's docstring), in the category and with
    the tag of these slugs when given. An empty query (or one of symbols only) matches nothing."""
    posts = Post.objects.published()
    if category:
        posts = posts.filter(categories__slug=category, categories__hidden=False)
    if tag:
        posts = posts.filter(tags__slug=tag)
    return SearchResults(parse_query(query), posts)


def similar_posts(text: str, limit: int = 5) -> list[Post]:
    """Published posts whose titles share the most words with `text`, e.g. the path of a
    mistyped URL: any of the words may match, longer ones as prefixes too. Uses the search index."""
    words = list(dict.fromkeys(w for w in URL_WORD.findall(text.casefold()) if w not in URL_FURNITURE))
    terms = {}
    for word in words[:MAX_URL_WORDS]:
        terms[word] = len(word) >= PREFIX_FROM
        if len(word) >= TYPO_FROM:  # "pregnency" still finds "pregnancy"
            terms.setdefault(word[: math.ceil(len(word) * TYPO_PREFIX)], True)
    if not terms or limit <= 0:
        return []
    posts = Post.objects.published().only("title", "slug", "date")
    return list(_engine(posts.db).similar(posts, terms)[:limit])


def suggest(results: SearchResults, shown: Iterable[int] = ()) -> Suggestion:
    """A Suggestion for `results` when they are fewer than FEW_RESULTS; the close titles leave
    out the posts `shown` (ids) as results already, and are close to the words wanted only (not
    to those after a minus, nor to an OR)."""
    if not results.query or results.count() >= FEW_RESULTS:
        return Suggestion()
    shown = set(shown)
    wanted = " ".join(term for group in results.query.groups for term in group)
    titles = [post for post in similar_posts(wanted, CLOSE_TITLES + FEW_RESULTS) if post.pk not in shown]
    return Suggestion(corrected(results), tuple(titles[:CLOSE_TITLES]))


def corrected(results: SearchResults) -> str:
    """The query of `results` with its likely typos corrected, if that finds more posts; else "".
    Tried in turn, counting each query's results: every word no post's title, labels or summary
    holds as its likeliest known word; then one of them as its next likeliest; then a known word
    (the rarest first) as a more common one an edit away ("steep" for "sleep")."""
    words = spelling.vocabulary()
    text = results.query.text
    found = {match[0]: spelling.likeliest(match[0], words) for match in URL_WORD.finditer(text)}
    unknown = {word: others for word, others in found.items() if others}

    def replaced(changes: dict[str, str]) -> str:
        return URL_WORD.sub(lambda match: changes.get(match[0], match[0]), text)

    best = {word: others[0] for word, others in unknown.items()}
    tries = [replaced(best)] if best else []
    tries += [replaced(best | {word: other}) for word, others in unknown.items() for other in others[1:2]]
    known = [word for word in found if words.get(word.casefold())]
    for word in sorted(known, key=lambda word: words[word.casefold()]):
        tries += [replaced(best | {word: other}) for other in spelling.likeliest(word, words, known_too=True)[:1]]
    for tried in tries[:CORRECTION_TRIES]:
        if results.asking(tried).count() > results.count():
            return tried
    return ""


def highlight(text: str) -> SafeString:
    """A snippet as safe HTML: its text escaped, its marked words in <mark>."""
    html, marked = [], False
    for part in MARKS.split(text):
        if part in (MARK_START, MARK_END):
            if marked != (part == MARK_START):
                html.append("<mark>" if part == MARK_START else "</mark>")
                marked = not marked
        else:
            html.append(escape(part))
    if marked:
        html.append("</mark>")
    return mark_safe("".join(html))


def search_view(request):
    """The search page: form, result count, a page of results with snippets; help instead of
    results for an empty query, and suggestions when nothing matches."""
    categories = list(Category.objects.shown().only("name", "slug"))
    category_slug = clean_query(request.GET.get("category", ""))
    category = next((c for c in categories if c.slug == category_slug), None)
    tag_value = clean_query(request.GET.get("tag", ""))
    tag = Tag.objects.filter(Q(slug=tag_value) | Q(name__iexact=tag_value)).first() if tag_value else None
    results = search(request.GET.get("q", ""), category=category and category.slug, tag=tag and tag.slug)
    params = {"q": results.query.text, "category": category and category.slug, "tag": tag and tag.slug}
    context = {
        "query": results.query.text,
        "parsed": results.query,
        "categories": categories,
        "category": category,
        "tag": tag,
        "unknown_category": category_slug if category_slug and category is None else "",
        "unknown_tag": tag_value if tag_value and tag is None else "",
        "page_query": urlencode({name: value for name, value in params.items() if value}),
        "max_query_length": MAX_QUERY_LENGTH,
    }
    if results.query:
        page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
        suggestion = suggest(results, shown=[post.pk for post in page.object_list])
        context |= {"page_obj": page, "paginator": page.paginator, "suggestion": suggestion}
        if suggestion.query:
            context["suggested_query"] = urlencode(
                {name: value for name, value in params.items() if value} | {"q": suggestion.query}
            )
        if not page.paginator.count and not suggestion.titles:
            context["newest"] = Post.objects.published().only("title", "slug", "date")[:NEWEST_WHEN_NOTHING_FOUND]
    return render(request, "posts/search.html", context)


# -- the engines ----------------------------------------------------------------------------------


def _engine(alias: str):
    vendor = connections[alias].vendor
    if vendor == "postgresql":
        return PostgresSearch
    if vendor == "sqlite":
        return SQLiteSearch
    raise ImproperlyConfigured(f"Search needs PostgreSQL or SQLite, not {vendor}.")


class PostgresSearch:
    @staticmethod
    def tsquery(query: ParsedQuery):
        def term(text: str) -> SearchQuery:
            return SearchQuery(text, config=PG_CONFIG, search_type="phrase")

        wanted = reduce(and_, (reduce(or_, map(term, group)) for group in query.groups))
        return reduce(and_, (~term(text) for text in query.excluded), wanted)

    @classmethod
    def matching(cls, posts: QuerySet, query: ParsedQuery) -> QuerySet:
        return posts.alias(search_vector=PG_VECTOR).filter(search_vector=cls.tsquery(query))

    @classmethod
    def page(cls, posts: QuerySet, query: ParsedQuery, start: int, stop: int, categories: list[int]) -> list[Post]:
        tsquery = cls.tsquery(query)
        in_categories = Post.categories.through.objects.filter(post=OuterRef("pk"), category__in=categories)
        # The phrase is looked for in the row's own vector (title, labels, opening): the body's
        # would be read from TOAST for every match (see the module's docstring).
        phrase = SearchQuery(query.phrase, config=PG_CONFIG, search_type="phrase") if query.phrase else None
        ranked = (
            cls.matching(posts, query)
            .annotate(
                in_title=SearchVectorExact(PG_TITLE, tsquery),
                in_category=Exists(in_categories) if categories else Value(False),
                in_title_or_labels=SearchVectorExact(PG_TITLE_AND_LABELS, tsquery),
                as_phrase=SearchVectorExact(PG_RANK, phrase) if phrase else Value(False),
                rank=SearchRank(PG_RANK, tsquery, PG_WEIGHTS),
            )
            .order_by("-in_title", "-in_category", "-in_title_or_labels", "-as_phrase", "-rank", "-date", "-pk")
        )
        page = list(ranked.only(*PAGE_FIELDS)[start:stop])
        snippets = cls.snippets([post.pk for post in page], tsquery, posts.db)
        for post in page:
            post.snippet = snippets.get(post.pk, "")
        return page

    @staticmethod
    def snippets(ids: list[int], tsquery, alias: str) -> dict[int, str]:
        """The snippets of the page's posts, in a query of their own: made in the page's query,
        ts_headline would run for every post the page's OFFSET skips too."""
        headline = SearchHeadline(
            Left("body_text", PG_HEADLINE_CHARS),
            tsquery,
            config=PG_CONFIG,
            start_sel=MARK_START,
            stop_sel=MARK_END,
            max_words=SNIPPET_WORDS,
            min_words=SNIPPET_WORDS // 2,
            max_fragments=2,
            fragment_delimiter=" … ",
        )
        return dict(
            Post.objects.using(alias).filter(pk__in=ids).annotate(snippet=headline).values_list("pk", "snippet")
        )

    @staticmethod
    def similar(posts: QuerySet, terms: dict[str, bool]) -> QuerySet:
        # Terms are letters and digits only: nothing in them is to_tsquery syntax.
        raw = " | ".join(f"'{term}':*" if prefix else f"'{term}'" for term, prefix in terms.items())
        tsquery = SearchQuery(raw, config=PG_CONFIG, search_type="raw")
        return (
            posts.alias(search_title=PG_TITLE)
            .filter(search_title=tsquery)
            .annotate(rank=SearchRank(PG_TITLE, tsquery), title_length=Length("title"))
            .order_by("-rank", "title_length", "-date", "-pk")
        )


class SQLiteSearch:
    ID = '"posts_post"."id"'

    @staticmethod
    def expression(query: ParsedQuery) -> str:
        """The FTS5 query: every term a quoted string, so nothing typed is FTS5 syntax."""

        def either(terms) -> str:
            return "(" + " OR ".join('"' + term.replace('"', '""') + '"' for term in terms) + ")"

        expression = " AND ".join(either(group) for group in query.groups)
        return f"({expression}) NOT {either(query.excluded)}" if query.excluded else expression

    @classmethod
    def matching(cls, posts: QuerySet, query: ParsedQuery) -> QuerySet:
        return posts.filter(pk__in=RawSQL(f"SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s", [cls.expression(query)]))

    @classmethod
    def page(cls, posts: QuerySet, query: ParsedQuery, start: int, stop: int, categories: list[int]) -> list[Post]:
        """One pass over the FTS index ranks every match (bm25() works only in a query of the
        FTS table itself); `posts` (published, filtered) only narrows it down. CROSS JOIN keeps
        SQLite from turning that around into a full-text query per post."""
        expression = cls.expression(query)
        allowed, params = posts.order_by().values("pk").query.sql_with_params()
        columns = ", ".join(f"p.{Post._meta.get_field(name).column}" for name in ["id", *PAGE_FIELDS])
        matches = f"{FTS}.rowid IN (SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s) DESC"
        phrase = cls.expression(ParsedQuery(groups=((query.phrase,),))) if query.phrase else None
        through = Post.categories.through._meta.db_table
        in_categories = (
            f"p.id IN (SELECT post_id FROM {through} WHERE category_id IN ({', '.join(map(str, categories))})) DESC, "
            if categories
            else ""
        )
        page = list(
            Post.objects.db_manager(posts.db).raw(
                f"SELECT {columns} FROM {FTS} CROSS JOIN posts_post AS p ON p.id = {FTS}.rowid "
                f"WHERE {FTS} MATCH %s AND +{FTS}.rowid IN ({allowed}) "
                f"ORDER BY {matches}, {in_categories}{matches}, {matches + ', ' if phrase else ''}"
                f"bm25({FTS}, {FTS_WEIGHTS}), p.date DESC, p.id DESC LIMIT %s OFFSET %s",
                [
                    expression,
                    *params,
                    f"{{title}} : ({expression})",
                    f"{{title labels}} : ({expression})",
                    *([phrase] if phrase else []),
                    stop - start,
                    start,
                ],
            )
        )
        snippets = cls.snippets([post.pk for post in page], query, posts.db)
        for post in page:
            post.snippet = snippets.get(post.pk, "")
        return page

    @classmethod
    def snippets(cls, ids: list[int], query: ParsedQuery, alias: str) -> dict[int, str]:
        """The snippets of the page's posts, in a query of their own: SQLite would make one for
        every match before sorting them."""
        if not ids:
            return {}
        marks = ", ".join(["%s"] * len(ids))
        with connections[alias].cursor() as cursor:
            cursor.execute(
                f"SELECT rowid, snippet({FTS}, 2, %s, %s, '…', %s) FROM {FTS} "
                f"WHERE {FTS} MATCH %s AND rowid IN ({marks})",
                [MARK_START, MARK_END, SNIPPET_WORDS, cls.expression(query), *ids],
            )
            return dict(cursor.fetchall())

    @classmethod
    def similar(cls, posts: QuerySet, terms: dict[str, bool]) -> QuerySet:
        # Ranked by the number of terms in the title: bm25() would weigh the length of the
        # whole post, body included, and put a long post's exact title below a short one's.
        phrases = [f'"{term}"*' if prefix else f'"{term}"' for term, prefix in terms.items()]
        in_title = f"({cls.ID} IN (SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s))"
        return (
            posts.filter(RawSQL(in_title, [f"{{title}} : ({' OR '.join(phrases)})"], output_field=BooleanField()))
            .annotate(
                rank=RawSQL(
                    " + ".join([in_title] * len(phrases)),
                    [f"{{title}} : {phrase}" for phrase in phrases],
                    output_field=FloatField(),
                ),
                title_length=Length("title"),
            )
            .order_by("-rank", "title_length", "-date", "-pk")
        )
