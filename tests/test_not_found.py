"""Addresses not found (posts/not_found.py): every 404 readers meet is counted, one row for every
spelling of an address, with its last referrer; the admin lists them by hits with the closest
posts, and one click makes an address an alias of the post chosen. Aliases count their hits, so
the dead ones can be found."""

import re
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import time_machine
from django.db import connection

from posts import not_found, workflow
from posts.aliases import normalize_path
from posts.models import Alias, NotFound, Post, PostAction
from posts.workflow import Content

from .factories import make_post, make_user
from .server import percent_encoded

pytestmark = pytest.mark.django_db

LIST = "/admin/posts/notfound/"
MISTYPED = "/Vitamin+D+and+sleep+quallity"
NORMAL = "/vitamin d and sleep quallity"


@pytest.fixture
def people(roles):
    return {role: make_user(role, role.lower()) for role in ["Author", "Editor", "Moderator", "Admin"]}


@pytest.fixture
def sleep_post(people) -> Post:
    post = workflow.create(by=people["Author"], content=Content("Vitamin D and sleep quality", "sleep", "Words."))
    return workflow.publish(post, by=people["Moderator"])


def text(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def rows() -> list[tuple]:
    return list(NotFound.objects.values_list("path", "hits", "referrer"))


def test_a_404_is_counted_once_for_every_spelling_with_when_and_where_from(client):
    start = datetime(2026, 3, 1, 9, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        assert client.get(MISTYPED).status_code == 404
    with time_machine.travel(start + timedelta(days=2), tick=False):
        client.get("/vitamin%20d%20and%20sleep%20QUALLITY/", HTTP_REFERER="https://example.org/page")
        client.head(MISTYPED)
    assert client.get("/tiki-index.php?page=Missing+Page").status_code == 404

    found = NotFound.objects.get(path=NORMAL)
    assert (found.hits, found.referrer) == (3, "https://example.org/page")
    assert (found.first_seen, found.last_seen) == (start, start + timedelta(days=2))
    assert NotFound.objects.filter(path="/missing page", hits=1).exists()


def test_what_no_alias_could_answer_is_not_counted(client, sleep_post):
    Alias.objects.create(path="/15008", post=sleep_post)
    client.get("/15008")  # answered: 301
    client.post(MISTYPED)
    client.get("/static/missing.css")
    client.get("/media/missing.png")
    client.get("/admin/no-such-page/")
    client.get("/" + "a" * 1001)
    assert rows() == []


def test_the_least_asked_for_addresses_are_forgotten_beyond_the_limit(client, settings, monkeypatch):
    settings.VDWIKI_NOT_FOUND_KEPT = 3
    monkeypatch.setattr(not_found, "PRUNE_EVERY", 1)  # pruned after every new address
    for hits, path in [(3, "/often"), (2, "/twice"), (1, "/once-old")]:
        for _ in range(hits):
            client.get(path)
    client.get("/once-new")
    assert sorted(rows()) == [("/often", 3, ""), ("/once-new", 1, ""), ("/twice", 2, "")]


def test_an_alias_counts_its_hits_and_when_it_was_last_used_and_the_dead_ones_are_listed(client, people, sleep_post):
    used, dead = (
        Alias.objects.create(path="/15008", post=sleep_post),
        Alias.objects.create(path="/9708", post=sleep_post),
    )
    moment = datetime(2026, 5, 4, 12, tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        client.get("/15008")
        client.get("/tiki-index.php?page_id=15008")
    used.refresh_from_db()
    dead.refresh_from_db()
    assert (used.hits, used.last_hit, dead.hits, dead.last_hit) == (2, moment, 0, None)

    client.force_login(people["Moderator"])
    never = text(client.get("/admin/posts/alias/?used=never"))
    assert "/9708" in never and "/15008" not in never
    with time_machine.travel(moment + timedelta(days=400)):
        client.force_login(people["Moderator"])  # the session of then has expired
        stale = text(client.get("/admin/posts/alias/?used=not-this-year"))
    assert "/9708" in stale and "/15008" in stale


def test_a_moderator_makes_an_address_an_alias_in_one_click_and_it_leads_to_the_post(client, people, sleep_post):
    client.get(MISTYPED, HTTP_REFERER="https://example.org/old-link")
    found = NotFound.objects.get()
    client.force_login(people["Moderator"])

    listed = client.get(LIST)
    html = listed.content.decode()
    assert listed.status_code == 200 and NORMAL in text(listed) and "https://example.org/old-link" in html
    assert f'formaction="{LIST}{found.pk}/alias/" name="post" value="{sleep_post.pk}"' in html

    made = client.post(f"{LIST}{found.pk}/alias/", {"post": sleep_post.pk}, HTTP_REFERER=f"http://testserver{LIST}")
    assert made.status_code == 302 and made["Location"] == f"http://testserver{LIST}"
    assert Alias.objects.get(path=NORMAL).post == sleep_post
    assert rows() == []
    assert PostAction.objects.get(action=PostAction.Action.ALIASES).comment == f"Added {NORMAL}"
    assert "now leads to “Vitamin D and sleep quality”" in text(client.get(LIST))

    again = client.post(f"{LIST}{found.pk}/alias/", {"post": sleep_post.pk}, follow=True)
    assert "That address was dealt with already." in text(again)
    client.logout()
    assert client.get(MISTYPED)["Location"] == "/posts/sleep/"
    assert rows() == []  # no 404 any more


def test_an_editor_sees_the_addresses_but_only_a_moderator_aliases_a_live_post(client, people, sleep_post):
    client.get(MISTYPED)
    found = NotFound.objects.get()
    client.force_login(people["Editor"])

    listed = client.get(LIST)
    assert listed.status_code == 200 and "Vitamin D and sleep quality" in text(listed)
    assert "formaction" not in listed.content.decode()
    forged = client.post(f"{LIST}{found.pk}/alias/", {"post": sleep_post.pk}, follow=True)
    assert "only moderators change the aliases and attachments of a post readers reach" in text(forged)
    assert not Alias.objects.exists() and rows() == [(NORMAL, 1, "")]


def test_an_author_neither_sees_the_addresses_nor_makes_aliases(client, people, sleep_post):
    client.get(MISTYPED)
    found = NotFound.objects.get()
    client.force_login(people["Author"])
    assert client.get(LIST).status_code == 403
    assert client.post(f"{LIST}{found.pk}/alias/", {"post": sleep_post.pk}).status_code == 403
    assert not Alias.objects.exists()


@pytest.mark.parametrize("chosen", ["", "x", "999999", "1 OR 1=1", "-1", "9" * 30])
def test_a_forged_post_is_refused_and_nothing_changes(client, people, sleep_post, chosen):
    client.get(MISTYPED)
    found = NotFound.objects.get()
    client.force_login(people["Moderator"])
    response = client.post(f"{LIST}{found.pk}/alias/", {"post": chosen}, follow=True)
    assert "That post does not exist, or is not yours to link." in text(response)
    assert not Alias.objects.exists() and rows() == [(NORMAL, 1, "")]


def test_an_address_taken_meanwhile_is_refused_and_the_alias_there_stays(client, people, sleep_post):
    other = workflow.publish(
        workflow.create(by=people["Author"], content=Content("Other", "other", "Words.")), by=people["Moderator"]
    )
    client.get(MISTYPED)
    found = NotFound.objects.get()
    Alias.objects.create(path=NORMAL, post=other)  # another editor's, meanwhile
    client.force_login(people["Moderator"])
    response = client.post(f"{LIST}{found.pk}/alias/", {"post": sleep_post.pk}, follow=True)
    assert f"{NORMAL} was not made an alias: Alias with this Path already exists." in text(response)
    assert list(Alias.objects.values_list("path", "post")) == [(NORMAL, other.pk)]


def test_the_make_alias_button_needs_the_csrf_token(people, sleep_post):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.get(MISTYPED)
    found = NotFound.objects.get()
    client.force_login(people["Moderator"])
    assert client.post(f"{LIST}{found.pk}/alias/", {"post": sleep_post.pk}).status_code == 403
    assert not Alias.objects.exists()


def test_an_alias_added_anywhere_takes_its_address_off_the_list(client, people, sleep_post):
    client.get(MISTYPED)
    client.force_login(people["Moderator"])
    client.post("/admin/posts/alias/add/", {"path": MISTYPED, "post": sleep_post.pk, "kind": "manual"})
    assert Alias.objects.get().path == NORMAL and rows() == []


def test_hostile_addresses_and_referrers_are_shown_as_text(client, people):
    client.get("/<script>alert(1)</script>", HTTP_REFERER="javascript:alert(2)")
    client.force_login(people["Moderator"])
    html = client.get(LIST).content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert 'href="javascript:' not in html and "javascript:alert(2)" in html


def test_a_404_with_non_latin_1_characters_is_counted_through_gunicorn(server):
    answer = server.get(percent_encoded("/Omega-3+–+µg+café"))
    assert answer.status == 404
    assert rows() == [(normalize_path("/Omega-3 – µg café"), 1, "")]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the whole database is locked on SQLite alone")
def test_while_another_process_writes_the_database_redirects_and_404s_are_served_at_once_uncounted(server):
    sleep = make_post("sleep", title="Vitamin D and sleep")
    Alias.objects.create(path="/15008", post=sleep)
    writer = sqlite3.connect(connection.settings_dict["NAME"])
    writer.execute("BEGIN IMMEDIATE")  # as an import's batch, or a test's transaction, holds it
    try:
        started = time.monotonic()
        redirected, missing = server.get("/15008"), server.get("/no-such-page")
        waited = time.monotonic() - started
    finally:
        writer.rollback()
        writer.close()
    assert (redirected.status, redirected.headers["Location"], missing.status) == (301, "/posts/sleep/", 404)
    assert waited < 2  # the busy timeout is 5 s a request
    assert Alias.objects.get().hits == 0 and rows() == []

    server.get("/15008")
    server.get("/no-such-page")
    assert Alias.objects.get().hits == 1 and rows() == [("/no-such-page", 1, "")]


@pytest.mark.parametrize("asked", ["/Vitamin%2520D%2520sleep", "/why%3F%20really?utm=1"])
def test_an_address_with_a_percent_or_question_mark_made_an_alias_leads_to_the_post(client, people, sleep_post, asked):
    client.get(asked)  # its normal form holds "%20" (a link encoded twice), "?" (one encoded once)
    found = NotFound.objects.get()
    client.force_login(people["Moderator"])
    client.post(f"{LIST}{found.pk}/alias/", {"post": sleep_post.pk})
    assert list(Alias.objects.values_list("path", flat=True)) == [found.path] and rows() == []
    alias = Alias.objects.get()
    alias.full_clean()
    alias.save()  # as the admin saves it, moved to another post say: not decoded again
    client.logout()
    assert client.get(asked)["Location"] == "/posts/sleep/"


def test_another_post_link_keeps_an_address_with_a_percent(client, people, sleep_post):
    client.get("/Vitamin%2520D")
    found = NotFound.objects.get()
    client.force_login(people["Moderator"])
    html = client.get(LIST).content.decode()
    add = unescape(re.search(r'href="(/admin/posts/alias/add/\?[^"]*)"', html)[1])
    path = client.get(add).context["adminform"].form.initial["path"]
    client.post("/admin/posts/alias/add/", {"path": path, "post": sleep_post.pk, "kind": "manual"})
    assert list(Alias.objects.values_list("path", flat=True)) == [found.path] and rows() == []


def test_an_alias_still_redirects_when_its_hit_cannot_be_counted(client, sleep_post, monkeypatch):
    """With SQLite, while an import writes, the count's write waits, then fails: not the redirect."""
    from django.db import OperationalError
    from django.db.models import QuerySet

    update = QuerySet.update

    def locked(queryset, **changes):
        if queryset.model is Alias:
            raise OperationalError("database is locked")
        return update(queryset, **changes)

    Alias.objects.create(path="/15008", post=sleep_post)
    monkeypatch.setattr(QuerySet, "update", locked)
    assert client.get("/15008")["Location"] == "/posts/sleep/"


def test_an_address_links_to_itself_not_off_the_site(client, people):
    client.get("/%5Cevil.com")  # "/\evil.com": browsers read a "\" as "/", and "//evil.com" is elsewhere
    client.get("/Vitamin%2520D")
    client.force_login(people["Moderator"])
    html = client.get(LIST).content.decode()
    hrefs = re.findall(r'<td class="field-address"><a href="([^"]*)"', html)
    assert sorted(hrefs) == ["/%5Cevil.com", "/vitamin%2520d"]
    client.logout()
    client.get("/vitamin%2520d")  # the link followed: the same address
    assert rows() == [("/vitamin%20d", 2, ""), ("/\\evil.com", 1, "")]
