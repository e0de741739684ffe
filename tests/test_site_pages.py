"""Site pages (posts/site_pages.py): About, Contact and the home page's introduction, written and
reviewed as posts through the admin, served at the address their editor chose, listed nowhere
posts are listed."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from posts import workflow
from posts.legacy.export import export_dump
from posts.models import Alias, Post, PostAction
from posts.workflow import Content

from .factories import change_post, make_post, make_user
from .test_admin import form_of

# Committed: what readers get of the pages (the footer's links, the addresses a page is looked for
# at) is kept for the content version, which moves once a change commits.
pytestmark = pytest.mark.django_db(transaction=True)

Kind, Status = Post.Kind, Post.Status
ADD_PAGE = "/admin/posts/post/add/?kind=page"


@pytest.fixture
def users(roles):
    return {role: make_user(role, role.lower()) for role in ["Author", "Editor", "Moderator", "Admin"]}


@pytest.fixture(autouse=True)
def fresh_pages(settings):
    """Pages made fresh for each request; the page cache has its own test below."""
    settings.VDWIKI_CACHE_PAGES = False


def make_page(by, path="/about/", *, title="About us", body="We write about vitamin D.", kind=Kind.PAGE):
    """A draft site page written by `by`, as the admin's add page makes it."""
    page = Post(kind=kind, path=path if kind == Kind.PAGE else "")
    return workflow.create(by=by, content=Content(title, f"page-{title.lower().replace(' ', '-')}", body), post=page)


def live_page(users, path="/about/", **fields) -> Post:
    page = make_page(users["Author"], path, **fields)
    workflow.submit(page, by=users["Author"])
    return workflow.approve(page, by=users["Moderator"])


def edit_page(page, by, body):
    page = Post.objects.get(pk=page.pk)
    old = Content.of(page.latest_revision)
    return workflow.edit(page, by=by, content=Content(old.title, old.slug, body), based_on=page.latest_revision)


def errors_of(response) -> str:
    return unescape(" ".join(re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.content.decode())))


# Written, reviewed and served


def test_an_authors_page_is_reviewed_then_served_at_the_address_they_chose(client, users):
    client.force_login(users["Author"])
    form = form_of(client.get(ADD_PAGE).content.decode())
    assert "path" in form and "slug" not in form and "categories" not in form
    data = {**form, "title": "About us", "body": "We **write** about vitamin D.", "path": " /About/ ", "_save": "1"}
    response = client.post(ADD_PAGE, data)
    assert response.status_code == 302 and response["Location"] == "/admin/posts/sitepage/"
    page = Post.objects.get(title="About us")
    assert (page.kind, page.path, page.status, page.author) == (Kind.PAGE, "/about/", Status.DRAFT, users["Author"])
    assert page.slug == "page-about-us" and page.revisions.count() == 1

    client.logout()
    assert client.get("/about/").status_code == 404  # a draft
    workflow.submit(page, by=users["Author"])
    assert client.get("/about/").status_code == 404
    assert Post.objects.in_review().filter(pk=page.pk).exists()  # in the moderators' queue
    workflow.approve(page, by=users["Moderator"])

    response = client.get("/about/")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<div id="post-body"><p>We <strong>write</strong> about vitamin D.</p>\n</div>' in body
    assert "<title>About us — VitaminDWiki</title>" in body
    assert '<link rel="canonical" href="http://testserver/about/">' in body
    assert "Vary" not in response  # a published page is served without asking who asks
    assert client.get("/posts/page-about-us/").status_code == 404  # a page is not a post
    actions = list(PostAction.objects.filter(post=page).values_list("action", flat=True))
    assert actions == [PostAction.Action.APPROVE, PostAction.Action.SUBMIT, PostAction.Action.CREATE]


def test_other_spellings_of_a_pages_address_lead_to_it_in_one_hop(client, users):
    live_page(users, "/about/our-team/")
    for spelling in ["/about/our-team", "/About/Our-Team/", "/ABOUT/our-team"]:
        response = client.get(spelling)
        assert (response.status_code, response["Location"]) == (301, "/about/our-team/"), spelling


def test_a_change_to_a_live_page_waits_in_review_while_readers_get_the_live_text(client, users):
    page = live_page(users, body="The approved text.")
    edit_page(page, users["Author"], "An unreviewed text.")
    workflow.submit(page, by=users["Author"])

    text = client.get("/about/").content.decode()
    assert "The approved text." in text and "unreviewed" not in text
    page.refresh_from_db()
    assert workflow.describe_state(page) == "published, with changes in review"

    workflow.approve(page, by=users["Moderator"])
    text = client.get("/about/").content.decode()
    assert "An unreviewed text." in text and "The approved text." not in text
    assert page.revisions.count() == 2


def test_the_edit_page_of_a_live_page_saves_a_revision_readers_do_not_see_yet(client, users):
    page = live_page(users, body="The approved text.")
    client.force_login(users["Editor"])
    url = f"/admin/posts/post/{page.pk}/change/"
    edit = client.get(url).content.decode()
    assert "Change site page" in edit and 'name="path"' not in edit  # the address is a moderator's now
    data = {**form_of(edit), "body": "Edited in the admin.", "_continue": "1"}
    assert client.post(url, data).status_code == 302
    page.refresh_from_db()
    assert (page.pending_status, page.body, page.latest_revision.body) == (
        Status.DRAFT,
        "The approved text.",
        "Edited in the admin.",
    )
    client.logout()
    assert "The approved text." in client.get("/about/").content.decode()


def test_drafts_are_seen_by_their_author_and_editors_only(client, users):
    page = make_page(users["Author"], "/contact/", title="Contact")
    for role, status in [("Author", 200), ("Editor", 200), ("Moderator", 200)]:
        client.force_login(users[role])
        response = client.get("/contact/")
        assert response.status_code == status, role
        assert "This page is draft; readers cannot see it." in response.content.decode()
    client.force_login(make_user("Author", "another-author"))
    assert client.get("/contact/").status_code == 404
    client.logout()
    assert client.get("/contact/").status_code == 404
    workflow.submit(page, by=users["Author"])
    assert client.get("/contact/").status_code == 404


def test_an_unpublished_page_answers_404_and_a_deleted_one_410(client, users):
    page = live_page(users)
    workflow.unpublish(page, by=users["Moderator"])
    assert client.get("/about/").status_code == 404
    workflow.delete(page, by=users["Moderator"])
    assert client.get("/about/").status_code == 410


def test_a_deleted_page_comes_back_only_if_nothing_took_its_place(users):
    """Once a page is deleted, its address may be given to an alias, and the home page another
    introduction: undeleted, the page would be hidden by the alias, or a second introduction."""
    page = live_page(users, "/about/")
    workflow.delete(page, by=users["Moderator"])
    post = make_post("vitamin-d-news", title="News")
    workflow.change_aliases(by=users["Moderator"], save=[Alias(path="/About", post=post)])
    with pytest.raises(ValidationError, match="/about/ is an alias of “News”"):
        workflow.undelete(page, by=users["Moderator"])

    introduction = live_page(users, kind=Kind.HOME_INTRODUCTION, title="Welcome")
    workflow.delete(introduction, by=users["Moderator"])
    live_page(users, kind=Kind.HOME_INTRODUCTION, title="Hello")
    with pytest.raises(ValidationError, match="The home page has an introduction already, “Hello”"):
        workflow.undelete(introduction, by=users["Moderator"])
    assert Post.objects.filter(pk__in=[page.pk, introduction.pk], status=Status.DELETED).count() == 2

    workflow.change_aliases(by=users["Moderator"], delete=list(Alias.objects.all()))
    assert workflow.undelete(page, by=users["Moderator"]).status == Status.DRAFT


def test_with_debug_on_a_page_is_still_served(client, users, settings):
    live_page(users)
    settings.DEBUG = True  # Django's own 404 page replaces the handler: the middleware answers
    response = client.get("/about/")
    assert response.status_code == 200 and "We write about vitamin D." in response.content.decode()


def test_a_page_is_no_posts_neighbour(client, users):
    from datetime import UTC, datetime

    make_post("older", title="The older post", date=datetime(2020, 1, 1, tzinfo=UTC))
    live_page(users)
    Post.objects.filter(kind=Kind.PAGE).update(date=datetime(2020, 1, 2, tzinfo=UTC))
    make_post("newer", title="The newer post", date=datetime(2020, 1, 3, tzinfo=UTC))
    text = client.get("/posts/older/").content.decode()
    assert '<a rel="next" href="/posts/newer/">' in text and "About us" not in text.split("</main>")[0]


def test_a_preview_link_shows_a_pages_waiting_revision_as_a_page(client, users):
    from posts import previews

    page = live_page(users, body="The approved text.")
    revision = edit_page(page, users["Author"], "A waiting text.")
    response = client.get(previews.preview_url(revision))
    text = response.content.decode()
    assert response.status_code == 200 and "A waiting text." in text and "which readers cannot see" in text
    assert "Related posts" not in text and "article:published_time" not in text


# Addresses and aliases


def test_an_alias_of_a_page_redirects_to_its_address(client, users):
    page = live_page(users)
    workflow.change_aliases(by=users["Moderator"], save=[Alias(path="/About+VitaminDWiki", post=page)])
    response = client.get("/about+vitamindwiki")
    assert (response.status_code, response["Location"]) == (301, "/about/")
    assert client.get("/tiki-index.php?page=About VitaminDWiki")["Location"] == "/about/"


def test_a_moderator_moves_a_live_page_and_its_old_address_still_leads_to_it(client, users):
    page = live_page(users)
    with pytest.raises(PermissionDenied):
        workflow.change_details(page, by=users["Editor"], values={"path": "/about-us/"})
    workflow.change_details(page, by=users["Moderator"], values={"path": "/about-us/"})
    assert client.get("/about-us/").status_code == 200
    response = client.get("/about/")
    assert (response.status_code, response["Location"]) == (301, "/about-us/")
    assert Alias.objects.get(post=page).kind == Alias.Kind.OLD_ADDRESS
    assert "address: /about/ → /about-us/" in PostAction.objects.filter(post=page).first().comment

    workflow.change_details(page, by=users["Moderator"], values={"path": "/about/"})  # and back
    assert client.get("/about/").status_code == 200
    assert client.get("/about-us/")["Location"] == "/about/"


def test_its_author_changes_a_draft_pages_address_freely(client, users):
    page = make_page(users["Author"])
    client.force_login(users["Author"])
    url = f"/admin/posts/post/{page.pk}/change/"
    data = {**form_of(client.get(url).content.decode()), "path": "/who-we-are/", "_continue": "1"}
    assert client.post(url, data).status_code == 302
    page.refresh_from_db()
    assert page.path == "/who-we-are/" and not Alias.objects.exists()  # nobody knew the draft's address


def test_once_a_moderator_scheduled_a_page_only_moderators_move_it(users):
    """The moderator approved the page to go live at its address; its author moving it would put
    it live where nobody reviewed (as a change to its text takes it off the schedule)."""
    page = make_page(users["Author"])
    workflow.submit(page, by=users["Author"])
    page = workflow.schedule(page, by=users["Moderator"], at=timezone.now() + timedelta(days=1))
    for role in ["Author", "Editor"]:
        assert "path" not in workflow.may_set_details(users[role], page)
        with pytest.raises(PermissionDenied):
            workflow.change_details(page, by=users[role], values={"path": "/free-vitamins/"})
    workflow.change_details(page, by=users["Moderator"], values={"path": "/about-us/"})
    assert Post.objects.get(pk=page.pk).path == "/about-us/"


REFUSED_PATHS = [
    ("about", "An address starts and ends with “/”, such as /about/ (not “about”)."),
    ("/about", "An address starts and ends with “/”, such as /about/ (not “/about”)."),
    ("/", "The home page is the site's own"),
    ("/about us/", "“/about us/” is not an address a page can have"),
    ("/about.html/", "is not an address a page can have"),
    ("/a//b/", "is not an address a page can have"),
    ("/a?b=1/", "is not an address a page can have"),
    ("/posts/", "A page at /posts/ would hide the site's own page /posts/ (posts:list)."),
    ("/posts/our-story/", "would hide the site's own page /posts/our-story/ (posts:detail)."),
    ("/tags/about/", "would hide the site's own page /tags/about/ (posts:tag)."),
    ("/admin/about/", "would hide the site's own page /admin/about/ (admin:"),
    ("/feed/", "would hide the site's own page /feed/ (feeds:site)."),
    ("/search/help/", "would hide the site's own page /search/ (posts:search)."),
    ("/static/about/", "would hide the site's files under /static/"),
]


@pytest.mark.parametrize(("path", "message"), REFUSED_PATHS)
def test_an_address_a_page_cannot_have_is_refused_with_the_reason(client, users, path, message):
    client.force_login(users["Editor"])
    data = {**form_of(client.get(ADD_PAGE).content.decode()), "title": "About", "path": path, "_save": "1"}
    response = client.post(ADD_PAGE, data)
    assert response.status_code == 200 and message in errors_of(response)
    assert not Post.objects.exists()
    with pytest.raises(ValidationError, match=re.escape(message)):
        make_page(users["Editor"], path)


def test_an_address_taken_by_another_page_or_an_alias_is_refused(client, users):
    live_page(users, "/about/")
    post = make_post("vitamin-d-news")
    workflow.change_aliases(by=users["Moderator"], save=[Alias(path="/contact", post=post)])
    client.force_login(users["Editor"])
    form = form_of(client.get(ADD_PAGE).content.decode())
    for path, message in [
        ("/About/", "The address /about/ is taken by the page “About us”."),
        ("/contact/", "/contact/ is an alias of “Vitamin d news”: remove the alias there first."),
    ]:
        response = client.post(ADD_PAGE, {**form, "title": "Another", "path": path, "_save": "1"})
        assert message in errors_of(response)
    assert Post.objects.site_pages().count() == 1


def test_an_alias_at_a_pages_address_is_refused(users):
    live_page(users, "/about/")
    post = make_post("vitamin-d-news")
    with pytest.raises(ValidationError, match="would hide the site page “About us” at /about/"):
        workflow.change_aliases(by=users["Moderator"], save=[Alias(path="/About", post=post)])


def test_an_import_refuses_an_alias_at_a_pages_address(users, tmp_path):
    from posts.legacy.importer import import_dump

    live_page(users, "/about/")
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "news.md").write_text('{"title": "News", "date": "2024-01-02", "aliases": ["/About"]}\n\nText.')
    report = import_dump(dump)
    assert [failure["message"] for failure in report.failed] == [
        "news.md, field 'aliases': alias '/About' is already claimed by post 'page-about-us'"
    ]
    assert not Post.objects.posts().exists()


@pytest.mark.parametrize("force", [False, True])
def test_an_import_never_writes_over_a_site_page(users, tmp_path, force):
    """A file of the dump with a page's slug is another post: forced or not, the page is kept."""
    from posts.legacy.importer import import_dump

    page = live_page(users, "/about/")
    dump = tmp_path / "dump"
    dump.mkdir()
    front = '{"title": "Imported", "date": "2024-01-02", "categories": ["News"]}'
    (dump / "page-about-us.md").write_text(front + "\n\nText.")
    report = import_dump(dump, force=force)
    assert [failure["message"] for failure in report.failed] == [
        "page-about-us.md, field 'slug': slug 'page-about-us' belongs to the site page 'About us'"
    ]
    page = Post.objects.get(pk=page.pk)
    assert (page.title, page.kind, page.categories.count()) == ("About us", Kind.PAGE, 0)


# Listed nowhere posts are listed


def test_pages_are_in_no_list_feed_search_or_archive_but_in_the_sitemap(client, users):
    change_post(make_post("vitamin-d-news", title="Vitamin D news", tags=["vitamin d"]), body="About vitamin D.")
    page = live_page(users, "/about/", title="About vitamin D wiki", body="About vitamin D.")
    edit_page(page, users["Editor"], "About vitamin D and us.")
    workflow.publish(page, by=users["Moderator"])  # now with a date of change, as the recent posts
    year = Post.objects.get(kind=Kind.PAGE).date.year
    for url in [
        "/",
        "/posts/",
        "/recent/",
        f"/archive/{year}/",
        "/tags/vitamin-d/",
        "/feed/",
        "/feed/atom/",
        "/search/?q=vitamin",
        "/posts/vitamin-d-news/",
    ]:
        text = client.get(url).content.decode()
        assert "Vitamin D news" in text, url
        assert "About vitamin D wiki" not in text.replace('href="/about/">About vitamin D wiki</a>', ""), url
    archive = client.get("/archive/").content.decode()
    assert '<span class="count">1</span></h2>' in archive and "2 posts" not in archive  # the post alone
    sitemap = client.get("/sitemap-site-pages.xml").content.decode()
    assert "<loc>http://testserver/about/</loc>" in sitemap
    assert "/about/" not in client.get("/sitemap-posts.xml").content.decode()


def test_every_page_links_the_published_site_pages_in_its_footer(client, users):
    live_page(users, "/contact/", title="Contact")
    live_page(users, "/about/", title="About us")
    make_page(users["Author"], "/draft/", title="A draft page")
    text = client.get("/posts/").content.decode()
    footer = text[text.index('<footer class="site-footer">') :]
    assert re.findall(r'<a href="(/[a-z]+/)">([^<]+)</a>', footer)[-2:] == [
        ("/about/", "About us"),
        ("/contact/", "Contact"),
    ]
    assert "A draft page" not in footer


def test_the_footers_links_cost_no_query_once_cached(client, users, django_assert_num_queries):
    from posts.site_pages import page_links

    live_page(users)
    assert page_links() == [{"title": "About us", "path": "/about/"}]
    with django_assert_num_queries(0):
        assert page_links() == [{"title": "About us", "path": "/about/"}]


def test_a_posts_link_to_a_page_is_not_a_broken_link(users):
    from posts import links

    live_page(users, "/about/")
    assert links.resolvable(["/about/", "/About", "/contact/"]) == {"/about/", "/About"}


# The home page's introduction


def test_the_home_page_shows_its_published_introduction_at_the_top(client, users):
    make_post("vitamin-d-news", title="Vitamin D news")
    intro = make_page(users["Author"], kind=Kind.HOME_INTRODUCTION, title="Home", body="Welcome to **VitaminDWiki**.")
    assert "Welcome" not in client.get("/").content.decode()
    workflow.submit(intro, by=users["Author"])
    workflow.approve(intro, by=users["Moderator"])
    text = client.get("/").content.decode()
    assert '<section class="introduction" aria-label="About VitaminDWiki"><p>Welcome to <strong>' in text
    assert text.index("Welcome to") < text.index("Vitamin D news")


def test_the_home_page_has_one_introduction(client, users):
    make_page(users["Editor"], kind=Kind.HOME_INTRODUCTION, title="Home")
    with pytest.raises(ValidationError, match="The home page has an introduction already, “Home”: edit that one."):
        make_page(users["Editor"], kind=Kind.HOME_INTRODUCTION, title="Home again")
    client.force_login(users["Editor"])
    url = "/admin/posts/post/add/?kind=home_intro"
    form = form_of(client.get(url).content.decode())
    assert "path" not in form
    response = client.post(url, {**form, "title": "Home again", "body": "Hello", "_save": "1"})
    assert "The home page has an introduction already" in errors_of(response)


def test_a_site_page_has_no_categories_or_tags(users):
    with pytest.raises(ValidationError, match="A site page has no categories or tags"):
        workflow.create(
            by=users["Editor"],
            content=Content("About", "page-about", tags=("x",)),
            post=Post(kind=Kind.PAGE, path="/about/"),
        )


# The admin


def test_the_post_list_shows_posts_and_the_site_pages_list_shows_pages(client, users):
    make_post("vitamin-d-news", title="Vitamin D news")
    live_page(users, "/about/", title="About us")
    make_page(users["Author"], kind=Kind.HOME_INTRODUCTION, title="Welcome text")
    client.force_login(users["Editor"])
    posts = client.get("/admin/posts/post/").content.decode()
    assert "Vitamin D news" in posts and "About us" not in posts
    pages = client.get("/admin/posts/sitepage/").content.decode()
    assert "About us" in pages and "Welcome text" in pages and "Vitamin D news" not in pages
    assert f'href="/admin/posts/post/{Post.objects.get(path="/about/").pk}/change/"' in pages
    assert client.get("/admin/posts/sitepage/add/")["Location"] == ADD_PAGE
    introduction = Post.objects.get(kind=Kind.HOME_INTRODUCTION)
    assert f'<a href="/admin/posts/post/{introduction.pk}/change/">The home page\'s introduction</a>' in pages
    edit = client.get(f"/admin/posts/post/{introduction.pk}/change/").content.decode()
    assert "Change home page introduction" in edit and 'name="path"' not in edit
    assert "Site pages" in client.get("/admin/").content.decode()


# Export


def test_the_export_leaves_site_pages_out_and_says_so(tmp_path, users):
    make_post("vitamin-d-news")
    live_page(users)
    report = export_dump(tmp_path / "dump")
    assert (report.written, report.site_pages_left_out) == (1, 1)
    assert [path.name for path in (tmp_path / "dump").iterdir()] == ["vitamin-d-news.md"]
    out = tmp_path / "out.txt"
    with out.open("w") as stdout:
        call_command("export_dump", str(tmp_path / "again"), stdout=stdout)
    assert "1 site page(s) left out: the dump's format holds posts only" in out.read_text()


# The demo


def test_the_demo_publishes_about_contact_and_the_introduction_once(client, roles, settings, tmp_path):
    settings.DEBUG = True
    out = tmp_path / "out.txt"
    with out.open("w") as stdout:
        call_command("create_demo_users", stdout=stdout)
        call_command("create_demo_pages", stdout=stdout)
        call_command("create_demo_pages", stdout=stdout)  # again: nothing more
    pages = Post.objects.site_pages().live()
    assert sorted(pages.values_list("kind", "path")) == [(Kind.HOME_INTRODUCTION, ""), (Kind.PAGE, "/about/"),
                                                         (Kind.PAGE, "/contact/")]  # fmt: skip
    assert "VitaminDWiki collects research news" in client.get("/about/").content.decode()
    assert "<strong>VitaminDWiki</strong> gathers" in client.get("/").content.decode()


# The page cache


def test_a_page_is_cached_for_readers_and_goes_stale_when_a_change_is_approved(
    client, users, settings, django_capture_on_commit_callbacks
):
    settings.VDWIKI_CACHE_PAGES = True
    with django_capture_on_commit_callbacks(execute=True):
        page = live_page(users, body="The approved text.")
    first = client.get("/about/")
    assert first.status_code == 200 and "ETag" in first
    Post.objects.filter(pk=page.pk).update(body_html="<p>Changed behind the cache's back.</p>")
    assert "The approved text." in client.get("/about/").content.decode()  # the kept page
    assert client.get("/about/", headers={"if-none-match": first["ETag"]}).status_code == 304
    with django_capture_on_commit_callbacks(execute=True):
        edit_page(page, users["Author"], "The new text.")
    assert "The approved text." in client.get("/about/").content.decode()  # the change waits: same page
    with django_capture_on_commit_callbacks(execute=True):
        workflow.publish(page, by=users["Moderator"])
    assert "The new text." in client.get("/about/").content.decode()
