"""The stored article of a post page (posts/article.py): what the importer stores is what the page
would render, and it is rendered again after every kind of change to what it shows."""

import io
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from taggit.models import Tag

from posts import changes, workflow
from posts.article import live_article
from posts.cache import bump_content_version
from posts.legacy.importer import import_dump
from posts.models import Attachment, Category, Post

from . import factories
from .test_legacy_importer import SEED, post_file, write

pytestmark = pytest.mark.django_db

HOSTILE_NAME = '"><img src=x onerror=alert(1)><b>&amp;'
HOSTILE_URL = 'https://cdn.example/a.pdf?"><img src=x onerror=alert(2)>'
HOSTILE_HEADING = "&lt;img src=x onerror=alert(3)&gt; &amp;amp;"  # Markdown whose text is markup
HEADING_TEXT = "<img src=x onerror=alert(3)> &amp;"


@pytest.fixture
def dump(tmp_path):
    path = tmp_path / "dump"
    path.mkdir()
    return path


def make_post(slug="a-post", **fields) -> Post:
    """A post whose id is no category's, tag's or attachment's (each kind of change must store
    the article of the post it changed, not of a post that happens to share an id)."""
    factories.make_post(f"{slug}-before", title="Another post")
    fields = {"title": "A post", "body": "Some *text*.", **fields}
    return factories.make_post(slug, date=datetime(2024, 1, 29, tzinfo=UTC), **fields)


def attach(post: Post, **fields) -> Attachment:
    attachment = Attachment.objects.create(**fields)
    return workflow.change_attachment(attachment, by=factories.workflow_user(), posts=[post])


def article(slug="a-post") -> BeautifulSoup:
    """The stored article around the body (the page puts the body between)."""
    post = Post.objects.get(slug=slug)
    assert post.article, "no article stored"
    return BeautifulSoup(post.article["header"] + post.article["footer"], "html.parser")


def shown(slug="a-post") -> dict:
    """What the stored article shows: categories, tags and attachments, as (text, link) pairs."""
    html = article(slug)
    return {
        "categories": [(a.text, a["href"]) for a in html.select(".kicker a")],
        "tags": [(a.text, a["href"]) for a in html.select(".tags a")],
        "attachments": [li.text for li in html.select(".attachments li")],
    }


def test_the_importer_stores_for_every_corpus_post_the_article_its_page_would_render(corpus_dump):
    import_dump(corpus_dump)

    posts = Post.objects.all()
    assert posts.count() > 100
    for post in posts:
        assert post.article == live_article(post), post.slug


def test_the_seed_posts_article_shows_its_header_body_attachments_and_tags(dump):
    write(dump, SEED.name, SEED.read_bytes())
    import_dump(dump)

    html = article("recurrent-miscarriages-decreased-by-increased-vitamin-d-levels")
    post = Post.objects.get()
    assert html.h1.text == post.title
    assert html.select_one(".meta time")["datetime"] == "2024-01-29"
    assert [li.a.text for li in html.select(".attachments li")] == [
        "recurrent-spontaneous-abortion.pdf",
        "spontaneous-abortion.png",
    ]
    assert {a.text for a in html.select(".tags a")} == set(post.tags.names())
    assert post.article["image"] == "https://d1bk1kqxc0sym.cloudfront.net/attachments/png/spontaneous-abortion.png"


def test_names_are_escaped_in_the_article():
    make_post(title="<script>alert(1)</script>", categories=["<b>Bold</b>"], tags=["<img src=x onerror=alert(1)>"])

    html = str(article())
    assert "<script>" not in html and "<b>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_post_saved_with_new_content_gets_a_new_article():
    post = make_post()
    factories.change_post(post, title="A better title", body="## One\n\ntext\n\n## Two\n\n## Three")

    html = article()
    assert html.h1.text == "A better title"
    assert [a.text for a in html.select("nav.toc a")] == ["One", "Two", "Three"]


def test_categories_and_tags_set_or_taken_away_are_shown():
    post = make_post()
    factories.change_post(post, categories=["News"], tags=["Vitamin D", "pregnancy"])
    assert shown()["categories"] == [("News", "/categories/news/")]
    assert shown()["tags"] == [("pregnancy", "/tags/pregnancy/"), ("Vitamin D", "/tags/vitamin-d/")]

    factories.change_post(post, categories=["Bones", "News"], tags=["Vitamin D"])
    assert shown()["tags"] == [("Vitamin D", "/tags/vitamin-d/")]
    assert [name for name, _ in shown()["categories"]] == ["Bones", "News"]

    factories.change_post(post, categories=["Bones"], tags=[])
    assert shown()["categories"] == [("Bones", "/categories/bones/")]
    assert shown()["tags"] == []


def test_a_renamed_category_or_tag_is_shown_under_its_new_name_and_address():
    make_post(categories=["News"], tags=["vitamin d"])

    category = Category.objects.get()
    category.name, category.slug = "Latest news", "latest-news"
    category.save()
    tag = Tag.objects.get()
    tag.name, tag.slug = "Vitamin D3", "vitamin-d3"
    tag.save()

    assert shown()["categories"] == [("Latest news", "/categories/latest-news/")]
    assert shown()["tags"] == [("Vitamin D3", "/tags/vitamin-d3/")]
    assert Post.objects.get(slug="a-post").article["tags"] == ["Vitamin D3"]


def test_a_deleted_category_tag_or_attachment_leaves_the_article():
    post = make_post(categories=["News"], tags=["vitamin d"])
    attach(post, legacy_url="https://cdn.example/a.pdf", kind=Attachment.Kind.PDF)
    assert shown()["attachments"] == ["a.pdf PDF"]

    Category.objects.get().delete()  # from their own admin pages (posts/receivers.py)
    Tag.objects.get().delete()
    workflow.delete_attachments(Attachment.objects.all(), by=factories.workflow_user())

    assert shown() == {"categories": [], "tags": [], "attachments": []}


def test_an_attachment_stored_or_changed_later_is_shown_as_it_is_now():
    attachment = attach(make_post(), legacy_url="https://cdn.example/b.png", kind=Attachment.Kind.IMAGE)
    assert shown()["attachments"] == ["b.png Image"]

    attachment.size = 2048
    workflow.change_attachment(attachment, by=factories.workflow_user())

    assert shown()["attachments"] == ["b.png Image, 2.0\xa0KB"]
    assert Post.objects.get(slug="a-post").article["image"] == "https://cdn.example/b.png"


def test_a_save_of_other_fields_leaves_the_article_alone(django_assert_num_queries):
    post = make_post()
    post.legacy_metadata = {"author": "someone"}
    with django_assert_num_queries(1):  # the UPDATE itself
        post.save(update_fields=["legacy_metadata"])


def test_a_post_changed_by_a_reimport_gets_a_new_article(dump):
    write(dump, "a.md", post_file(tags=["one"], categories=["News"]))
    import_dump(dump)
    write(dump, "a.md", post_file(title="Renamed", tags=["one", "two"], categories=["Other"]))

    report = import_dump(dump)

    assert report.updated == ["a-post"]
    assert article().h1.text == "Renamed"
    assert [name for name, _ in shown()["tags"]] == ["one", "two"]
    assert shown()["categories"] == [("Other", "/categories/other/")]


def test_a_page_without_a_stored_article_renders_it_the_same(client):
    post = make_post(body="## One\n\n## Two\n\n## Three\n\ntext")
    post.categories.add(Category.objects.create(name="News"))
    post.tags.add("vitamin d")
    stored = client.get("/posts/a-post/").content

    Post.objects.update(article={})
    assert client.get("/posts/a-post/").content == stored


def test_rerender_stores_every_article_again():
    make_post()
    Post.objects.update(article={"header": "stale"})

    call_command("rerender", stdout=io.StringIO())

    post = Post.objects.get(slug="a-post")
    assert article().h1.text == "A post"
    assert post.article == {
        "header": post.article["header"],
        "footer": "",
        "tags": [],
        "tag_ids": [],
        "categories": [],
        "image": "",
        "author": "post-maker",
        "modified": post.live_revision.created.isoformat(),
    }


def test_the_metadata_names_the_author_as_they_are_now_and_dates_the_live_revision(django_user_model):
    author = django_user_model.objects.create(username="ann")
    post = make_post(author=author)
    first = Post.objects.get(slug="a-post").article
    first_revision_created = post.live_revision.created
    assert (first["author"], first["modified"]) == ("ann", first_revision_created.isoformat())

    author.first_name, author.last_name = "Ann", "Smith"
    author.save()
    post = factories.change_post(post, body="New words")

    meta = Post.objects.get(slug="a-post").article
    assert (meta["author"], meta["modified"]) == ("Ann Smith", post.live_revision.created.isoformat())
    assert post.live_revision.created > first_revision_created


def test_the_contents_show_headings_as_written():
    make_post(body="## Vitamin D & K2\n\n## Calcium <b>not</b> bold\n\n## \"Quoted\" 'words'")

    assert [a.text for a in article().select("nav.toc a")] == [
        "Vitamin D & K2",
        "Calcium not bold",
        "\u201cQuoted\u201d \u2018words\u2019",
    ]


def test_a_deleted_author_is_no_longer_named(django_user_model):
    author = django_user_model.objects.create(username="ann")
    make_post(author=author)

    author.delete()

    assert Post.objects.get(slug="a-post").article["author"] == ""


def test_a_renamed_author_makes_cached_pages_stale(django_user_model, django_capture_on_commit_callbacks):
    author = django_user_model.objects.create(username="ann")
    make_post(author=author)

    with django_capture_on_commit_callbacks() as callbacks:
        author.first_name = "Ann"
        author.save()

    assert Post.objects.get(slug="a-post").article["author"] == "Ann"
    assert bump_content_version in callbacks


def test_a_new_author_set_on_the_post_is_named(django_user_model):
    post = make_post()
    author = django_user_model.objects.create(username="ann")
    workflow.change_details(post, by=factories.workflow_user(), values={"author": author})

    assert Post.objects.get(slug="a-post").article["author"] == "ann"


def test_an_attachment_stored_by_a_later_import_shows_on_posts_not_in_that_dump(dump, tmp_path):
    image = "https://d1bk1kqxc0sym.cloudfront.net/attachments/png/shared.png"
    write(dump, "a.md", post_file(slug="a", body=f"![x]({image})"))
    write(dump, "b.md", post_file(slug="b", body=f"![x]({image})"))
    import_dump(dump)
    (dump / "b.md").unlink()
    files = tmp_path / "cdn"
    (files / "png").mkdir(parents=True)
    (files / "png" / "shared.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)

    import_dump(dump, attachments_dir=files)

    stored = Attachment.objects.get().file.url
    assert Post.objects.get(slug="b").article["image"] == stored
    assert shown("b")["attachments"] == ["shared.png Image, 72\xa0bytes"]


def test_a_save_outside_the_workflow_changes_no_article_until_rerender():
    """Post.save() writes the post and nothing else: what depends on it is refreshed by the code
    making a change (changes.refresh), and by `manage.py rerender` after one made otherwise."""
    post = make_post()
    post.title = "Saved past the workflow"
    post.save()
    assert article().h1.text == "A post"

    call_command("rerender", stdout=io.StringIO())

    assert article().h1.text == "Saved past the workflow"


def test_names_in_the_posts_header_and_footer_stay_text(client):
    Category.objects.create(name=HOSTILE_NAME, slug="hostile-category")
    headings = [f"## {HOSTILE_HEADING} {n}" for n in range(3)]  # enough for a table of contents
    post = factories.make_post(
        "hostile", title=HOSTILE_NAME, body="\n\n".join(headings), categories=[HOSTILE_NAME], tags=[HOSTILE_NAME]
    )
    # As the importer links a legacy attachment (its URL is not checked as the admin's form checks one).
    Attachment.objects.create(legacy_url=HOSTILE_URL, kind=Attachment.Kind.PDF).posts.add(post)
    changes.refresh([post.pk], seen=True)
    page = BeautifulSoup(client.get("/posts/hostile/").content, "html.parser")

    assert page.find_all(["img", "b"]) == []
    assert [element for element in page.find_all(True) if any(name.startswith("on") for name in element.attrs)] == []
    assert page.find("h1").get_text() == HOSTILE_NAME
    assert [a.get_text() for a in page.select(".kicker a")] == [HOSTILE_NAME]
    assert [a.get_text() for a in page.select(".tags a")] == [HOSTILE_NAME]
    assert [a.get_text() for a in page.select("nav.toc a")] == [f"{HEADING_TEXT} {n}" for n in range(3)]
    attachment = page.select_one(".attachments a")
    assert (attachment["href"], attachment.get_text()) == (HOSTILE_URL, HOSTILE_URL.rsplit("/", 1)[-1])
