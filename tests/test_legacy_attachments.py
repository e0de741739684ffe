"""Where an attachment of the legacy CDN is kept, and what kind it is (posts/legacy/attachments.py)."""

import os
from pathlib import Path

import pytest

from posts.legacy.attachments import attachment_kind, attachment_path
from posts.rendering.cdn import find_attachment_urls

CORPUS = Path(os.environ.get("VDWIKI_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))
CDN = "https://d1bk1kqxc0sym.cloudfront.net"
OTHER_CDN = "https://d378j1rmrlek7x.cloudfront.net"


def test_every_attachment_url_in_the_corpus_has_a_safe_path():
    urls = [
        url
        for path in sorted([*CORPUS.glob("posts/*.md"), *CORPUS.glob("seed/*.md")])
        for url in find_attachment_urls(path.read_text(encoding="utf-8"))
    ]

    assert len(urls) > 100
    assert all(attachment_path(url) for url in urls)
    assert {attachment_kind(attachment_path(url)) for url in urls} == {"image", "pdf"}


def test_attachment_path_is_the_ext_directory_and_the_file_name():
    assert attachment_path(f"{CDN}/attachments/pdf/rpl-june-2018.pdf") == "pdf/rpl-june-2018.pdf"
    assert attachment_path(f"{OTHER_CDN}/attachments/jpeg/rpl.jpg?v=2#top") == "jpeg/rpl.jpg"


def test_attachment_path_is_percent_decoded():
    assert attachment_path(f"{CDN}/attachments/pdf/Vitamin%20D%20%E2%80%93%20review.pdf") == (
        "pdf/Vitamin D – review.pdf"
    )


@pytest.mark.parametrize(
    "url",
    [
        f"{CDN}/attachments/pdf/../../../etc/passwd",
        f"{CDN}/attachments/../secret.pdf",
        f"{CDN}/attachments/pdf/%2e%2e%2fsecret.pdf",
        f"{CDN}/attachments/pdf/..%2F..%2Fsecret.pdf",
        f"{CDN}/attachments/pdf/sub/dir.pdf",
        f"{CDN}/attachments/pdf/a%2Fb.pdf",
        f"{CDN}/attachments/pdf/a%5Cb.pdf",
        f"{CDN}/attachments/pdf/a%00.pdf",
        f"{CDN}/attachments/pdf/",
        f"{CDN}/attachments//a.pdf",
        f"{CDN}/attachments/pdf",
        f"{CDN}/files/pdf/a.pdf",
        "https://example.com/attachments/pdf/a.pdf",
        "ftp://d1bk1kqxc0sym.cloudfront.net/attachments/pdf/a.pdf",
        "/attachments/pdf/a.pdf",
    ],
)
def test_attachment_path_refuses_anything_but_a_plain_file_in_an_ext_directory(url):
    assert attachment_path(url) is None


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("jpeg/rpl.jpg", "image"),
        ("png/A.PNG", "image"),
        ("webp/x.webp", "image"),
        ("gif/map.gif", "image"),
        ("pdf/study.pdf", "pdf"),
        ("pdf/noextension", "pdf"),
        ("xlsx/data.xlsx", "other"),
        ("doc/notes.docx", "other"),
    ],
)
def test_attachment_kind_follows_the_file_extension(path, kind):
    assert attachment_kind(path) == kind
