"""Attachments in S3-compatible object storage (django-storages), against a real S3 server: moto's,
on a free loopback port, with a fresh bucket for each test whose `attachments/` readers may fetch
(the bucket policy README.md asks for). The settings are made from the environment the way
vdwiki/settings.py makes them; static files stay on local disk."""

import json
import logging
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote
from uuid import uuid4

import boto3
import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from moto.server import ThreadedMotoServer
from storages.backends.s3 import S3Storage

from posts import workflow
from posts.models import Attachment, Post
from posts.workflow import Content
from vdwiki.settings import media_storage

from .factories import make_user, png
from .test_tasks import run_worker

REGION = "us-east-1"
CDN = "https://d1bk1kqxc0sym.cloudfront.net/attachments"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 server, in a thread of this process, on a free loopback port."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@dataclass
class Bucket:
    name: str
    endpoint: str
    client: object

    def keys(self) -> list[str]:
        return sorted(item["Key"] for item in self.client.list_objects_v2(Bucket=self.name).get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def content_type(self, key: str) -> str:
        return self.client.head_object(Bucket=self.name, Key=key)["ContentType"]

    def url_of(self, key: str) -> str:
        return f"{self.endpoint}/{self.name}/{quote(key)}"


def fetch(url: str) -> tuple[int, bytes]:
    """What a reader's browser gets at `url`: no credentials."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


@pytest.fixture
def bucket(s3_endpoint, monkeypatch, settings) -> Bucket:
    """A new bucket, made the media storage from the environment as in production: for this
    process's settings and for any server a test starts."""
    name = f"media-{uuid4().hex[:16]}"
    environment = {
        "DJANGO_MEDIA_STORAGE": "s3",
        "AWS_STORAGE_BUCKET_NAME": name,
        "AWS_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_S3_REGION_NAME": REGION,
        "AWS_ACCESS_KEY_ID": "vdwiki-test",
        "AWS_SECRET_ACCESS_KEY": "vdwiki-test-secret",
    }
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION)
    client.create_bucket(Bucket=name)
    public_attachments = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{name}/attachments/*",
            }
        ],
    }
    client.put_bucket_policy(Bucket=name, Policy=json.dumps(public_attachments))
    settings.STORAGES = {**settings.STORAGES, "default": media_storage(environment)}
    return Bucket(name, s3_endpoint, client)


@pytest.fixture
def author(client, roles):
    user = make_user("Author", "writer")
    client.force_login(user)
    return user


def upload(client, name: str, content: bytes) -> dict:
    response = client.post("/markdownx/upload/", {"image": SimpleUploadedFile(name, content)})
    assert response.status_code == 200, response.content
    return response.json()


def publish(author, slug: str, body: str) -> Post:
    post = workflow.create(by=author, content=Content("Stored copies", slug, body))
    workflow.publish(post, by=make_user("Moderator", f"moderator-{slug}"))
    return post


def links_of(page: str) -> list[str]:
    soup = BeautifulSoup(page, "html.parser")
    article = soup.select("#post-body img[src], #post-body a[href], .attachments a[href]")
    return [tag.get("src") or tag["href"] for tag in article]


# Settings


def test_with_nothing_set_attachments_go_to_the_local_disk():
    assert media_storage({}) == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_the_environment_chooses_object_storage_with_urls_that_do_not_expire():
    storage = media_storage(
        {
            "DJANGO_MEDIA_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": "vdwiki-media",
            "AWS_S3_ENDPOINT_URL": "https://s3.example.org",
            "AWS_S3_REGION_NAME": "eu-central-1",
            "AWS_S3_CUSTOM_DOMAIN": "media.example.org",
        }
    )

    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    backend = S3Storage(**storage["OPTIONS"])
    assert backend.bucket_name == "vdwiki-media"
    assert backend.endpoint_url == "https://s3.example.org" and backend.region_name == "eu-central-1"
    assert backend.url("attachments/png/a b.png") == "https://media.example.org/attachments/png/a%20b.png"
    assert backend.querystring_auth is False and backend.file_overwrite is False


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"DJANGO_MEDIA_STORAGE": "s3"}, "needs AWS_STORAGE_BUCKET_NAME"),
        ({"DJANGO_MEDIA_STORAGE": "S3 please", "AWS_STORAGE_BUCKET_NAME": "b"}, "'filesystem' or 's3'"),
    ],
)
def test_a_storage_set_up_halfway_refuses_to_start(environment, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        media_storage(environment)


def test_without_a_custom_domain_urls_point_into_the_bucket_unsigned(bucket):
    assert default_storage.url("attachments/png/a b.png") == bucket.url_of("attachments/png/a b.png")


def test_collectstatic_writes_local_files_and_nothing_to_the_bucket(bucket, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    default_storage.save("attachments/probe.txt", SimpleUploadedFile("probe.txt", b"probe"))

    call_command("collectstatic", interactive=False, verbosity=0)

    assert (tmp_path / "static" / "admin" / "css" / "base.css").is_file()
    assert list((tmp_path / "static" / "posts").rglob("*.css"))
    assert bucket.keys() == ["attachments/probe.txt"]  # the media storage was the bucket all along


# The editor's uploads


@pytest.mark.django_db
def test_an_upload_is_stored_in_the_bucket_and_the_post_page_links_the_stored_copy(client, author, bucket):
    image = png(12, 9)
    answer = upload(client, "Trial figure.png", image)

    attachment = Attachment.objects.get()
    assert bucket.keys() == [attachment.file.name] == ["attachments/uploads/Trial_figure.png"]
    assert bucket.read(attachment.file.name) == image
    assert answer["url"] == bucket.url_of("attachments/uploads/Trial_figure.png")

    post = publish(author, "with-a-figure", f"See:\n\n{answer['image_code']}\n")
    client.logout()
    page = client.get("/posts/with-a-figure/").content.decode()

    assert list(post.attachments.all()) == [attachment]
    assert links_of(page) == [answer["url"], answer["url"]]  # in the body, and among the attachments
    assert fetch(answer["url"]) == (200, image)
    assert bucket.content_type(attachment.file.name) == "image/png"


@pytest.mark.django_db
def test_the_attachment_admin_links_the_stored_copy(client, author, bucket):
    answer = upload(client, "chart.png", png())
    client.force_login(make_user("Admin", "chief"))

    page = client.get(f"/admin/posts/attachment/{Attachment.objects.get().pk}/change/").content.decode()

    assert f'<a href="{answer["url"]}">attachments/uploads/chart.png</a>' in page


HOSTILE_NAMES = [
    "../x.png",
    "../../../../etc/passwd.png",
    "/etc/absolute.png",
    "..\\..\\windows.png",
    "attachments/private/imports/dump.png",
    "..png",
    "Vitamin D – 25(OH)D µg 维生素.png",
    "e\u0301\u200b\u202eevil.png",
    "a" * 1000 + ".png",
    "x.png",
    "x.png",  # the same name again, other bytes: both kept
]


@pytest.mark.django_db
def test_hostile_upload_names_stay_under_the_upload_prefix_and_overwrite_nothing(client, author, bucket):
    images = [png(8 + number, 8) for number in range(len(HOSTILE_NAMES))]

    answers = [upload(client, name, image) for name, image in zip(HOSTILE_NAMES, images, strict=True)]

    keys = bucket.keys()
    assert len(keys) == len(HOSTILE_NAMES)
    for key in keys:
        assert key.startswith("attachments/uploads/") and key.count("/") == 2, key
        assert ".." not in key.split("/") and len(key) <= Attachment.file.field.max_length
    for answer, image in zip(answers, images, strict=True):
        key = unquote(answer["url"].removeprefix(f"{bucket.endpoint}/{bucket.name}/"))
        assert bucket.read(key) == image
        assert fetch(answer["url"]) == (200, image)
    assert "attachments/uploads/Vitamin_D__25OHD_µg_维生素.png" in keys


@pytest.mark.django_db
def test_an_upload_with_a_name_outside_ascii_is_linked_from_the_post_showing_it(client, author, bucket):
    answer = upload(client, "Vitamin D – µg.png", png())

    post = publish(author, "unicode-name", answer["image_code"])

    assert "%C2%B5g" in answer["url"]
    assert list(post.attachments.all()) == [Attachment.objects.get()]


@pytest.mark.django_db
def test_the_same_bytes_uploaded_again_make_no_second_object(client, author, bucket):
    first = upload(client, "a.png", png())
    second = upload(client, "b.png", png())

    assert first == second
    assert bucket.keys() == ["attachments/uploads/a.png"]


# The import of the legacy dump


LONG_NAME = "Vitamin-D-" + "x" * 236 + ".png"  # 250 bytes: as long as a file name on disk may be


def legacy_dump(tmp_path: Path, body: str = "") -> tuple[Path, Path]:
    """A dump of one post showing legacy CDN attachments, and the directory holding their files."""
    dump = tmp_path / "dump"
    dump.mkdir(exist_ok=True)
    references = [
        f"{CDN}/png/figure.png",
        f"{CDN}/pdf/study.pdf",
        f"{CDN}/png/caf%C3%A9%20µ.png",
        f"{CDN}/png/{LONG_NAME}",
        f"{CDN}/png/..%2F..%2Fprivate%2Fimports%2Fx.png",
        f"{CDN}/html/disguised.html",
    ]
    markdown = "\n\n".join(f"![figure {number}]({url})" for number, url in enumerate(references))
    meta = {"title": "Legacy attachments", "slug": "legacy-attachments", "date": "2020-05-01"}
    (dump / "legacy-attachments.md").write_text(json.dumps(meta) + "\n\n" + markdown + body + "\n")
    files = tmp_path / "cdn"
    for relative, content in {
        "png/figure.png": png(10, 10),
        "pdf/study.pdf": PDF,
        "png/café µ.png": png(11, 10),
        f"png/{LONG_NAME}": png(12, 10),
        "private/imports/x.png": png(13, 10),
        "html/disguised.html": png(14, 10),  # a PNG named .html: served as what it is
    }.items():
        (files / relative).parent.mkdir(parents=True, exist_ok=True)
        (files / relative).write_bytes(content)
    return dump, files


def import_dump(dump: Path, files: Path, *flags: str) -> None:
    """`manage.py import_dump DUMP --attachments FILES`, as an admin types it."""
    call_command("import_dump", str(dump), "--attachments", str(files), "--no-progress", "-v0", *flags)


@pytest.mark.django_db
def test_imported_attachments_are_stored_in_the_bucket_and_the_page_links_them(client, bucket, tmp_path):
    dump, files = legacy_dump(tmp_path)

    import_dump(dump, files)

    keys = bucket.keys()
    long_key = next(key for key in keys if key.startswith("attachments/png/Vitamin-D-"))
    assert keys == sorted(
        [
            "attachments/html/disguised.html",
            "attachments/pdf/study.pdf",
            "attachments/png/café_µ.png",  # a valid name to Django: no spaces
            "attachments/png/figure.png",
            long_key,
        ]
    )
    assert len(long_key) <= Attachment.file.field.max_length
    assert bucket.read(long_key) == (files / "png" / LONG_NAME).read_bytes()
    assert bucket.content_type("attachments/pdf/study.pdf") == "application/pdf"
    assert bucket.content_type("attachments/html/disguised.html") == "image/png"

    links = links_of(client.get("/posts/legacy-attachments/").content.decode())
    stored = [url for url in links if url.startswith(f"{bucket.endpoint}/{bucket.name}/")]
    assert {unquote(url.removeprefix(f"{bucket.endpoint}/{bucket.name}/")) for url in stored} == set(keys)
    assert f"{CDN}/png/..%2F..%2Fprivate%2Fimports%2Fx.png" in links  # never ours: left on the legacy host
    for url in stored:
        status, content = fetch(url)
        key = unquote(url.removeprefix(f"{bucket.endpoint}/{bucket.name}/"))
        assert (status, content) == (200, bucket.read(key))


@pytest.mark.django_db
def test_importing_again_neither_copies_nor_renames_a_stored_attachment(client, bucket, tmp_path):
    dump, files = legacy_dump(tmp_path)
    import_dump(dump, files)
    keys = bucket.keys()
    names = dict(Attachment.objects.values_list("legacy_url", "file"))
    links = links_of(client.get("/posts/legacy-attachments/").content.decode())

    import_dump(dump, files)
    assert bucket.keys() == keys

    legacy_dump(tmp_path, body="\n\nA changed paragraph.")  # a new revision, rendered again
    import_dump(dump, files)

    assert bucket.keys() == keys
    assert dict(Attachment.objects.values_list("legacy_url", "file")) == names
    assert links_of(client.get("/posts/legacy-attachments/").content.decode()) == links
    assert Post.objects.get().revisions.count() == 2


@pytest.mark.django_db
def test_an_imported_file_never_overwrites_an_upload_of_the_same_name(client, author, bucket, tmp_path):
    upload(client, "x.png", png(20, 20))
    dump, files = legacy_dump(tmp_path, body=f"\n\n![legacy]({CDN}/uploads/x.png)")
    (files / "uploads").mkdir()
    (files / "uploads" / "x.png").write_bytes(png(21, 21))

    import_dump(dump, files)

    assert bucket.read("attachments/uploads/x.png") == png(20, 20)
    legacy = Attachment.objects.get(legacy_url=f"{CDN}/uploads/x.png")
    assert legacy.file.name != "attachments/uploads/x.png" and legacy.file.name.startswith("attachments/uploads/x_")
    assert bucket.read(legacy.file.name) == png(21, 21)
    assert legacy.file.url in links_of(client.get("/posts/legacy-attachments/").content.decode())


@pytest.mark.django_db
def test_a_dry_run_or_an_import_that_writes_nothing_leaves_nothing_in_the_bucket(bucket, tmp_path):
    dump, files = legacy_dump(tmp_path)
    (dump / "broken.md").write_text('{"slug": "no-title"}\n\nbody\n')

    with pytest.raises(CommandError, match="failed"):
        import_dump(dump, files, "--dry-run")
    with pytest.raises(CommandError, match="failed"):
        import_dump(dump, files, "--strict")

    assert bucket.keys() == []
    assert not Post.objects.exists()


@pytest.mark.django_db
def test_a_dump_uploaded_in_the_admin_waits_privately_in_the_bucket_until_imported(client, roles, bucket, tmp_path):
    dump, files = legacy_dump(tmp_path)
    archive = tmp_path / "dump.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(dump / "legacy-attachments.md", "legacy-attachments.md")
    client.force_login(make_user("Admin", "chief"))

    client.post("/admin/posts/importrun/upload/", {"dump": SimpleUploadedFile("dump.zip", archive.read_bytes())})

    [waiting] = bucket.keys()
    assert waiting.startswith("private/imports/") and waiting.endswith("/dump.zip")
    assert fetch(bucket.url_of(waiting)) == (403, b"")
    run_worker()
    assert bucket.keys() == []
    assert Post.objects.filter(slug="legacy-attachments").exists()


# A reader at the real server


def test_the_page_served_by_gunicorn_links_the_copy_in_the_bucket(bucket, server, roles, client):
    author = make_user("Author", "writer")
    client.force_login(author)
    image = png(16, 16)
    answer = upload(client, "served.png", image)
    post = publish(author, "served", answer["image_code"])
    Post.objects.filter(pk=post.pk).update(article={})  # the server makes the page's article itself

    page = server.get("/posts/served/")

    assert page.status == 200
    assert links_of(page.text) == [answer["url"], answer["url"]]
    assert fetch(answer["url"]) == (200, image)
