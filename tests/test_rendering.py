"""The renderer: Markdown and wiki remnants in, sanitized HTML out. No database needed."""

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from posts.rendering import Heading, Rendered, render, render_html

from .xss import XSS_VECTORS, assert_inert

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
CORPUS_FILES = sorted([*CORPUS.glob("posts/*.md"), *CORPUS.glob("seed/*.md")])
SEED = CORPUS / "seed"

RAW_REMNANTS = ("{font", "{box", "{div", "~~#", "{{<", "{maketoc")
CDN = "https://d1bk1kqxc0sym.cloudfront.net/attachments"
OTHER_CDN = "https://d378j1rmrlek7x.cloudfront.net/attachments"


def body_of(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    _, end = json.JSONDecoder().raw_decode(text)
    return text[end:]


def soup(markdown: str) -> BeautifulSoup:
    return BeautifulSoup(render(markdown).html, "html.parser")


def text_of(markdown: str) -> str:
    return " ".join(soup(markdown).get_text().split())


def no_spaces(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- Markdown ------------------------------------------------------------------------------------


@pytest.mark.parametrize("markdown", ["", "   \n\n  "])
def test_empty_body_renders_nothing(markdown):
    assert render(markdown) == Rendered("", (), (), ())


def test_render_html_is_the_html_of_render():
    markdown = "# Title\n\nSome *text* with a [link](/posts/foo)."
    assert render_html(markdown) == render(markdown).html


def test_paragraphs_emphasis_and_lists_follow_commonmark():
    document = soup("Some *em* and **strong** and __also strong__.\n\n1. one\n2. two\n\n* a\n* b")
    assert [e.get_text() for e in document.find_all("em")] == ["em"]
    assert [e.get_text() for e in document.find_all("strong")] == ["strong", "also strong"]
    assert len(document.find("ol").find_all("li")) == 2
    assert len(document.find("ul").find_all("li")) == 2


def test_gfm_table_renders_header_body_and_alignment():
    document = soup("| Left | Right |\n|:-----|------:|\n| a | 1 |\n| b | 2 |")
    assert [th.get_text() for th in document.select("thead th")] == ["Left", "Right"]
    assert [td.get_text() for td in document.select("tbody td")] == ["a", "1", "b", "2"]
    assert "text-align:right" in no_spaces(document.select("tbody td")[1]["style"])


@pytest.mark.parametrize("markdown", ["~~gone~~", "~gone~"])
def test_strikethrough_renders_del(markdown):
    assert soup(f"keep {markdown} keep").find("del").get_text() == "gone"


def test_bare_urls_www_addresses_and_emails_become_links_like_goldmark():
    document = soup(
        "See https://doi.org/10.1111/aji.12991. Or www.example.com/a, "
        "(https://example.com/x) and mail first.last@example.org."
    )
    assert [a["href"] for a in document.find_all("a")] == [
        "https://doi.org/10.1111/aji.12991",
        "https://www.example.com/a",
        "https://example.com/x",
        "mailto:first.last@example.org",
    ]


def test_url_with_underscores_is_linked_whole_not_split_by_emphasis():
    document = soup("*see http://example.com/a_b_c_d* now")
    assert document.find("em").find("a")["href"] == "http://example.com/a_b_c_d"


def test_url_in_link_text_or_code_is_not_linked_again():
    document = soup("[http://a.com](http://b.com) and `http://c.com`")
    assert [a["href"] for a in document.find_all("a")] == ["http://b.com"]
    assert document.find("code").get_text() == "http://c.com"


def test_footnotes_link_to_the_note_and_back():
    document = soup("Claim[^1].\n\n[^1]: The source.")
    ref = document.find("sup").find("a")
    assert ref["href"] == "#fn:1"
    note = document.find(id="fn:1")
    assert "The source." in note.get_text()
    assert note.find("a")["href"] == "#fnref:1"
    assert document.find(id="fnref:1") is not None


def test_typographer_makes_quotes_dashes_and_ellipsis_typographic():
    assert (
        text_of('"Quoted" it\'s -- and --- wait... <<x>>')
        == "\u201cQuoted\u201d it\u2019s \u2013 and \u2014 wait\u2026 \u00abx\u00bb"
    )


def test_code_is_left_alone_by_typographer_and_linkify():
    document = soup('`"a" -- http://x.com`\n\n    "b" -- www.y.com\n')
    assert [c.get_text() for c in document.find_all("code")] == ['"a" -- http://x.com', '"b" -- www.y.com\n']
    assert document.find("a") is None


def test_raw_html_in_the_source_is_kept_when_safe():
    document = soup(
        '<div class="border" style="padding:15px">\n\n**inside**\n\n</div>\n\n<span style="color:#090;">green</span>'
    )
    assert document.find("div", class_="border").find("strong").get_text() == "inside"
    assert document.find("span")["style"] == "color:#090"


# --- Headings and the table of contents ----------------------------------------------------------


def test_headings_get_github_style_ids_unique_within_the_post():
    document = soup("# Hello, World!\n\n## Hello World\n\n## Hello World\n\n### Vitamin D3 – 2024 (review)")
    assert [h["id"] for h in document.find_all(re.compile("^h[1-6]$"))] == [
        "hello-world",
        "hello-world-1",
        "hello-world-2",
        "vitamin-d3--2024-review",
    ]


def test_heading_ids_follow_hugo_for_inline_markup():
    document = soup(
        "## It's **bold** and `code`\n\n"
        '## Hello *world* <span style="color:#00F;">blue</span>\n\n'
        "## [Link *text* more](http://x.com) tail"
    )
    assert [h["id"] for h in document.find_all("h2")] == ["its-bold-and-code", "hello-world-blue", "link--tail"]


def test_every_heading_gets_an_id_even_where_hugo_gives_none():
    document = soup('#### **<span style="color:#00F;">Blue</span>**\n\n## Heading #\n\n## #')
    assert [h.get("id") for h in document.find_all(re.compile("^h[1-6]$"))] == ["heading-1", "heading", "heading-2"]


def test_headings_are_reported_with_level_text_and_anchor():
    result = render("# Top *one*\n\ntext\n\n### Deep `two`")
    assert result.headings == (Heading(1, "Top one", "top-one"), Heading(3, "Deep two", "deep-two"))


@pytest.mark.parametrize(
    "shortcode", ["{{< toc >}}", "{{<toc>}}", "{{ < toc > }}", "{{% toc %}}", "{maketoc}", "{ MAKETOC }"]
)
def test_toc_shortcode_lists_every_heading(shortcode):
    document = soup(f"{shortcode}\n\n# One\n\n## Two\n\n###### Six")
    toc = document.find("nav", class_="toc")
    assert [(a["href"], a.get_text()) for a in toc.find_all("a")] == [
        ("#one", "One"),
        ("#two", "Two"),
        ("#six", "Six"),
    ]
    assert shortcode.strip("{} ").lower() not in document.get_text().lower()


def test_toc_nests_deeper_headings_under_the_heading_before_them():
    toc = soup("{{< toc >}}\n\n## A\n\n### A1\n\n#### A1x\n\n## B\n\n#### B1").find("nav", class_="toc")
    top = toc.find("ul").find_all("li", recursive=False)
    assert [li.find("a").get_text() for li in top] == ["A", "B"]
    assert [a.get_text() for a in top[0].find("ul").find_all("a")] == ["A1", "A1x"]
    assert top[0].find("ul").find("li").find("ul").find("a").get_text() == "A1x"
    assert [a.get_text() for a in top[1].find("ul").find_all("a")] == ["B1"]


def test_toc_renders_nothing_in_a_post_without_headings():
    result = render("{{< toc >}}\n\nJust text.")
    assert result.html.strip() == "<p>Just text.</p>"


# --- Wiki remnants -------------------------------------------------------------------------------


def test_font_becomes_a_span_with_a_pixel_font_size():
    span = soup('{FONT(size="20")}**Big** text{FONT} after').find("span")
    assert no_spaces(span["style"]) == "font-size:20px"
    assert span.find("strong").get_text() == "Big"


def test_font_keeps_a_safe_colour_and_clamps_the_size():
    span = soup('{FONT(size="500" color="#F00")}huge{FONT}').find("span")
    assert no_spaces(span["style"]) == "font-size:72px;color:#F00"
    span = soup('{FONT(color="red;position:fixed")}x{FONT}').find("span")
    assert span.get("style") is None


def test_font_around_paragraphs_becomes_a_block():
    document = soup('{FONT(size="18")}first\n\nsecond{FONT}')
    block = document.find("div", class_="wiki-font")
    assert [p.get_text() for p in block.find_all("p")] == ["first", "second"]


def test_box_becomes_a_block_with_its_markdown_rendered():
    document = soup('{BOX(title="Note" bg="#FFFAE2" width="700")}\n* **one**\n* two\n{BOX}\n\nafter')
    box = document.find("div", class_="wiki-box")
    assert box.find(class_="wiki-box-title").get_text() == "Note"
    assert [li.get_text() for li in box.find_all("li")] == ["one", "two"]
    assert "background-color:#FFFAE2" in no_spaces(box["style"])
    assert document.find_all("p")[-1].get_text() == "after"


def test_div_becomes_a_block_with_its_markdown_rendered():
    document = soup('{DIV(align="center")}A *centred* line{DIV}')
    block = document.find("div", class_="wiki-div")
    assert block.find("em").get_text() == "centred"
    assert no_spaces(block["style"]) == "text-align:center"


@pytest.mark.parametrize(
    ("markdown", "colour"),
    [("~~#F00:red text~~", "#F00"), ("~~#00ff00:red text~~", "#00ff00"), ("~~red:red text~~", "red")],
)
def test_colour_markup_becomes_a_coloured_span(markdown, colour):
    span = soup(f"before {markdown} after").find("span")
    assert span.get_text() == "red text"
    assert no_spaces(span["style"]) == f"color:{colour}"


def test_colour_markup_inside_link_text_colours_the_link_text():
    link = soup("[~~#00F:In VitaminDWiki~~](/posts/2x-more-complications)").find("a")
    assert link["href"] == "/posts/2x-more-complications/"
    assert no_spaces(link.find("span")["style"]) == "color:#00F"
    assert link.get_text() == "In VitaminDWiki"


def test_strikethrough_with_a_colon_that_is_not_a_colour_stays_strikethrough():
    assert soup("~~note: old~~").find("del").get_text() == "note: old"


def test_img_by_attachment_id_points_at_the_legacy_download():
    images = soup('{IMG(attId="601")}{IMG} and {IMG(fileId="2041" width="500")}{IMG}').find_all("img")
    assert images[0]["src"] == "https://www.vitamindwiki.com/tiki-download_wiki_attachment.php?attId=601&display"
    assert images[1]["src"] == "https://www.vitamindwiki.com/tiki-download_file.php?fileId=2041&display"
    assert images[1]["width"] == "500"


def test_img_with_a_source_and_the_space_form_are_converted():
    images = soup('{img src="https://example.com/a.png" width=300} {IMG(src="javascript:alert(1)")}{IMG}').find_all(
        "img"
    )
    assert [(img["src"], img.get("width")) for img in images] == [("https://example.com/a.png", "300")]


def test_attach_keeps_only_its_text_even_with_a_truncated_closer():
    document = soup('* {ATTACH(inline="1" id="14833" icon="1")}Download the PDF{ATTACH\n\nnext')
    assert document.find("li").get_text() == "Download the PDF"
    assert "ATTACH" not in document.get_text()


def test_wiki_links_point_at_the_legacy_page_path():
    links = soup("((Vitamin D and pregnancy)) and ((Overview Diabetes | diabetes page)) and ((A|B))").find_all("a")
    assert [(a["href"], a.get_text()) for a in links] == [
        ("/Vitamin+D+and+pregnancy", "Vitamin D and pregnancy"),
        ("/Overview+Diabetes", "diabetes page"),
        ("/A", "B"),
    ]


def test_wiki_links_inside_a_table_keep_every_cell():
    document = soup("| | |\n| --- | --- |\n| ((Overview Diabetes and vitamin D | Type 2 Diabetes)) | 8.0% |")
    cells = document.select("tbody td")
    assert [cell.get_text() for cell in cells] == ["Type 2 Diabetes", "8.0%"]
    assert cells[0].find("a")["href"] == "/Overview+Diabetes+and+vitamin+D"


def test_unknown_tiki_tags_are_dropped_and_their_text_kept():
    assert text_of('{SPLIT()}left{SPLIT} {QUOTE(src="x")}quoted{QUOTE} {XYZ(a="1")}') == "left quoted"


def test_ordinary_braces_are_text():
    assert text_of("{EPMA = European Association} {from PDF} {DNA}") == "{EPMA = European Association} {from PDF} {DNA}"


@pytest.mark.parametrize(
    "markdown",
    [
        '{FONT(size="20")}unclosed',
        "{font}",
        "{ BOX }",
        "{DIV(x)",
        "~~#F00:never closed",
        "{{< unknown >}}",
        "{{<",
        '{maketoc title="x"}',
    ],
)
def test_stray_remnants_never_reach_the_output(markdown):
    html = render(f"text {markdown} text").html.lower()
    assert not any(remnant in html for remnant in RAW_REMNANTS)


def test_html_comments_are_dropped_including_word_conditional_comments():
    markdown = (
        "<!-- ~tc~ (alias(Old Title \u2013 June 2018)) ~/tc~ -->\n\nvisible\n\n"
        "<!--[if gte mso 9]><xml>\n\n<o:shapedefaults/>\n\n</xml><![endif]-->\n\n"
        "still **visible**"
    )
    html = render(markdown).html
    assert "<!--" not in html and "alias" not in html and "shapedefaults" not in html
    assert text_of(markdown) == "visible still visible"


# --- Links and attachments -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("/posts/some-slug", "/posts/some-slug/"),
        ("/posts/some-slug#part", "/posts/some-slug/#part"),
        ("/posts/some-slug/", "/posts/some-slug/"),
        ("/tags/vitamin-d.html", "/tags/vitamin-d/"),
        ("/categories/pregnancy", "/categories/pregnancy/"),
        ("https://www.VitaminDWiki.com/tiki-index.php?page=Foo+Bar", "/tiki-index.php?page=Foo+Bar"),
        ("http://vitamindwiki.com/Some+Page#x", "/Some+Page#x"),
        ("HTTPS://WWW.VITAMINDWIKI.COM", "/"),
        ("https://vitamindwiki.com/posts/foo", "/posts/foo/"),
        ("/9708", "/9708"),
        ("https://example.com/posts/foo", "https://example.com/posts/foo"),
        ("https://notvitamindwiki.com/x", "https://notvitamindwiki.com/x"),
    ],
)
def test_internal_link_forms_are_canonicalised(href, expected):
    assert soup(f'<a href="{href}">x</a>').find("a")["href"] == expected


def test_links_lists_internal_targets_in_order_without_duplicates():
    result = render(
        "[a](/posts/a) [b](https://www.vitamindwiki.com/tiki-index.php?page=B) [a again](/posts/a/) "
        "[ext](https://example.com) [frag](#x) ((Wiki page)) [id](/9708)"
    )
    assert result.links == ("/posts/a/", "/tiki-index.php?page=B", "/Wiki+page", "/9708")


def test_cdn_attachments_are_mapped_and_reported():
    pdf = f"{CDN}/pdf/study.pdf"
    image = f"{OTHER_CDN}/jpeg/chart.jpg"
    markdown = f'<img src="{image}" alt="chart">\n\n[PDF]({pdf}) <a href="{pdf}">again</a> ![x](http://d1bk1kqxc0sym.cloudfront.net/attachments/png/p.png)'
    result = render(markdown, attachments={pdf: "/media/attachments/study.pdf", image: "https://cdn.example/chart.jpg"})
    document = BeautifulSoup(result.html, "html.parser")
    assert [img["src"] for img in document.find_all("img")] == [
        "https://cdn.example/chart.jpg",
        "http://d1bk1kqxc0sym.cloudfront.net/attachments/png/p.png",
    ]
    assert {a["href"] for a in document.find_all("a")} == {"/media/attachments/study.pdf"}
    assert result.attachment_urls == (image, pdf, "http://d1bk1kqxc0sym.cloudfront.net/attachments/png/p.png")


def test_attachment_mapping_also_matches_the_other_scheme():
    result = render(
        "![x](http://d1bk1kqxc0sym.cloudfront.net/attachments/png/p.png)", attachments={f"{CDN}/png/p.png": "/m/p.png"}
    )
    assert BeautifulSoup(result.html, "html.parser").find("img")["src"] == "/m/p.png"


def test_attachment_mapping_to_an_unsafe_url_is_ignored():
    pdf = f"{CDN}/pdf/a.pdf"
    result = render(f"[x]({pdf})", attachments={pdf: "javascript:alert(1)"})
    assert BeautifulSoup(result.html, "html.parser").find("a")["href"] == pdf


def test_red_links_lose_their_red_style_and_title():
    link = soup(
        '<a href="/posts/liver" style="color: red; text-decoration: underline;" '
        'title="This post/category does not exist yet: Liver">Liver</a>'
    ).find("a")
    assert link["href"] == "/posts/liver/"
    assert link.get("style") is None and link.get("title") is None


def test_links_get_noopener_noreferrer():
    assert soup("[x](https://example.com)").find("a")["rel"] == ["noopener", "noreferrer"]


def test_icon_markup_stays_as_an_empty_element():
    icon = soup('<i class="fas fa-file-pdf" style="margin-right: 0.3em;"></i><a href="/x">PDF</a>').find("i")
    assert icon["class"] == ["fas", "fa-file-pdf"] and icon.get_text() == ""


# --- Sanitizer -----------------------------------------------------------------------------------


def test_sanitizer_keeps_the_markup_an_article_needs():
    markdown = (
        '<figure><img src="/a.png" alt="a" width="10" height="20"><figcaption>cap</figcaption></figure>\n\n'
        "<details><summary>more</summary>hidden</details>\n\n"
        '<table><caption>c</caption><colgroup><col span="2"></colgroup>'
        '<tr><td colspan="2" rowspan="1" align="right">x</td></tr></table>\n\n'
        '<p><sub>1</sub><sup>2</sup><small>s</small><mark>m</mark><abbr title="t">a</abbr>'
        "<u>u</u><ins>i</ins><s>s</s></p>\n\n"
        "<dl><dt>t</dt><dd>d</dd></dl>\n\n<section><blockquote>q</blockquote></section>"
    )
    document = soup(markdown)
    tags = ["figure", "figcaption", "img", "details", "summary", "table", "caption", "colgroup", "col", "td"]
    tags += ["sub", "sup", "small", "mark", "abbr", "u", "ins", "s", "dl", "dt", "dd", "section", "blockquote"]
    assert [tag for tag in tags if document.find(tag) is None] == []
    assert document.find("td").attrs == {"colspan": "2", "rowspan": "1", "align": "right"}
    assert document.find("img").attrs == {"src": "/a.png", "alt": "a", "width": "10", "height": "20"}


def test_style_attributes_keep_only_safe_properties():
    span = soup(
        '<span style="color: blue; position: fixed; top: 0; z-index: 9; font-size: 12px; '
        'background-image: url(x.png); width: expression(alert(1)); margin: 2px">x</span>'
    ).find("span")
    assert no_spaces(span["style"]) == "color:blue;font-size:12px;margin:2px"


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_xss_vector_renders_inert(vector):
    html = render(f"before\n\n{vector}\n\nafter").html
    assert_inert(html)
    attributes = [
        value for element in BeautifulSoup(html, "html.parser").find_all(True) for value in element.attrs.values()
    ]
    assert not any("javascript" in str(value).lower() for value in attributes)
    assert "before" in html and "after" in html


def test_wiki_link_to_a_scheme_like_title_stays_a_site_path():
    assert soup("((javascript:alert(1)|click))").find("a")["href"] == "/javascript:alert(1)"


def test_script_content_is_removed_entirely():
    assert text_of("a <script>alert('x')</script> b <style>p{color:red}</style> c") == "a b c"


# --- Real posts ----------------------------------------------------------------------------------


def test_seed_post_with_toc_font_and_pdf_renders_completely():
    result = render(body_of(SEED / "recurrent-miscarriages-decreased-by-increased-vitamin-d-levels.md"))
    document = BeautifulSoup(result.html, "html.parser")
    toc = document.find("nav", class_="toc")
    assert [a["href"] for a in toc.find_all("a")] == [f"#{heading.anchor}" for heading in result.headings]
    assert [heading.level for heading in result.headings] == [4, 5]
    assert document.find(id=result.headings[0].anchor).name == "h4"
    big = document.find("span", style=re.compile("font-size"))
    assert no_spaces(big["style"]) == "font-size:20px"
    assert big.find("a").get_text().strip() == "Download the PDF from VitaminDWiki"
    assert result.attachment_urls == (
        f"{CDN}/png/spontaneous-abortion.png",
        f"{CDN}/pdf/recurrent-spontaneous-abortion.pdf",
    )
    assert "p \u00e2\u2030\u00a4 .018" in document.get_text()


def test_seed_post_with_old_wiki_links_and_a_styled_box_renders_completely():
    result = render(body_of(SEED / "second-miscarriage-associated-with-low-vitamin-d-review.md"))
    document = BeautifulSoup(result.html, "html.parser")
    assert result.links[0].startswith("/Miscarriage+%E2%80%93+study+found+all+4")
    assert result.links[0].endswith("#VitaminDWiki_pages_with_MISCARRIAGE_in_title")
    assert "/posts/off-topic-10-ways-to-find-medical-studies-on-the-web/" in result.links
    assert all(link.endswith("/") for link in result.links[1:])
    box = document.find("div", class_="border")
    assert len(box.find_all("li")) == 8
    assert "border-radius:5px" in no_spaces(box["style"])
    assert [a["href"] for a in document.find_all("a") if a["href"].startswith("https://doi.org")] == [
        "https://doi.org/10.1111/aji.12991",
        "https://doi.org/10.1111/aji.108_12984",
    ]
    assert "alias(" not in result.html
    assert (
        result.headings[1].anchor
        == "p109-effects-of-vitamin-d-on-tregth17-balance-in-recurrent-pregnancy-loss---june-2018"
    )


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_corpus_post_renders_without_remnants_or_active_content(path):
    html = render(body_of(path)).html
    document = BeautifulSoup(html, "html.parser")
    visible = document.get_text().lower()
    for remnant in RAW_REMNANTS:
        assert remnant not in html.lower(), remnant
        assert remnant not in visible, remnant
    assert re.search(r"<[^>]*\son[a-z]+\s*=", html, re.IGNORECASE) is None
    assert "javascript:" not in html.lower()
    assert_inert(html)


def test_an_old_wiki_link_with_a_double_slash_stays_on_the_site():
    result = render("[x](https://www.vitamindwiki.com//evil.example/x)")
    assert 'href="/evil.example/x"' in result.html
    assert result.links == ("/evil.example/x",)


def test_a_post_cannot_forge_the_ids_of_the_page_around_it():
    html = render('<div id="post-body">fake</div>\n\n<p id="main">x</p>\n\n## Kept').html
    assert 'id="post-body"' not in html and 'id="main"' not in html
    assert 'id="kept"' in html


def test_a_markdown_image_with_a_non_ascii_name_uses_the_stored_copy():
    url = "https://d1bk1kqxc0sym.cloudfront.net/attachments/jpeg/café.jpg"
    html = render(f"![a]({url})", attachments={url: "/media/attachments/jpeg/cafe.jpg"}).html
    assert '<img src="/media/attachments/jpeg/cafe.jpg"' in html


def test_the_plain_text_holds_the_words_a_reader_sees_and_no_markup():
    result = render(
        "{{< toc >}}\n\n# Head &amp; shoulders\n\n"
        'A [link > here](/x "a>b") and `a<b>`, <abbr title="x>y">abbr</abbr>.<br>next&nbsp;line\n\n'
        "- one\n- two\n\n<!-- hidden -->\n\n| a | b |\n|---|---|\n| c | d |"
    )
    assert result.text == "Head & shoulders A link > here and a<b>, abbr. next line one two a b c d"
