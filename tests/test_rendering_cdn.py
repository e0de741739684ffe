"""The legacy CDN's attachment URLs in a post's text (posts/rendering/cdn.py)."""

from posts.rendering.cdn import LEGACY_HOSTS, find_attachment_urls

CDN = "https://d1bk1kqxc0sym.cloudfront.net"
OTHER_CDN = "https://d378j1rmrlek7x.cloudfront.net"


def test_both_legacy_cdn_hosts_are_known():
    assert {"d1bk1kqxc0sym.cloudfront.net", "d378j1rmrlek7x.cloudfront.net"} == LEGACY_HOSTS


def test_urls_are_found_in_img_src_and_a_href_attributes():
    text = (
        f'<img src="{CDN}/attachments/png/chart.png" alt="image" width="450">\n'
        f'<i class="fas fa-file-pdf"></i><a href="{OTHER_CDN}/attachments/pdf/study.pdf">Download</a>'
    )

    assert find_attachment_urls(text) == [
        f"{CDN}/attachments/png/chart.png",
        f"{OTHER_CDN}/attachments/pdf/study.pdf",
    ]


def test_urls_are_found_in_markdown_links_and_images_without_trailing_punctuation():
    text = (
        f"![chart]({CDN}/attachments/jpeg/chart.jpg) and [the PDF]({CDN}/attachments/pdf/a.pdf).\n"
        f"See {CDN}/attachments/pdf/b.pdf, or '{CDN}/attachments/pdf/c.pdf'."
    )

    assert find_attachment_urls(text) == [
        f"{CDN}/attachments/jpeg/chart.jpg",
        f"{CDN}/attachments/pdf/a.pdf",
        f"{CDN}/attachments/pdf/b.pdf",
        f"{CDN}/attachments/pdf/c.pdf",
    ]


def test_a_balanced_parenthesis_in_a_file_name_is_kept():
    text = f"[study]({CDN}/attachments/pdf/study(1).pdf)"

    assert find_attachment_urls(text) == [f"{CDN}/attachments/pdf/study(1).pdf"]


def test_urls_are_deduplicated_in_order_of_first_appearance():
    text = (
        f'<img src="{CDN}/attachments/png/b.png"> <img src="{CDN}/attachments/png/a.png"> {CDN}/attachments/png/b.png'
    )

    assert find_attachment_urls(text) == [f"{CDN}/attachments/png/b.png", f"{CDN}/attachments/png/a.png"]


def test_http_urls_and_an_upper_case_host_are_found():
    text = "http://D1BK1KQXC0SYM.cloudfront.net/attachments/gif/map.gif"

    assert find_attachment_urls(text) == [text]


def test_other_hosts_and_non_attachment_paths_are_ignored():
    text = (
        '<img src="https://example.com/attachments/png/x.png"> '
        f'<img src="{CDN}/images/x.png"> <a href="https://d999.cloudfront.net/attachments/pdf/x.pdf">x</a>'
    )

    assert find_attachment_urls(text) == []
