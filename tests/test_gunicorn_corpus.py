"""Every legacy address of the real corpus through the real server: one import, one gunicorn, every
alias in the spellings it arrives in, asked twice (the second answer may come from the cache).

The corpus is imported once for the module and committed, so the server's process sees it; the
database is flushed afterwards, as after a transactional test, and the role groups made again.
"""

from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.utils.encoding import iri_to_uri

from posts.legacy.dump import parse_post
from posts.legacy.importer import import_dump
from posts.models import Alias, Post

from .conftest import CORPUS_FILES
from .factories import make_role_groups
from .server import percent_encoded, running_front, running_server

pytestmark = pytest.mark.django_db  # the test database is set up; the module's own data is committed


@dataclass(frozen=True)
class Address:
    alias: str
    canonical: str  # the post's URL, as its Location header gives it


@dataclass(frozen=True)
class Corpus:
    addresses: list[Address]
    pages: list[str]

    def __iter__(self):
        return iter(self.addresses)

    def __len__(self):
        return len(self.addresses)


@pytest.fixture(scope="module")
def corpus(django_db_setup, django_db_blocker, tmp_path_factory) -> Corpus:
    """The corpus imported and committed: every alias of every published post with its post's
    URL, and the URL of every published post."""
    dump = tmp_path_factory.mktemp("corpus-dump")
    for source in CORPUS_FILES:
        (dump / source.name).write_bytes(source.read_bytes())
    with django_db_blocker.unblock():
        report = import_dump(dump)
        assert not report.failed, report.failed
        addresses, pages = [], []
        for source in CORPUS_FILES:
            legacy = parse_post(source.name, source.read_bytes())
            post = Post.objects.get(slug=legacy.slug)
            if post.is_published:
                pages.append(iri_to_uri(post.get_absolute_url()))
                addresses += [Address(alias.path, pages[-1]) for alias in legacy.aliases]
        assert all(iri_to_uri(Alias.objects.matching(a.alias).get().post.get_absolute_url()) == a.canonical
                   for a in addresses)  # fmt: skip
        yield Corpus(addresses, pages)
        call_command("flush", interactive=False, verbosity=0)
        make_role_groups()  # as the migrations left the database, for the tests after these


@pytest.fixture(scope="module")
def module_gunicorn(corpus, tmp_path_factory, server_static):
    with running_server(tmp_path_factory.mktemp("gunicorn"), server_static) as server:
        yield server


@pytest.fixture(scope="module")
def module_runserver(corpus, tmp_path_factory, server_static):
    with running_server(tmp_path_factory.mktemp("runserver"), server_static, runserver=True) as server:
        yield server


@pytest.fixture(scope="module")
def front(module_gunicorn, tmp_path_factory, server_static):
    """deploy/nginx/vdwiki.conf in front of the module's gunicorn, as production runs it."""
    workdir = tmp_path_factory.mktemp("nginx")
    with running_front(workdir, [module_gunicorn], server_static, workdir / "media") as server:
        yield server


@pytest.fixture
def gunicorn(module_gunicorn):
    module_gunicorn.mark_log()
    return module_gunicorn


@pytest.fixture
def runserver(module_runserver):
    module_runserver.mark_log()
    return module_runserver


def encoded_spellings(alias: str) -> dict[str, str]:
    """An alias as browsers send it: percent-encoded, its spaces as `+` (the dump's) or `%20`."""
    return {
        "percent-encoded, +": percent_encoded(alias.replace(" ", "+")),
        "percent-encoded, %20": percent_encoded(alias.replace("+", " ")),
    }


def raw_spellings(alias: str) -> dict[str, bytes]:
    """An alias as some crawlers and scripts send it: its UTF-8 bytes as they are, but for its
    spaces (which would end the request line) as `+` or `%20`."""
    return {
        "raw UTF-8, +": alias.replace(" ", "+").encode(),
        "raw UTF-8, %20": alias.replace("+", "%20").replace(" ", "%20").encode(),
    }


def redirects(server, address: Address, spellings: dict) -> list[str]:
    """What went wrong asking for each spelling twice: each must answer one 301 to the post."""
    wrong = []
    for name, target in spellings.items():
        for attempt in ("uncached", "cached"):
            answer = server.get(target)
            if (answer.status, answer.headers["Location"]) != (301, address.canonical):
                wrong.append(f"{address.alias} {name} {attempt}: {answer.status} {answer.headers['Location']}")
    return wrong


def test_the_corpus_has_aliases_with_characters_outside_latin_1(corpus):
    outside = [a.alias for a in corpus if not a.alias.isascii()]
    assert len(corpus) > 300 and len(outside) > 100


def test_every_alias_percent_encoded_redirects_once_to_its_post_through_gunicorn(gunicorn, corpus):
    wrong = [w for address in corpus for w in redirects(gunicorn, address, encoded_spellings(address.alias))]
    assert wrong == []


def test_every_alias_in_raw_utf_8_redirects_once_to_its_post_through_runserver(runserver, corpus):
    wrong = [w for address in corpus for w in redirects(runserver, address, raw_spellings(address.alias))]
    assert wrong == []


def test_every_alias_in_every_spelling_redirects_once_to_its_post_through_nginx_and_gunicorn(front, gunicorn, corpus):
    def spellings(alias: str) -> dict:
        return {**encoded_spellings(alias), **raw_spellings(alias)}

    wrong = [w for address in corpus for w in redirects(front, address, spellings(address.alias))]
    assert wrong == []
    assert "Traceback" not in gunicorn.log_since_mark()


def test_gunicorn_alone_refuses_raw_bytes_outside_ascii_and_redirects_the_ascii_aliases(gunicorn, corpus):
    """gunicorn (RFC 9112, section 3.2) answers 400 to a request target with bytes outside printable
    ASCII before any application sees it, which is why it runs behind nginx (deploy/nginx/vdwiki.js
    encodes them); browsers percent-encode them anyway. Raw ASCII aliases redirect."""
    for address in corpus:
        for target in raw_spellings(address.alias).values():
            answer = gunicorn.get(target)
            expected = (301, address.canonical) if target.isascii() else (400, None)
            assert (answer.status, answer.headers["Location"]) == expected, target
    assert "Traceback" not in gunicorn.log_since_mark()


def test_every_post_page_answers_200_through_gunicorn_uncached_and_cached(gunicorn, corpus):
    assert len(corpus.pages) == len(CORPUS_FILES) - Post.objects.exclude(status=Post.Status.PUBLISHED).count()
    for canonical in corpus.pages:
        for attempt in ("uncached", "cached"):
            assert gunicorn.get(canonical).status == 200, f"{canonical} {attempt}"
