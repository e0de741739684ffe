"""The broken links report (posts/links.py, the admin's Broken links): the links of published posts
that lead a reader nowhere after aliases, with the post and the link's text, following every
change to posts, aliases and categories."""

import re
from html import unescape

import pytest
from django.core.management import call_command

from posts import workflow
from posts.legacy.importer import import_dump
from posts.links import broken_targets, links_in
from posts.models import Alias, Category, Post, PostLink
from posts.rendering import render
from posts.workflow import Content

from .factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)

REPORT = "/admin/posts/brokenlink/"
BODY = """See [the sleep study](/posts/sleep/), [a post never written](/posts/never-written/),
[the old address](/15008), [a **draft**](/posts/draft/), [a missing tag](/tags/no-such-tag/),
[the hidden category](/categories/admin-only/), [the chart](/media/chart.png),
[elsewhere](https://example.org/posts/x/) and [the sleep study again](/posts/sleep/)."""


@pytest.fixture
def people(roles):
    return {role: make_user(role, role.lower()) for role in ["Author", "Editor", "Moderator"]}


def publish(people, title: str, slug: str, body: str = "Words.", categories=()) -> Post:
    post = workflow.create(by=people["Author"], content=Content(title, slug, body, categories=categories))
    return workflow.publish(post, by=people["Moderator"])


def reported(client) -> list[tuple[str, str, str]]:
    """The report's rows: (post title, link text, where it leads)."""
    html = client.get(REPORT).content.decode()
    rows = re.findall(r'<tr[^>]*>\s*<td class="field-in_post">(.*?)</td>\s*<td class="field-text">(.*?)</td>\s*'
                      r'<td class="field-leads_to">(.*?)</td>', html, re.DOTALL)  # fmt: skip
    return [tuple(" ".join(unescape(re.sub(r"<[^>]+>", " ", cell)).split()) for cell in row) for row in rows]


@pytest.fixture
def linking(people):
    """A published post linking to the site in every way, and what its links lead to."""
    sleep = publish(people, "Vitamin D and sleep", "sleep")
    Alias.objects.create(path="/15008", post=sleep)
    workflow.create(by=people["Author"], content=Content("A draft", "draft", "Words."))
    Category.objects.create(name="Admin Only")  # hidden when made (DJANGO_HIDDEN_CATEGORIES)
    publish(people, "Filed away", "filed", categories=("Admin Only",))
    assert Category.objects.get(slug="admin-only").hidden
    return publish(people, "A review", "review", BODY)


def test_the_links_of_a_body_are_its_site_addresses_with_their_first_text():
    links = links_in(render(BODY + "\n\n[Q&amp;A <em>here</em>](/search/?q=a&b=c)").html)
    assert links == {
        "/posts/sleep/": "the sleep study",
        "/posts/never-written/": "a post never written",
        "/15008": "the old address",
        "/posts/draft/": "a draft",
        "/tags/no-such-tag/": "a missing tag",
        "/categories/admin-only/": "the hidden category",
        "/search/?q=a&b=c": "Q&A here",
    }


def test_a_link_text_longer_than_the_report_keeps_is_cut_with_an_ellipsis():
    fits, long = "word " * 59 + "lasts", "word " * 60 + "beyond"  # 300 and 306 characters
    links = links_in(render(f"[{fits}](/posts/a/) and [{long}](/posts/b/)").html)
    assert links["/posts/a/"] == fits
    assert links["/posts/b/"] == ("word " * 60).strip()[:299] + "…"
    assert len(links["/posts/b/"]) == PostLink._meta.get_field("text").max_length


def test_a_link_text_of_letters_with_combining_marks_fits_the_column_counted_in_code_points():
    """Pointed Hebrew keeps its points as combining marks (no composed form): 200 letters are 400
    code points, which Django's Truncator counted as 200, so the text went whole to a column of
    300 and PostgreSQL refused the post (value too long)."""
    pointed = "\u05e9\u05b8" * 200
    links = links_in(render(f"[{pointed}](/posts/a/) and [{pointed[:100]}](/posts/b/)").html)
    assert links["/posts/a/"] == pointed[:299] + "…"
    assert len(links["/posts/a/"]) == PostLink._meta.get_field("text").max_length
    assert links["/posts/b/"] == pointed[:100]


def test_the_report_lists_the_links_leading_a_reader_nowhere_with_the_post_and_the_text(client, people, linking):
    client.force_login(people["Editor"])
    assert reported(client) == [
        ("A review (on the site)", "the hidden category", "/categories/admin-only/"),
        ("A review (on the site)", "a draft", "/posts/draft/"),
        ("A review (on the site)", "a post never written", "/posts/never-written/"),
        ("A review (on the site)", "a missing tag", "/tags/no-such-tag/"),
    ]


def test_the_report_follows_posts_aliases_and_categories_as_they_change(client, people, linking):
    client.force_login(people["Moderator"])
    publish(people, "Now written", "never-written")
    draft = Post.objects.get(slug="draft")
    workflow.publish(draft, by=people["Moderator"])
    Category.objects.filter(slug="admin-only").update(hidden=False)
    Category.objects.get(slug="admin-only").save()  # saved in the admin: receivers refresh its posts
    assert [row[2] for row in reported(client)] == ["/tags/no-such-tag/"]

    sleep = Post.objects.get(slug="sleep")
    workflow.unpublish(sleep, by=people["Moderator"])  # its address and its alias lead nowhere now
    assert sorted(row[2] for row in reported(client)) == ["/15008", "/posts/sleep/", "/tags/no-such-tag/"]

    linking.refresh_from_db()
    content = Content("A review", "review", "No links.")
    workflow.edit(linking, by=people["Author"], content=content, based_on=linking.latest_revision_id)
    assert len(reported(client)) == 3  # readers still see the links until the change is approved
    workflow.submit(Post.objects.get(pk=linking.pk), by=people["Author"])
    workflow.approve(Post.objects.get(pk=linking.pk), by=people["Moderator"])
    assert reported(client) == []

    workflow.delete(Post.objects.get(slug="review"), by=people["Moderator"])
    assert not PostLink.objects.filter(post__slug="review").exists()


def test_an_author_cannot_see_the_report_and_no_one_changes_it(client, people, linking):
    client.force_login(people["Author"])
    assert client.get(REPORT).status_code == 403
    client.force_login(people["Moderator"])
    assert client.get(f"{REPORT}add/").status_code == 403
    link = PostLink.objects.first()
    assert client.post(f"{REPORT}{link.pk}/delete/", {"post": "yes"}).status_code == 403
    assert PostLink.objects.filter(pk=link.pk).exists()


def test_hostile_link_texts_and_targets_are_shown_as_text(client, people):
    publish(
        people, "Hostile <b>title</b>", "hostile", '[<img src=x onerror=alert(1)>](/posts/"><script>alert(2)</script>)'
    )
    client.force_login(people["Editor"])
    html = client.get(REPORT).content.decode()
    assert "<script>alert(2)" not in html and "onerror=alert(1)>" not in html
    assert "Hostile &lt;b&gt;title&lt;/b&gt;" in html


def test_after_an_import_the_report_holds_the_links_the_import_reported(client, people, corpus_dump):
    report = import_dump(corpus_dump)
    expected = {(link["post"], link["link"]) for link in report.broken_links}
    broken = PostLink.objects.filter(target__in=broken_targets()).select_related("post")
    assert expected and {(link.post.slug, link.target) for link in broken} == expected
    client.force_login(people["Editor"])
    assert f"{len(expected)} broken links" in client.get(REPORT).content.decode()


def test_migration_0020_stores_the_links_of_the_posts_already_there(people):
    post = publish(people, "Before", "before", "[gone](/posts/gone/)")
    call_command("migrate", "posts", "0019", verbosity=0)
    call_command("migrate", "posts", verbosity=0)
    assert list(PostLink.objects.values_list("post", "target", "text")) == [(post.pk, "/posts/gone/", "gone")]


def test_the_feeds_of_a_missing_category_or_tag_are_broken_links(client, people):
    feeds = [f"/{kind}/nope/feed/{atom}" for kind in ["categories", "tags"] for atom in ["", "atom/"]]
    publish(people, "Feeds", "feeds", " ".join(f"[feed]({feed})" for feed in feeds) + " [all](/feed/atom/)")
    assert broken_targets() == feeds
    assert {client.get(feed).status_code for feed in feeds} == {404}


def test_links_in_the_old_wikis_forms_without_a_slash_are_checked_as_the_pages_they_lead_to(client, people, linking):
    """`/posts/x`, `/categories/x` and `/tags/x.html` are written as the addresses they redirect
    to (rendering), and reported when that page does not exist, as the same link with its slash."""
    body = (
        "[written](/posts/sleep) [never written](/posts/never-written) [draft](/posts/draft)"
        " [a category](/categories/admin-only) [no category](/categories/no-such-category)"
        " [no tag](/tags/no-such-tag.html)"
    )
    publish(people, "Old forms", "old-forms", body)
    client.force_login(people["Editor"])

    assert sorted(link for title, _, link in reported(client) if title.startswith("Old forms")) == [
        "/categories/admin-only/",
        "/categories/no-such-category/",
        "/posts/draft/",
        "/posts/never-written/",
        "/tags/no-such-tag/",
    ]
