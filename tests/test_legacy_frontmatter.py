import os
from pathlib import Path

import pytest

from posts.legacy.frontmatter import FrontMatterError, parse_front_matter

CORPUS = Path(os.environ.get("VDWIKI_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))
CORPUS_FILES = sorted([*CORPUS.glob("posts/*.md"), *CORPUS.glob("seed/*.md")])


def test_json_front_matter_is_read_and_the_separating_blank_line_dropped():
    text = '{\n  "title": "A",\n  "tags": ["x"]\n}\n\n\nFirst line\n\nSecond\n'

    metadata, body, body_line = parse_front_matter(text)

    assert metadata == {"title": "A", "tags": ["x"]}
    assert body == "First line\n\nSecond\n"
    assert body_line == 7


def test_yaml_front_matter_between_dashes_is_read():
    text = "---\ntitle: A\ndate: 2020-01-02\ntags:\n  - x\n---\n\nBody\n"

    metadata, body, body_line = parse_front_matter(text)

    assert metadata["title"] == "A"
    assert metadata["tags"] == ["x"]
    assert str(metadata["date"]) == "2020-01-02"
    assert (body, body_line) == ("Body\n", 8)


def test_toml_front_matter_between_pluses_is_read():
    text = '+++\ntitle = "A"\ntiki_page_id = 7\n+++\nBody\n'

    metadata, body, body_line = parse_front_matter(text)

    assert metadata == {"title": "A", "tiki_page_id": 7}
    assert (body, body_line) == ("Body\n", 5)


def test_a_body_may_be_empty():
    assert parse_front_matter('{"title": "A"}') == ({"title": "A"}, "", 1)
    assert parse_front_matter("---\ntitle: A\n---\n") == ({"title": "A"}, "", 4)


def test_indentation_of_the_first_body_line_is_kept():
    _, body, _ = parse_front_matter('{"title": "A"}\n\n    code block\n')

    assert body == "    code block\n"


def test_windows_line_endings_and_a_byte_order_mark_are_accepted():
    metadata, body, body_line = parse_front_matter("\ufeff---\r\ntitle: A\r\n---\r\n\r\nBody\r\n")

    assert metadata == {"title": "A"}
    assert (body, body_line) == ("Body\n", 5)


def test_empty_yaml_front_matter_is_an_empty_mapping():
    assert parse_front_matter("---\n---\nBody") == ({}, "Body", 3)


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda path: path.name)
def test_every_corpus_file_has_json_front_matter_and_a_body_without_leading_blank_lines(path):
    metadata, body, body_line = parse_front_matter(path.read_text(encoding="utf-8"))

    assert isinstance(metadata["title"], str)
    assert not body.startswith(("\n", " \n"))
    assert body_line > 1


def test_a_file_without_front_matter_is_an_error():
    with pytest.raises(FrontMatterError) as caught:
        parse_front_matter("# Just Markdown\n\nText\n")

    assert caught.value.message.startswith("no front matter")
    assert (caught.value.line, caught.value.column) == (1, 1)


def test_a_body_starting_with_a_markdown_link_is_not_mistaken_for_json():
    with pytest.raises(FrontMatterError, match="no front matter"):
        parse_front_matter("[a link](/posts/x)\n")


def test_malformed_json_reports_the_line_and_column_in_the_file():
    text = '{\n  "title": "A",\n  "slug": "a"\n  "date": "2020-01-01"\n}\n\nBody\n'

    with pytest.raises(FrontMatterError) as caught:
        parse_front_matter(text)

    assert caught.value.message == "invalid JSON front matter: Expecting ',' delimiter"
    assert (caught.value.line, caught.value.column) == (4, 3)
    assert str(caught.value) == "line 4, column 3: invalid JSON front matter: Expecting ',' delimiter"


def test_malformed_json_after_leading_blank_lines_reports_the_line_in_the_file():
    with pytest.raises(FrontMatterError) as caught:
        parse_front_matter('\n\n{"title": "A",, }\n')

    assert (caught.value.line, caught.value.column) == (3, 15)


def test_malformed_yaml_reports_the_line_and_column_in_the_file():
    text = "---\ntitle: A\nslug: [a\ndate: 2020-01-01\n---\nBody\n"

    with pytest.raises(FrontMatterError) as caught:
        parse_front_matter(text)

    assert caught.value.message.startswith("invalid YAML front matter: ")
    assert (caught.value.line, caught.value.column) == (4, 5)


def test_badly_indented_yaml_reports_the_line_and_column_in_the_file():
    with pytest.raises(FrontMatterError) as caught:
        parse_front_matter("---\ntitle: A\n  bad: indent\n---\n")

    assert caught.value.message == "invalid YAML front matter: mapping values are not allowed in this context"
    assert (caught.value.line, caught.value.column) == (3, 6)


def test_malformed_toml_reports_the_line_and_column_in_the_file():
    text = '+++\ntitle = "A"\nslug = \n+++\nBody\n'

    with pytest.raises(FrontMatterError) as caught:
        parse_front_matter(text)

    assert caught.value.message == "invalid TOML front matter: Invalid value"
    assert (caught.value.line, caught.value.column) == (3, 8)


@pytest.mark.parametrize(
    ("text", "kind"),
    [("---\ntitle: A\n", "YAML"), ("+++\ntitle = 'A'\n", "TOML"), ("---", "YAML")],
)
def test_unterminated_fenced_front_matter_is_an_error(text, kind):
    with pytest.raises(FrontMatterError, match=f"unterminated {kind} front matter") as caught:
        parse_front_matter(text)

    assert caught.value.line == 1


@pytest.mark.parametrize(
    ("text", "kind"),
    [('["title", "A"]\n\nBody', "list"), ("---\n- a\n---\n", "list"), ("---\njust text\n---\n", "str")],
)
def test_front_matter_that_is_not_a_mapping_is_an_error(text, kind):
    with pytest.raises(FrontMatterError) as caught:
        parse_front_matter(text)

    assert caught.value.message == f"front matter is not a mapping of fields (got {kind})"
    assert caught.value.line == 1


def test_text_after_the_json_object_on_the_same_line_is_an_error():
    with pytest.raises(FrontMatterError) as caught:
        parse_front_matter('{"title": "A"}  Body\n')

    assert caught.value.message == "unexpected text after the JSON front matter"
    assert (caught.value.line, caught.value.column) == (1, 17)
