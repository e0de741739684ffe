"""The edit page with the test client: its layout's parts, the summary, the titles endpoint of the
"link to a post" dialog, the tags suggested by use."""

from html import unescape

import pytest

from posts.models import Post

from .factories import make_post, make_user
from .test_admin import form_of

pytestmark = pytest.mark.django_db

TITLES = "/admin/posts/post/titles/"


@pytest.fixture
def users(roles):
    return {role: make_user(role, role.lower()) for role in ["Author", "Editor", "Moderator", "Admin"]}


@pytest.fixture
def posts(users):
    return {
        "published": make_post("vitamin-d-and-sleep", title="Vitamin D and sleep"),
        "others-draft": make_post("vitamin-d-draft", title="Vitamin D draft of another", status=Post.Status.DRAFT),
        "own-draft": make_post(
            "vitamin-d-own", title="Vitamin D draft of the author", status=Post.Status.DRAFT, author=users["Author"]
        ),
        "deleted": make_post("vitamin-d-gone", title="Vitamin D gone", status=Post.Status.DELETED),
        "other": make_post("magnesium", title="Magnesium"),
    }


def titles_found(client, user, q: str) -> list[str]:
    client.force_login(user)
    response = client.get(TITLES, {"q": q})
    assert response.status_code == 200
    return [post["title"] for post in response.json()["posts"]]


def test_an_author_finds_published_posts_and_their_own_drafts_by_title_words(client, users, posts):
    found = titles_found(client, users["Author"], "vitamin D")
    assert sorted(found) == ["Vitamin D and sleep", "Vitamin D draft of the author"]


@pytest.mark.parametrize("role", ["Editor", "Moderator", "Admin"])
def test_editors_find_every_post_but_deleted_ones(client, users, posts, role):
    found = titles_found(client, users[role], "vitamin")
    assert sorted(found) == ["Vitamin D and sleep", "Vitamin D draft of another", "Vitamin D draft of the author"]


def test_a_title_search_answers_every_word_in_any_case_with_the_posts_address(client, users, posts):
    client.force_login(users["Editor"])
    answer = client.get(TITLES, {"q": "SLEEP vitamin"}).json()
    assert answer == {
        "posts": [{"title": "Vitamin D and sleep", "url": "/posts/vitamin-d-and-sleep/", "state": "Published"}]
    }
    assert client.get(TITLES, {"q": "  "}).json() == {"posts": []}


def test_the_title_search_refuses_anonymous_people_and_staff_without_a_role(client, users, posts):
    assert client.get(TITLES, {"q": "vitamin"}).status_code == 302  # to the login page
    client.force_login(make_user(None, "no-role"))
    assert client.get(TITLES, {"q": "vitamin"}).status_code == 403
    client.force_login(make_user("Author", "reader", staff=False))
    assert client.get(TITLES, {"q": "vitamin"}).status_code == 302


@pytest.mark.parametrize("count", [12, 60])
def test_the_title_search_answers_ten_posts_in_five_queries_whatever_their_number(
    client, users, django_assert_max_num_queries, count
):
    for n in range(count):
        make_post(f"zinc-{n}", title=f"Zinc study {n}")
    client.force_login(users["Moderator"])
    # The session, the user, their own and their groups' permissions, the posts.
    with django_assert_max_num_queries(5):
        found = client.get(TITLES, {"q": "zinc"}).json()["posts"]
    assert len(found) == 10


def test_the_tags_suggested_are_the_most_used_first(client, users):
    make_post("a", tags=["Vitamin K2"])
    for slug in ["b", "c"]:
        make_post(slug, tags=["Vitamin D"])
    client.force_login(users["Author"])
    assert client.get("/admin/posts/post/tag-names/", {"q": "vit"}).json() == {"tags": ["Vitamin D", "Vitamin K2"]}


def test_the_edit_page_has_its_bar_toolbar_script_side_panel_and_dialogs(client, users, posts):
    client.force_login(users["Moderator"])
    page = client.get(f"/admin/posts/post/{posts['published'].pk}/change/").content.decode()
    assert 'class="edit-bar"' in page
    assert 'form="post_form" name="_continue"' in page  # Save, from the bar
    assert 'form="post-moves" name="action" value="unpublish"' in page
    assert 'form="post-moves" name="action" value="delete"' in page
    assert '<aside class="edit-side"' in page
    assert 'id="confirm-dialog"' in page and 'id="post-link-dialog"' in page and 'id="alt-dialog"' in page
    assert 'data-titles-url="/admin/posts/post/titles/"' in page
    assert 'data-url="http://testserver/posts/vitamin-d-and-sleep/"' in page  # copy link
    # The copy typing is kept under is the user's own: another user of this browser never sees it.
    assert f'data-keep-key="{users["Moderator"].pk}:{posts["published"].pk}"' in page


def test_an_author_sees_no_move_they_may_not_make_in_the_bar(client, users, posts):
    client.force_login(users["Author"])
    page = client.get(f"/admin/posts/post/{posts['own-draft'].pk}/change/").content.decode()
    assert 'value="submit"' in page
    assert 'value="delete"' not in page and 'value="publish"' not in page


def test_the_add_page_keeps_typing_under_new_and_has_no_moves(client, users):
    client.force_login(users["Author"])
    page = client.get("/admin/posts/post/add/").content.decode()
    assert f'data-keep-key="{users["Author"].pk}:new"' in page
    assert 'class="edit-bar"' in page and 'form="post-moves"' not in page


def test_an_editor_writes_a_summary_saves_twice_and_finds_it_in_the_form_while_it_waits(client, users, posts):
    post = posts["published"]
    url = f"/admin/posts/post/{post.pk}/change/"
    client.force_login(users["Editor"])
    page = client.get(url).content.decode()
    assert '<textarea name="written_summary" cols="40" rows="4" maxlength="300"' in page

    written = "A trial: adults given vitamin D slept longer."
    for _ in range(2):
        form = {**form_of(client.get(url).content.decode()), "written_summary": written, "_continue": "1"}
        assert client.post(url, form).status_code == 302

    post.refresh_from_db()
    assert post.revisions.count() == 2  # the second save changed nothing
    assert (post.latest_revision.summary, post.written_summary, post.pending_status) == (written, "", "draft")
    assert form_of(client.get(url).content.decode())["written_summary"] == written


def test_a_summary_over_300_characters_is_refused_by_the_form_and_nothing_is_saved(client, users, posts):
    post = posts["own-draft"]
    url = f"/admin/posts/post/{post.pk}/change/"
    client.force_login(users["Author"])
    form = {**form_of(client.get(url).content.decode()), "written_summary": "x" * 301, "body": "New.", "_continue": "1"}

    response = client.post(url, form)

    assert response.status_code == 200
    assert "Ensure this value has at most 300 characters (it has 301)." in unescape(response.content.decode())
    assert Post.objects.get(pk=post.pk).revisions.count() == 1


def test_a_summary_of_300_characters_typed_on_two_lines_is_saved_on_one(client, users, posts):
    # A browser counts a line break as one character against maxlength, and sends it as two (\r\n).
    post = posts["own-draft"]
    url = f"/admin/posts/post/{post.pk}/change/"
    client.force_login(users["Author"])
    typed = "a" * 150 + "\r\n" + "b" * 149
    form = {**form_of(client.get(url).content.decode()), "written_summary": typed, "_continue": "1"}

    assert client.post(url, form).status_code == 302
    assert Post.objects.get(pk=post.pk).written_summary == "a" * 150 + " " + "b" * 149


def test_a_title_sent_on_several_lines_is_saved_on_one_and_counted_so(client, users, posts):
    post = posts["own-draft"]
    url = f"/admin/posts/post/{post.pk}/change/"
    client.force_login(users["Author"])
    typed = "Vitamin D\r\n\tand   sleep " + "z" * 480  # 504 characters sent, 500 on one line
    form = {**form_of(client.get(url).content.decode()), "title": typed, "_continue": "1"}

    assert client.post(url, form).status_code == 302
    post = Post.objects.get(pk=post.pk)
    assert post.title == post.latest_revision.title == "Vitamin D and sleep " + "z" * 480
