"""Uploads from the editor (posts/uploads.py): images and PDFs judged by their content, stored as
Attachments, shown on the post that uses them; everything else refused with its reason."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from posts import workflow
from posts.models import Attachment
from posts.workflow import Content

from .factories import make_user, png

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def author(client):
    user = make_user("Author", "writer")
    client.force_login(user)
    return user


def upload(client, name: str, content: bytes):
    return client.post("/markdownx/upload/", {"image": SimpleUploadedFile(name, content)})


def test_an_image_is_stored_as_an_attachment_and_answered_with_its_markdown(client, author, media_root):
    response = upload(client, "Trial [figure].png", png())

    assert response.status_code == 200
    attachment = Attachment.objects.get()
    assert (attachment.kind, attachment.content_type, attachment.legacy_url) == ("image", "image/png", None)
    assert attachment.size == len(png()) and len(attachment.checksum) == 64
    assert attachment.file.name.startswith("attachments/uploads/Trial_figure")
    assert response.json()["image_code"] == f"![{attachment.file.name[20:-4]}]({attachment.file.url})"
    assert (media_root / attachment.file.name).read_bytes() == png()


def test_a_pdf_is_linked_rather_than_shown(client, author):
    response = upload(client, "study.pdf", PDF)

    attachment = Attachment.objects.get()
    assert (attachment.kind, attachment.content_type) == ("pdf", "application/pdf")
    assert response.json()["image_code"] == f"[study (PDF)]({attachment.file.url})"


def test_a_file_named_as_another_kind_is_stored_under_the_name_of_what_it_is(client, author):
    upload(client, "photo.html", png())

    assert Attachment.objects.get().file.name.endswith("/photo.png")


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "is not a PNG"),
        ("drawing.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "is not a PNG"),
        ("page.jpg", b"<!doctype html><script>alert(1)</script>", "is not a PNG"),
        ("empty.png", b"", "is not a PNG"),
        ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "is not a readable image"),
    ],
)
def test_what_is_no_image_or_pdf_is_refused_and_nothing_stored(client, author, media_root, name, content, reason):
    response = upload(client, name, content)

    assert response.status_code == 400
    assert reason in response.json()["image"][0] and name in response.json()["image"][0]
    assert not Attachment.objects.exists()
    assert not (media_root / "attachments").exists()


def test_a_file_over_the_limit_is_refused_saying_the_limit(client, author, settings):
    settings.MARKDOWNX_UPLOAD_MAX_SIZE = 100

    response = upload(client, "big.png", png() + b"\x00" * 200)

    assert response.status_code == 400
    message = response.json()["image"][0].replace("\xa0", " ")
    assert message == f"“big.png” is {len(png()) + 200} bytes; the limit is 100 bytes."
    assert not Attachment.objects.exists()


def test_the_same_file_uploaded_twice_is_one_attachment(client, author):
    first = upload(client, "a.png", png()).json()
    second = upload(client, "b.png", png()).json()

    assert first == second
    assert Attachment.objects.count() == 1


def test_only_staff_with_the_right_may_upload(client):
    assert upload(client, "a.png", png()).status_code == 403
    client.force_login(make_user(None, "reader", staff=False))
    assert upload(client, "a.png", png()).status_code == 403
    client.force_login(make_user(None, "staff"))
    assert upload(client, "a.png", png()).status_code == 403
    assert not Attachment.objects.exists()


def test_a_post_showing_an_upload_lists_it_among_its_attachments(client, author):
    code = upload(client, "figure.png", png()).json()["image_code"]
    moderator = make_user("Moderator", "boss")
    post = workflow.create(by=author, content=Content("With a figure", "with-a-figure", f"See:\n\n{code}\n"))
    workflow.publish(post, by=moderator)
    client.logout()

    page = client.get("/posts/with-a-figure/").content.decode()

    attachment = Attachment.objects.get()
    assert list(post.attachments.all()) == [attachment]
    assert f'<img src="{attachment.file.url}"' in page
    assert page.count(attachment.file.url) >= 2  # in the body and in the list of attachments

    no_figure = Content("With a figure", "with-a-figure", "No figure.")
    workflow.edit(post, by=author, content=no_figure, based_on=post.latest_revision)
    assert list(post.attachments.all()) == [attachment]  # readers still see the live text
    workflow.publish(post, by=moderator)
    assert list(post.attachments.all()) == []


def test_a_file_name_with_nothing_usable_in_it_gets_one(client, author):
    assert upload(client, "...png", png()).status_code == 200

    assert Attachment.objects.get().file.name == "attachments/uploads/upload.png"
