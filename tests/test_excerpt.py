import importlib
import re
from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup
from django.apps import apps

from posts.legacy.dump import parse_post
from posts.models import Post
from posts.rendering import render
from posts.rendering.excerpt import EXCERPT_LENGTH, excerpt

from .conftest import CORPUS_FILES
from .factories import make_post

URL_OR_DOI = re.compile(r"^\W*(https?:|www\.|doi\b|10\.\d{4,}/)", re.IGNORECASE)
# "Nutrients 2024, 16, 1754." "J Nutr. 2023 Apr;153(4):1150-1161." "Eur Heart J (2013) 34"
JOURNAL_LINE = re.compile(r"^[A-Z][\w.&' -]{0,60}?\(?\b(19|20)\d\d\b\)?[\s,;.]*([A-Z][a-z]{2}\b[\s;]*)?[\d(;:]")
NAME = r"(?:[A-Z][\w'’.-]*|[A-Z]{1,3}\.?|\d+|[*+†])"
AUTHOR = re.compile(rf"^\s*{NAME}(?:\s+{NAME}){{0,4}}\s*$")


def starts_with_author_names(text: str) -> bool:
    """ "Marco Occhiuto 1,+ , Jessica Pepe 1,+, ..." or "Knight JA, Wong J, Cole DEC, ..."."""
    names = [part for part in text[:150].split(",")[:4] if re.search(r"[^\W\d_]", part)]
    return len(names) >= 3 and all(AUTHOR.match(name) for name in names[:3])


def prose_paragraphs(html: str) -> list[str]:
    """Paragraphs of running text, judged apart from excerpt.py's rules: at least 15 words,
    ending a sentence, mostly lower-case words, outside headings, tables and links."""
    soup = BeautifulSoup(html, "html.parser")
    found = []
    for paragraph in soup.find_all("p"):
        if paragraph.find_parent(["table", "nav", "h1", "h2", "h3", "h4", "h5", "h6", "a"]):
            continue
        text = " ".join(paragraph.get_text(" ").split())
        words = text.split()
        lower = [word for word in words if word[0].islower()]
        if len(words) >= 15 and re.search(r"[.!?]$", text) and len(lower) * 2 > len(words):
            found.append(text)
    return found


def corpus_posts():
    for path in CORPUS_FILES:
        yield path.name, render(parse_post(path.name, path.read_bytes()).body)


CORPUS = list(corpus_posts())


@pytest.mark.parametrize("name,rendered", CORPUS, ids=[name for name, _ in CORPUS])
def test_no_corpus_excerpt_starts_with_a_citation(name, rendered):
    summary = rendered.summary
    assert len(summary) <= EXCERPT_LENGTH
    assert not URL_OR_DOI.match(summary), summary
    assert not JOURNAL_LINE.match(summary), summary
    assert not starts_with_author_names(summary), summary


WITH_PROSE = [(name, rendered) for name, rendered in CORPUS if prose_paragraphs(rendered.html)]


@pytest.mark.parametrize("name,rendered", WITH_PROSE, ids=[name for name, _ in WITH_PROSE])
def test_a_corpus_post_with_prose_has_prose_for_excerpt(name, rendered):
    words = rendered.summary.split()
    lower = [word for word in words if word[0].islower()]
    assert len(words) >= 8 and len(lower) * 2 > len(words) * 0.8, rendered.summary


def test_the_corpus_excerpts_are_not_the_citations_they_used_to_be():
    openings = {name: rendered.summary for name, rendered in CORPUS}
    assert openings["1-year-to-respond-to-monthly-calcifediol.md"].startswith(
        "We assessed the long-term (24 months) efficacy and safety of monthly calcifediol"
    )
    assert openings[
        "1-in-5-canadians-have-inadequate-vitamin-d-less-than-16-ng-far-more-if-dark-skinned-canada.md"
    ] == (
        "Vitamin D is recognized in bone health and the prevention of rickets and osteomalacia. Objective: This "
        "study aimed to assess vitamin D status of people in Canada and to identify factors associated with "
        "vitamin D inadequacy and deficiency."
    )


CITATION = """\
#### Effect of 2 Years of Monthly Calcifediol Administration in Postmenopausal Women

Nutrients 2024, 16, 1754. https://doi.org/10.3390/nu16111754

Marco Occhiuto 1,+ , Jessica Pepe 1,+, Luciano Colangelo 1 , Marco Lucarelli 2 , Antonio Angeloni 2

1 Department of Clinical, Internal, Anesthesiological and Cardiovascular Sciences, Sapienza University of Rome, Italy

Received: 12 April 2024 / Accepted: 30 May 2024 / Published: 3 June 2024

![image](https://example.org/calcifediol.webp)

**[Download the PDF from VitaminDWiki](https://example.org/paper.pdf)**

"""


def test_a_post_opening_with_a_study_citation_is_summarized_by_its_abstract():
    body = CITATION + "Background: We assessed the long-term efficacy of monthly calcifediol in women.\n"
    assert render(body).summary == "We assessed the long-term efficacy of monthly calcifediol in women."


def test_a_post_opening_with_an_author_list_is_summarized_by_the_prose_after_it():
    body = "Knight JA, Wong J, Cole DEC, Lee TK, Parra EJ.\n\nVitamin D levels changed over the year in most people.\n"
    assert render(body).summary == "Vitamin D levels changed over the year in most people."


def test_a_study_title_in_a_paragraph_over_its_journal_line_is_not_the_excerpt():
    body = (
        "Vitamin D status and supplementation in elite Irish athletes.\n\n"
        "Int J Sport Nutr Exerc Metab. 2013 Mar 26;23(4):374-82.\n\n"
        "A high prevalence of vitamin D insufficiency is evident among athletes worldwide.\n"
    )
    assert render(body).summary == "A high prevalence of vitamin D insufficiency is evident among athletes worldwide."


def test_a_heading_then_prose_is_summarized_by_the_prose():
    body = "## Why sunshine matters\n\nMost people make their vitamin D in the skin, from the sun in summer.\n"
    assert render(body).summary == "Most people make their vitamin D in the skin, from the sun in summer."


def test_a_post_of_a_link_only_has_no_excerpt():
    assert render("[Read the whole study at the publisher](https://example.org/study)\n").summary == ""
    assert render("https://example.org/study\n").summary == ""


def test_a_post_without_prose_falls_back_to_its_first_lines_that_are_not_citations():
    body = "## Overview of vitamin D and the brain\n\n- Dementia and stroke\n- [A linked study](/posts/a/)\n"
    assert render(body).summary == "Overview of vitamin D and the brain — Dementia and stroke"


def test_a_short_post_is_its_own_excerpt_but_a_name_is_not():
    assert render("Changed words").summary == "Changed words"
    assert render("Carsten Carlberg").summary == ""


def test_a_long_first_sentence_is_cut_at_a_word_with_an_ellipsis():
    sentence = "Vitamin D " + " ".join(f"lowered the risk number {n} of a disease" for n in range(60)) + "."
    summary = render(sentence).summary
    assert len(summary) <= EXCERPT_LENGTH and summary.endswith("…")
    assert sentence.startswith(summary[:-1]) and sentence[len(summary) - 1] == " "


def test_sentences_are_cut_at_the_last_one_that_fits_not_at_an_abbreviation():
    first = "Dr. Smith et al. found that 40 percent of the U.S. adults in the survey were low in vitamin D. "
    second = "Those who took a supplement every day reached the levels the guidelines ask for within three months. "
    third = "The rest stayed low " + "and lower " * 30 + "all year."
    assert render(first + second + third).summary == (first + second).strip()


def test_prose_in_other_languages_is_an_excerpt():
    german = "Die Studie zeigt, dass Vitamin D das Risiko für Atemwegsinfektionen bei älteren Menschen senkt."
    assert render(f"Müller A, Schmidt B, Weber C\n\n{german}\n").summary == german
    chinese = "维生素D缺乏与多种疾病有关。" * 40
    summary = render(chinese).summary
    assert 100 <= len(summary) <= EXCERPT_LENGTH and summary.endswith("。")


def test_html_entities_read_as_text():
    body = "<p>Levels &lt;40&nbsp;nmol/L were common in Tom &amp; Jerry&#8217;s town, the survey of 2021 found.</p>"
    assert render(body).summary == "Levels <40 nmol/L were common in Tom & Jerry’s town, the survey of 2021 found."


def test_footnote_marks_do_not_stick_to_the_words():
    body = "Vitamin D lowers the risk of falls in the elderly[^1] by a fifth.\n\n[^1]: A meta-analysis.\n"
    assert render(body).summary == "Vitamin D lowers the risk of falls in the elderly by a fifth."


def test_an_empty_body_has_no_excerpt():
    assert excerpt("") == ""
    assert excerpt('<p><img src="/a.png" alt="image"></p>') == ""


@pytest.mark.django_db
def test_lists_feeds_and_meta_show_the_excerpt_not_the_citation(client):
    body = CITATION + "We assessed monthly calcifediol in women."
    post = make_post("calcifediol", title="A year to respond", body=body, categories=["Bones"], tags=["bones"])
    assert post.summary == "We assessed monthly calcifediol in women."
    # Search finds it by its title, whose words its body does not hold.
    for url in ["/", "/categories/bones/", "/tags/bones/", "/search/?q=respond"]:
        shown = BeautifulSoup(client.get(url).content, "html.parser").select(".post-item .summary")
        assert [item.get_text() for item in shown] == ["We assessed monthly calcifediol in women."], url
    feed = ElementTree.fromstring(client.get("/feed/").content)
    assert feed.findtext("channel/item/description") == "We assessed monthly calcifediol in women."
    page = client.get(post.get_absolute_url()).content.decode()
    assert '<meta name="description" content="We assessed monthly calcifediol in women.">' in page
    assert '<meta property="og:description" content="We assessed monthly calcifediol in women.">' in page


@pytest.mark.django_db
def test_the_migration_takes_stored_summaries_again_from_the_stored_html():
    post = make_post("calcifediol", body=CITATION + "We assessed monthly calcifediol in women.")
    Post.objects.filter(pk=post.pk).update(summary="Nutrients 2024, 16, 1754. https://doi.org/10.3390/nu16111754")
    migration = importlib.import_module("posts.migrations.0013_summaries_from_prose")
    migration.summarize_prose(apps, None)
    assert Post.objects.get(pk=post.pk).summary == "We assessed monthly calcifediol in women."


def test_emphasis_marks_the_legacy_markdown_left_open_are_not_shown():
    body = "Vitamin D was given daily **Objective: to see whether levels rose over a winter in adults__\n"
    expected = "Vitamin D was given daily Objective: to see whether levels rose over a winter in adults"
    assert render(body).summary == expected


@pytest.mark.django_db(transaction=True)
def test_an_excerpt_ending_at_the_read_limit_holds_no_piece_of_a_tag():
    """The opening of a body read for the excerpt (MAX_HTML_CHARS) can end inside a tag."""
    headings = "\n\n".join(f"## Heading number {i} " + "x" * 200 for i in range(190))
    prose = "Vitamin D helps bones grow strong in children who take it daily and **more** here."
    summaries = []
    for padding in range(6900, 7000):
        body = f"{headings}\n\n## Pad {'p' * padding}\n\n{prose}"
        summaries.append(render(body).summary)
    assert not [summary for summary in summaries if "<" in summary or ">" in summary]


HOSTILE_FIRST_PARAGRAPHS = {
    "escaped markup": "&lt;script&gt;alert(1)&lt;/script&gt; &lt;/title&gt;&quot;&gt;"
    "&lt;img src=x onerror=alert(2)&gt; "
    "Vitamin D helps bones grow strong in children who take it daily.",
    "raw markup": '<script>alert(1)</script><img src=x onerror=alert(2)> "quoted" Vitamin D helps bones grow '
    "strong in children who take it daily.",
    "a long word": "A" * 5000 + " vitamin d is good for you, we found in this study of many people.",
    "right to left": "فيتامين د مهم جدا للعظام والأطفال الذين يتناولونه يوميا في هذه الدراسة الكبيرة. " * 10,
    "zero-width": "vit\u200bamin\u200b" * 400 + " is good.",
    "only images": "\n\n".join(f"![alt {i} <b>x</b>](https://example.com/{i}.png)" for i in range(50)),
    "only links": "\n\n".join(f"[link {i}](https://example.com/{i})" for i in range(50)),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", HOSTILE_FIRST_PARAGRAPHS)
def test_a_hostile_first_paragraph_gives_a_plain_summary_escaped_wherever_it_shows(client, name):
    body = HOSTILE_FIRST_PARAGRAPHS[name]
    post = make_post("hostile", title="Hostile", body=body, tags=["rickets"])
    assert len(post.summary) <= 300
    if name == "raw markup":  # markup written as text ("escaped markup") is text the author wrote
        assert "<" not in post.summary
    page = client.get(post.get_absolute_url()).content.decode()
    soup = BeautifulSoup(page, "html.parser")
    assert not soup.select("script:not([type='application/ld+json'])") or all(
        "alert" not in (script.string or "")
        for script in soup.find_all("script")
        if script.get("type") != "application/ld+json"
    )
    assert not soup.select("img[onerror]")
    description = soup.select_one('meta[name="description"]')["content"]
    assert description == (post.summary or post.title)
    og = soup.select_one('meta[property="og:description"]')
    assert og is None if not post.summary else og["content"] == post.summary
    for url in ["/posts/", "/feed/", "/feed/atom/"]:
        listed = client.get(url).content.decode()
        assert "<script>alert" not in listed and "<img src=x" not in listed
