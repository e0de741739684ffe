import hashlib
import io
import json
import os
import stat
import tarfile
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from posts.legacy.dump import (
    MAX_FILE_SIZE,
    DumpError,
    DumpFile,
    LegacyAlias,
    LegacyPost,
    file_checksum,
    iter_dump,
    parse_post,
    repair_mojibake,
)

CORPUS = Path(os.environ.get("VDWIKI_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))
CORPUS_FILES = sorted([*CORPUS.glob("posts/*.md"), *CORPUS.glob("seed/*.md")])
RECURRENT = CORPUS / "seed" / "recurrent-miscarriages-decreased-by-increased-vitamin-d-levels.md"
SECOND = CORPUS / "seed" / "second-miscarriage-associated-with-low-vitamin-d-review.md"
CDN = "https://d1bk1kqxc0sym.cloudfront.net/attachments"
TWENTY_MB = 20 * 1024 * 1024


def post(metadata: dict, body: str = "Body\n", name: str = "post.md") -> LegacyPost:
    return parse_post(name, (json.dumps(metadata, indent=4) + "\n\n" + body).encode())


def error_for(data: bytes | str, name: str = "foo.md") -> DumpError:
    with pytest.raises(DumpError) as caught:
        parse_post(name, data.encode() if isinstance(data, str) else data)
    return caught.value


def field_error(metadata: dict) -> DumpError:
    return error_for(json.dumps(metadata) + "\n\nBody\n")


def minimal(**fields) -> dict:
    return {"title": "A post", "date": "2020-01-02", **fields}


def source(path: Path) -> tuple[dict, str]:
    """A corpus file's JSON front matter and body as written, read independently of the parser."""
    text = path.read_text(encoding="utf-8")
    metadata, end = json.JSONDecoder().raw_decode(text)
    return metadata, text[end:].lstrip("\n")


def raw_body(path: Path) -> str:
    return source(path)[1]


# --- The corpus -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda path: path.name)
def test_every_corpus_post_parses_with_the_title_slug_and_page_id_of_its_front_matter(path):
    metadata = source(path)[0]

    legacy = parse_post(path.name, path.read_bytes())

    assert legacy.title == metadata["title"]
    assert legacy.slug == metadata["slug"] == path.stem
    assert legacy.tiki_page_id == metadata["tiki_page_id"]
    assert LegacyAlias(f"/{legacy.tiki_page_id}", "aliases") in legacy.aliases
    assert [alias.path for alias in legacy.aliases[: len(metadata["aliases"])]] == metadata["aliases"]
    assert legacy.date.tzinfo is UTC
    assert legacy.extra == {}


def test_the_recurrent_miscarriages_seed_post_parses_exactly():
    legacy = parse_post(RECURRENT.name, RECURRENT.read_bytes())

    assert legacy == LegacyPost(
        name=RECURRENT.name,
        title="Recurrent miscarriages decreased by increased Vitamin D levels",
        slug="recurrent-miscarriages-decreased-by-increased-vitamin-d-levels",
        body=raw_body(RECURRENT).replace("p â‰¤ .018", "p ≤ .018"),
        aliases=(
            LegacyAlias("/Recurrent+miscarriages+decreased+by+increased+Vitamin+D+levels+-+Jan+2024", "aliases"),
            LegacyAlias("/15008", "aliases"),
        ),
        tiki_page_id=15008,
        date=datetime(2024, 1, 29, tzinfo=UTC),
        lastmod=None,
        categories=("Pregnancy",),
        tags=("Pregnancy", "miscarriage", "vitamin d"),
        draft=False,
        extra={},
        attachment_urls=(
            f"{CDN}/png/spontaneous-abortion.png",
            f"{CDN}/pdf/recurrent-spontaneous-abortion.pdf",
        ),
        checksum=file_checksum(RECURRENT.name, RECURRENT.read_bytes()),
    )
    assert legacy.body.startswith("{{< toc >}}\n")
    assert "â" not in legacy.body


def test_the_second_miscarriage_seed_post_parses_exactly():
    legacy = parse_post(SECOND.name, SECOND.read_bytes())

    assert legacy == LegacyPost(
        name=SECOND.name,
        title="Second miscarriage associated with low vitamin D – review",
        slug="second-miscarriage-associated-with-low-vitamin-d-review",
        body=raw_body(SECOND),
        aliases=(
            LegacyAlias("/Second+miscarriage+associated+with+low+vitamin+D+–+review+June+2018", "aliases"),
            LegacyAlias("/9708", "aliases"),
            LegacyAlias("/Miscarriage associated with low vitamin D – review June 2018", "comment"),
        ),
        tiki_page_id=9708,
        date=datetime(2018, 6, 20, tzinfo=UTC),
        lastmod=None,
        categories=("Pregnancy", "Top news"),
        tags=(
            "CYPR",
            "Pregnancy",
            "Top news",
            "autoimmune",
            "autoimmune and pregnancy",
            "dosage",
            "genetics",
            "high dose",
            "intervention",
            "miscarriage",
            "therapeutic intervention",
            "vitamin d",
            "vitamin d receptor",
        ),
        draft=False,
        extra={},
        attachment_urls=(f"{CDN}/jpeg/rpl.jpg", f"{CDN}/pdf/rpl-june-2018.pdf"),
        checksum=file_checksum(SECOND.name, SECOND.read_bytes()),
    )
    assert legacy.body.endswith(
        "<!-- ~tc~ (alias(Miscarriage associated with low vitamin D – review June 2018)) ~/tc~ -->"
    )


def test_comment_aliases_may_contain_parentheses_and_several_may_follow_each_other():
    cusco = (
        CORPUS
        / "posts"
        / "high-altitude-cusco-peru-has-far-lower-rate-of-covid-19-than-others-high-uvb-and-vitamin-d.md"
    )
    hundred = CORPUS / "posts" / "100-years-since-the-discovery-of-vitamin-d-23-studies-2022-2023.md"

    cusco_aliases = parse_post(cusco.name, cusco.read_bytes()).aliases
    hundred_aliases = parse_post(hundred.name, hundred.read_bytes()).aliases

    assert cusco_aliases[-1] == LegacyAlias(
        "/High altitude Cusco Peru has far lower rate of COVID-19 others (high UVB and Vitamin D) - June 2020",
        "comment",
    )
    assert hundred_aliases[-2:] == (
        LegacyAlias("/XX Vitamin D studies - 2022", "comment"),
        LegacyAlias("/100 year since discovery of Vitamin D - 23 studies - 2022, 2023", "comment"),
    )


def test_categories_with_trailing_spaces_in_the_corpus_are_stripped():
    path = CORPUS / "posts" / "uvb-better-than-vitamin-d-supplements-for-pet-reptiles.md"

    legacy = parse_post(path.name, path.read_bytes())

    assert "Veterinary" in legacy.categories
    assert "Veterinary" in legacy.tags
    assert all(label == label.strip() for label in legacy.categories + legacy.tags)


def test_control_characters_in_a_title_and_labels_are_dropped_as_feeds_cannot_carry_them():
    legacy = post(minimal(title="Vitamin\u0007 D\u001f", categories=["Bo\u000cnes"], tags=["Sle\u001bep", "\u0008"]))

    assert (legacy.title, legacy.categories, legacy.tags) == ("Vitamin D", ("Bones",), ("Sleep",))


def test_only_the_two_damaged_corpus_posts_are_changed_by_the_mojibake_repair():
    parsed = {path: parse_post(path.name, path.read_bytes()) for path in CORPUS_FILES}

    changed = {path.name for path, legacy in parsed.items() if legacy.body != raw_body(path)}

    assert changed == {
        "anemia-in-pregnant-teens-7x-more-likely-if-low-vitamin-d.md",
        "recurrent-miscarriages-decreased-by-increased-vitamin-d-levels.md",
    }


def test_the_cjk_character_standing_for_less_or_equal_in_the_corpus_is_repaired():
    path = CORPUS / "posts" / "anemia-in-pregnant-teens-7x-more-likely-if-low-vitamin-d.md"

    body = parse_post(path.name, path.read_bytes()).body

    assert "aged ≤ 18 y" in body
    assert "蠄" not in body


# --- Other front matter formats -------------------------------------------------------------------


def _toml_value(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@pytest.mark.parametrize("seed", [RECURRENT, SECOND], ids=lambda path: path.stem)
def test_yaml_and_toml_versions_of_a_seed_post_parse_to_the_same_post(seed):
    text = seed.read_text(encoding="utf-8")
    metadata, body = source(seed)
    as_yaml = dict(metadata, date=date.fromisoformat(metadata["date"]))
    yaml_text = "---\n" + yaml.safe_dump(as_yaml, allow_unicode=True, sort_keys=False) + "---\n\n" + body
    toml_lines = [f"{key} = {_toml_value(value)}" for key, value in as_yaml.items()]
    toml_text = "+++\n" + "\n".join(toml_lines) + "\n+++\n\n" + body

    from_json = parse_post(seed.name, text.encode())
    from_yaml = parse_post(seed.name, yaml_text.encode())
    from_toml = parse_post(seed.name, toml_text.encode())

    assert replace(from_yaml, checksum="") == replace(from_json, checksum="")
    assert replace(from_toml, checksum="") == replace(from_json, checksum="")


def test_yaml_and_toml_dates_and_times_outside_the_model_are_kept_as_iso_strings():
    yaml_post = parse_post("a.md", b"---\ntitle: A\ndate: 2020-01-02\npublishDate: 2020-01-03T04:05:06Z\n---\n")
    toml_post = parse_post("b.md", b'+++\ntitle = "A"\ndate = 2020-01-02\n[meta]\nat = 07:08:09\n+++\n')

    assert yaml_post.extra == {"publishDate": "2020-01-03T04:05:06+00:00"}
    assert toml_post.extra == {"meta": {"at": "07:08:09"}}
    assert json.dumps([yaml_post.extra, toml_post.extra])


def test_malformed_yaml_in_a_post_reports_line_and_column():
    error = error_for("---\ntitle: A\ntags: [a, b\ndate: 2020-01-02\n---\nBody\n")

    assert error.message.startswith("invalid YAML front matter: ")
    assert (error.line, error.column) == (4, 5)
    assert error.field is None


def test_malformed_toml_in_a_post_reports_line_and_column():
    error = error_for('+++\ntitle = "A"\ndate = 2020-01-02\ntags = ["a" "b"]\n+++\nBody\n')

    assert error.message.startswith("invalid TOML front matter: ")
    assert (error.line, error.column) == (4, 13)


# --- Errors in a post -----------------------------------------------------------------------------


def test_malformed_json_reports_the_file_line_and_column():
    error = error_for('{\n    "title": "A",\n    "date": "2020-01-02"\n    "slug": "a"\n}\n\nBody\n')

    assert (error.name, error.line, error.column, error.field) == ("foo.md", 4, 5, None)
    assert error.message == "invalid JSON front matter: Expecting ',' delimiter"
    assert str(error) == "foo.md, line 4, column 5: invalid JSON front matter: Expecting ',' delimiter"


def test_a_file_without_front_matter_is_an_error():
    error = error_for("# A title\n\nText\n")

    assert error.message.startswith("no front matter")


def test_a_missing_title_is_an_error_of_the_title_field():
    error = field_error({"date": "2020-01-02"})

    assert (error.field, error.message) == ("title", "missing title")
    assert str(error) == "foo.md, field 'title': missing title"


@pytest.mark.parametrize("title", ["", "   "])
def test_a_blank_title_is_an_error_of_the_title_field(title):
    assert field_error(minimal(title=title)).field == "title"


def test_a_title_that_is_not_a_string_is_an_error():
    error = field_error(minimal(title=["A"]))

    assert (error.field, error.message) == ("title", "must be a string, not list")


def test_a_date_that_is_not_a_date_is_an_error_of_the_date_field():
    error = field_error(minimal(date="yesterday"))

    assert error.field == "date"
    assert str(error) == "foo.md, field 'date': 'yesterday' is not a date (expected YYYY-MM-DD or ISO 8601)"


@pytest.mark.parametrize("value", [20200102, True, ["2020-01-02"], "2020-13-01"])
def test_other_values_that_are_not_dates_are_refused(value):
    assert field_error(minimal(date=value)).field == "date"


def test_a_lastmod_that_is_not_a_date_is_an_error_of_the_lastmod_field():
    assert field_error(minimal(lastmod="soon")).field == "lastmod"


def test_a_missing_date_is_taken_from_lastmod():
    legacy = post({"title": "A", "lastmod": "2021-03-04T05:06:07Z"})

    assert legacy.date == legacy.lastmod == datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)


def test_a_post_without_date_or_lastmod_is_an_error():
    error = field_error({"title": "A"})

    assert (error.field, error.message) == ("date", "missing date")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2018-06-20", datetime(2018, 6, 20, tzinfo=UTC)),
        ("2018-06-20T10:30:00", datetime(2018, 6, 20, 10, 30, tzinfo=UTC)),
        ("2018-06-20 10:30:00", datetime(2018, 6, 20, 10, 30, tzinfo=UTC)),
        ("2018-06-20T10:30:00Z", datetime(2018, 6, 20, 10, 30, tzinfo=UTC)),
        ("2018-06-20T10:30:00+02:00", datetime(2018, 6, 20, 10, 30, tzinfo=timezone(timedelta(hours=2)))),
    ],
)
def test_dates_are_timezone_aware_and_utc_when_the_source_has_no_offset(value, expected):
    published = post(minimal(date=value)).date

    assert published == expected
    assert published.utcoffset() == expected.utcoffset()


def test_a_slug_missing_from_the_front_matter_is_the_file_name():
    legacy = post({"title": "A", "date": "2020-01-02"}, name="posts/vitamin-d-für-kinder.md")

    assert legacy.slug == "vitamin-d-für-kinder"


@pytest.mark.parametrize("slug", ["has space", "a/b", "a.b", "x" * 256, ""])
def test_a_slug_that_is_not_a_valid_unicode_slug_is_an_error(slug):
    name = "bad name.md" if slug == "" else "foo.md"
    error = error_for(json.dumps(minimal(slug=slug)) + "\n\nBody\n", name=name)

    assert error.field == "slug"


def test_a_slug_that_is_not_a_string_is_an_error():
    assert field_error(minimal(slug=12)).field == "slug"


def test_a_tiki_page_id_written_as_a_string_of_digits_is_accepted():
    assert post(minimal(tiki_page_id="9708")).tiki_page_id == 9708


@pytest.mark.parametrize("value", [0, -3, 1.5, "abc", "", True, [1]])
def test_a_tiki_page_id_that_is_not_a_positive_integer_is_an_error(value):
    assert field_error(minimal(tiki_page_id=value)).field == "tiki_page_id"


def test_a_post_without_tiki_page_id_has_none():
    assert post(minimal()).tiki_page_id is None


def test_the_page_id_becomes_an_alias_unless_already_listed():
    listed = post(minimal(tiki_page_id=15008, aliases=["/15008", "/Title"]))
    unlisted = post(minimal(tiki_page_id=15008, aliases=["/Title"]))

    assert listed.aliases == (LegacyAlias("/15008", "aliases"), LegacyAlias("/Title", "aliases"))
    assert unlisted.aliases == (LegacyAlias("/Title", "aliases"), LegacyAlias("/15008", "page_id"))


def test_aliases_are_deduplicated_by_their_normal_form_keeping_the_first():
    legacy = post(
        minimal(
            tiki_page_id=14554,
            aliases=[
                "/Vitamin+D+Review",
                "/vitamin%20d%20review",
                "/Vitamin D Review",
                "/tiki-index.php?page_id=14554",
            ],
        ),
        body="<!-- ~tc~ (alias(vitamin d review)) ~/tc~ -->\n",
    )

    assert legacy.aliases == (
        LegacyAlias("/Vitamin+D+Review", "aliases"),
        LegacyAlias("/tiki-index.php?page_id=14554", "aliases"),
    )


def test_a_full_url_alias_keeps_its_path_and_query():
    legacy = post(minimal(aliases=["https://www.VitaminDWiki.com/tiki-index.php?page=Some+Page#top"]))

    assert legacy.aliases == (LegacyAlias("/tiki-index.php?page=Some+Page", "aliases"),)


def test_a_single_string_is_accepted_as_a_one_item_list():
    legacy = post(minimal(aliases="/Old", categories="Pregnancy", tags="miscarriage"))

    assert legacy.aliases == (LegacyAlias("/Old", "aliases"),)
    assert (legacy.categories, legacy.tags) == (("Pregnancy",), ("miscarriage",))


@pytest.mark.parametrize("alias", ["Old+Title", "", "mailto:a@b.c", "/", "/+"])
def test_an_alias_that_is_not_a_path_or_is_the_home_page_is_an_error(alias):
    assert field_error(minimal(aliases=[alias])).field == "aliases"


@pytest.mark.parametrize("field", ["aliases", "categories", "tags"])
@pytest.mark.parametrize("value", [42, {"a": "b"}, ["ok", 7]])
def test_lists_of_strings_refuse_anything_else(field, value):
    error = field_error(minimal(**{field: value}))

    assert error.field == field
    assert error.message.startswith("must be a list of strings")


def test_comment_aliases_in_the_body_are_taken_and_the_comment_kept():
    body = "Text\n\n<!-- ~tc~ (alias(Old Title – June 2018)) ~/tc~ -->\n"

    legacy = post(minimal(), body=body)

    assert legacy.aliases == (LegacyAlias("/Old Title – June 2018", "comment"),)
    assert legacy.body == body


def test_other_wiki_comments_are_not_aliases():
    legacy = post(minimal(), body="<!-- ~tc~ start ~/tc~ -->\nText\n<!-- ~tc~ end ~/tc~ -->\n")

    assert legacy.aliases == ()


def test_categories_and_tags_are_stripped_collapsed_and_deduplicated_ignoring_case():
    legacy = post(
        minimal(
            categories=["Deficiency ", "deficiency", "  Top   news ", "", " ", "Top News"],
            tags=["vitamin d", "Vitamin D", "pregnancy"],
        )
    )

    assert legacy.categories == ("Deficiency", "Top news")
    assert legacy.tags == ("vitamin d", "pregnancy")


def test_draft_must_be_true_or_false():
    assert post(minimal(draft=True)).draft is True
    assert post(minimal()).draft is False
    assert field_error(minimal(draft="yes")).field == "draft"


def test_unmodelled_fields_are_kept_verbatim_as_extra():
    legacy = post(minimal(author_note={"x": [1, 2]}, weight=3, Title="Shadow"))

    assert legacy.extra == {"author_note": {"x": [1, 2]}, "weight": 3, "Title": "Shadow"}


def test_the_checksum_covers_the_bytes_and_the_base_name_but_not_the_folder():
    data = (json.dumps(minimal()) + "\n\nBody\n").encode()

    assert parse_post("a.md", data).checksum == hashlib.sha256(b"a.md\0" + data).hexdigest()
    assert parse_post("dump/posts/a.md", data).checksum == parse_post("a.md", data).checksum
    assert parse_post("b.md", data).checksum != parse_post("a.md", data).checksum
    assert parse_post("a.md", data + b"!").checksum != parse_post("a.md", data).checksum


def test_bytes_that_are_not_utf8_give_line_column_and_the_byte():
    error = error_for('{"title": "A", "date": "2020-01-02"}\n\nÇa café\n'.encode() + b"Pur\xe9e\n")

    assert error.message == "not valid UTF-8 (byte 0xe9)"
    assert (error.line, error.column) == (4, 4)
    assert str(error) == "foo.md, line 4, column 4: not valid UTF-8 (byte 0xe9)"


def test_the_column_of_invalid_utf8_counts_characters_not_bytes():
    error = error_for('{"title": "A", "date": "2020-01-02"}\n\nÇa caf'.encode() + b"\xe9\n")

    assert (error.line, error.column) == (3, 7)


def test_a_utf8_byte_order_mark_is_accepted():
    legacy = parse_post("a.md", b"\xef\xbb\xbf" + json.dumps(minimal()).encode() + b"\n\nBody\n")

    assert legacy.title == "A post"


def test_a_binary_file_is_refused():
    error = error_for(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")

    assert error.message == "binary file, not Markdown"


@pytest.mark.parametrize("data", [b"", b" \n\n\t\n"])
def test_an_empty_file_is_refused(data):
    assert error_for(data).message == "empty file"


def test_a_dump_error_keeps_its_parts_as_attributes():
    error = DumpError("a.md", "bad", field="date", line=3, column=12)

    assert (error.name, error.message, error.field, error.line, error.column) == (
        "a.md",
        "bad",
        "date",
        3,
        12,
    )
    assert str(error) == "a.md, field 'date', line 3, column 12: bad"


# --- Mojibake ---------------------------------------------------------------------------------------


def test_mojibake_is_repaired_in_title_body_categories_and_tags():
    legacy = post(
        minimal(title="CafÃ© study", categories=["RÃ©sumÃ©"], tags=["itâ€™s"]),
        body="p â‰¤ .018 and â€œquotedâ€\x9d\n",
    )

    assert legacy.title == "Café study"
    assert legacy.body == "p ≤ .018 and “quoted”\n"
    assert legacy.categories == ("Résumé",)
    assert legacy.tags == ("it’s",)


def test_only_the_lines_with_mojibake_are_changed():
    text = "Brøndum-Jacobsen, März – “fine” ‐ 25(OH)D\np â‰¤ .018\nMichaëlsson ≥ 3\n"

    assert repair_mojibake(text) == "Brøndum-Jacobsen, März – “fine” ‐ 25(OH)D\np ≤ .018\nMichaëlsson ≥ 3\n"


def test_correct_text_is_returned_unchanged():
    text = "Brøndum-Jacobsen P, März W, Michaëlsson K – 25(OH)D ≥ 30 ng/ml, naïve “quotes”, Ångström\n"

    assert repair_mojibake(text) is text


def test_decimal_references_read_as_hex_are_repaired_outside_chinese_text():
    assert repair_mojibake("aged 蠄 18 y, BMI 蠅 30") == "aged ≤ 18 y, BMI ≥ 30"
    assert repair_mojibake("苍蠅很多") == "苍蠅很多"


def test_question_marks_for_lost_greek_letters_are_left_alone():
    assert repair_mojibake("1,25(OH)2D and TNF-? levels") == "1,25(OH)2D and TNF-? levels"


# --- Reading a dump -------------------------------------------------------------------------------


def corpus_entries() -> list[tuple[str, Path]]:
    return [(path.relative_to(CORPUS).as_posix(), path) for path in sorted(CORPUS.rglob("*")) if path.is_file()]


def make_zip(path: Path, entries: list[tuple[str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return path


def make_tar(path: Path, entries: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz", compresslevel=1) as archive:
        for info, data in entries:
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def tar_file(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def tar_link(name: str, kind: bytes, target: str = "/etc/passwd") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


def as_dict(files) -> dict[str, bytes]:
    files = list(files)
    assert all(isinstance(file, DumpFile) and file.error is None for file in files)
    return {file.name: file.data for file in files}


def tree(root: Path) -> set[Path]:
    return set(root.rglob("*"))


def test_a_directory_zip_and_tar_gz_of_the_corpus_yield_the_same_names_and_bytes(tmp_path):
    entries = corpus_entries()
    make_zip(tmp_path / "dump.zip", [(name, path.read_bytes()) for name, path in entries])
    with tarfile.open(tmp_path / "dump.tar.gz", "w:gz") as archive:
        for name, path in entries:
            archive.add(path, arcname=f"./{name}")

    from_directory = list(iter_dump(CORPUS))
    from_zip = as_dict(iter_dump(tmp_path / "dump.zip"))
    from_tar = as_dict(iter_dump(str(tmp_path / "dump.tar.gz")))

    expected = {name: path.read_bytes() for name, path in entries if name.endswith(".md")}
    assert [file.name for file in from_directory] == sorted(expected)
    assert as_dict(from_directory) == from_zip == from_tar == expected
    assert len(expected) == len(CORPUS_FILES) + 1  # SOURCES.md is Markdown too


def test_files_that_are_not_markdown_and_macos_resource_forks_are_ignored(tmp_path):
    zipped = make_zip(
        tmp_path / "dump.zip",
        [("a.md", b"A"), ("b.png", b"PNG"), ("notes.txt", b"x"), ("__MACOSX/._a.md", b"\x00\x05")],
    )
    directory = tmp_path / "dir"
    (directory / "sub").mkdir(parents=True)
    (directory / "sub" / "a.md").write_bytes(b"A")
    (directory / "image.jpg").write_bytes(b"JPG")

    assert as_dict(iter_dump(zipped)) == {"a.md": b"A"}
    assert as_dict(iter_dump(directory)) == {"sub/a.md": b"A"}


def test_a_20_mb_file_in_a_directory_is_refused_without_reading_it(tmp_path, monkeypatch):
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "big.md").write_bytes(b"x" * TWENTY_MB)
    (dump / "small.md").write_bytes(b"small")
    opened = []
    real_open = Path.open
    monkeypatch.setattr(
        Path,
        "open",
        lambda self, *args, **kwargs: opened.append(self.name) or real_open(self, *args, **kwargs),
    )

    big, small = iter_dump(dump)

    assert big.data is None
    assert big.error.message == f"file is too large: {TWENTY_MB:,} bytes (limit {MAX_FILE_SIZE:,} bytes)"
    assert str(big.error) == "big.md: file is too large: 20,971,520 bytes (limit 5,242,880 bytes)"
    assert small == DumpFile("small.md", b"small")
    assert opened == ["small.md"]


def test_a_20_mb_file_in_a_zip_is_refused_without_reading_it(tmp_path, monkeypatch):
    zipped = make_zip(tmp_path / "dump.zip", [("big.md", b"x" * TWENTY_MB), ("small.md", b"small")])
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(
        zipfile.ZipFile,
        "open",
        lambda self, info, *args, **kwargs: opened.append(info.filename) or real_open(self, info, *args, **kwargs),
    )

    big, small = iter_dump(zipped)

    assert big.error.message.startswith(f"file is too large: {TWENTY_MB:,} bytes")
    assert small == DumpFile("small.md", b"small")
    assert opened == ["small.md"]


def test_a_20_mb_file_in_a_tar_gz_is_refused_without_reading_it(tmp_path, monkeypatch):
    tarred = make_tar(tmp_path / "dump.tar.gz", [tar_file("big.md", b"x" * TWENTY_MB), tar_file("small.md", b"small")])
    extracted = []
    real_extract = tarfile.TarFile.extractfile
    monkeypatch.setattr(
        tarfile.TarFile,
        "extractfile",
        lambda self, member: extracted.append(member.name) or real_extract(self, member),
    )

    big, small = iter_dump(tarred)

    assert big.error.message.startswith(f"file is too large: {TWENTY_MB:,} bytes")
    assert small == DumpFile("small.md", b"small")
    assert extracted == ["small.md"]


def test_the_size_limit_can_be_lowered():
    files = list(iter_dump(CORPUS / "seed", max_file_size=4000))

    assert [file.error is not None for file in files] == [False, True]


@pytest.mark.parametrize("name", ["../../x.md", "/tmp/x.md", "posts/../../x.md", "..\\..\\x.md"])
def test_a_zip_entry_with_an_unsafe_path_is_not_read(tmp_path, name):
    zipped = make_zip(tmp_path / "dump.zip", [(name, b"evil"), ("ok.md", b"ok")])
    before = tree(tmp_path)

    files = list(iter_dump(zipped))

    unsafe = next(file for file in files if file.name != "ok.md")
    assert unsafe.data is None
    assert unsafe.error.message == f"unsafe path in archive: {name}"
    assert DumpFile("ok.md", b"ok") in files
    assert tree(tmp_path) == before
    assert not (tmp_path.parent / "x.md").exists()


@pytest.mark.parametrize("name", ["../../x.md", "/tmp/x.md", "posts/../../x.md"])
def test_a_tar_entry_with_an_unsafe_path_is_not_read(tmp_path, name):
    tarred = make_tar(tmp_path / "dump.tar.gz", [tar_file(name, b"evil"), tar_file("ok.md", b"ok")])
    before = tree(tmp_path)

    unsafe, ok = iter_dump(tarred)

    assert unsafe.data is None
    assert unsafe.error.message == f"unsafe path in archive: {name}"
    assert ok == DumpFile("ok.md", b"ok")
    assert tree(tmp_path) == before
    assert not (tmp_path.parent / "x.md").exists()


@pytest.mark.parametrize(
    ("kind", "description"),
    [(tarfile.SYMTYPE, "symlink"), (tarfile.LNKTYPE, "hard link"), (tarfile.CHRTYPE, "device or FIFO")],
)
def test_links_and_devices_in_a_tar_are_not_read(tmp_path, kind, description):
    tarred = make_tar(tmp_path / "dump.tgz", [tar_file("ok.md", b"ok"), tar_link("link.md", kind, target="ok.md")])

    ok, link = iter_dump(tarred)

    assert ok == DumpFile("ok.md", b"ok")
    assert link.data is None
    assert link.error.message == f"unsafe entry in archive: link.md is a {description}"


def test_a_symlink_entry_in_a_zip_is_not_read(tmp_path):
    info = zipfile.ZipInfo("link.md")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    zipped = tmp_path / "dump.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr(info, "/etc/passwd")

    (link,) = iter_dump(zipped)

    assert link.error.message == "unsafe entry in archive: link.md is a symlink"


def test_a_symlink_in_a_directory_is_followed_only_inside_the_dump(tmp_path):
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "real.md").write_bytes(b"real")
    (dump / "inside.md").symlink_to(dump / "real.md")
    (tmp_path / "secret.md").write_bytes(b"secret")
    (dump / "outside.md").symlink_to(tmp_path / "secret.md")
    (dump / "linked-dir").symlink_to(tmp_path, target_is_directory=True)

    inside, outside, real = iter_dump(dump)

    assert inside == DumpFile("inside.md", b"real")
    assert outside.data is None
    assert outside.error.message == "symlink points outside the dump"
    assert real == DumpFile("real.md", b"real")


def test_a_source_that_does_not_exist_is_an_error(tmp_path):
    with pytest.raises(DumpError, match="no such directory or file"):
        iter_dump(tmp_path / "missing.zip")


def test_a_source_that_is_neither_directory_zip_nor_tar_gz_is_an_error(tmp_path):
    (tmp_path / "dump.rar").write_bytes(b"Rar!")

    with pytest.raises(DumpError) as caught:
        iter_dump(tmp_path / "dump.rar")

    assert caught.value.message == "not a dump: expected a directory, a .zip or a .tar.gz"


def test_a_corrupt_zip_is_an_error(tmp_path):
    good = make_zip(tmp_path / "good.zip", [("a.md", b"A" * 1000)]).read_bytes()
    (tmp_path / "truncated.zip").write_bytes(good[: len(good) // 2])
    (tmp_path / "garbage.zip").write_bytes(b"not a zip at all")

    for name in ("truncated.zip", "garbage.zip"):
        with pytest.raises(DumpError, match="not a valid zip archive"):
            iter_dump(tmp_path / name)


def test_a_corrupt_tar_gz_is_an_error(tmp_path):
    good = make_tar(tmp_path / "good.tar.gz", [tar_file(f"{n}.md", os.urandom(20_000)) for n in range(3)])
    (tmp_path / "truncated.tar.gz").write_bytes(good.read_bytes()[:30_000])
    (tmp_path / "plain.tar.gz").write_bytes(b"not gzip")

    with pytest.raises(DumpError, match="corrupt .tar.gz archive"):
        list(iter_dump(tmp_path / "truncated.tar.gz"))
    with pytest.raises(DumpError, match="not gzip-compressed"):
        iter_dump(tmp_path / "plain.tar.gz")


HOSTILE_FRONT_MATTER = {
    "JSON nested 5,000 deep": ('{"title": "x", "date": "2024-01-01", "deep": ' + "[" * 5000 + "]" * 5000 + "}", "deep"),
    "YAML nested 5,000 deep": ("---\ntitle: x\ndeep: " + "[" * 5000 + "]" * 5000 + "\n---", "deep"),
    "YAML block lists nested 3,000 deep": ("---\ntitle: x\ndeep:\n  " + "- " * 3000 + "x\n---", "deep"),
    "TOML nested 5,000 deep": ('+++\ntitle = "x"\ndeep = ' + "[" * 5000 + "]" * 5000 + "\n+++", "deep"),
    "a YAML alias of itself": ("---\nx: &a [*a]\n---", "x"),
    "a YAML merge key": ('---\nbase: &b {title: "x"}\npost:\n  <<: *b\n---', "base"),
}


@pytest.mark.parametrize("case", HOSTILE_FRONT_MATTER, ids=list(HOSTILE_FRONT_MATTER))
def test_hostile_front_matter_is_an_error_of_its_field_not_a_recursion(case):
    text, field = HOSTILE_FRONT_MATTER[case]

    error = error_for(text + "\n\nBody\n")

    assert (error.name, error.field) == ("foo.md", field)
    assert error.line is not None
    assert "nested more than 32 levels deep" in error.message or "anchors and aliases" in error.message


def test_nesting_up_to_the_limit_and_brackets_inside_strings_and_comments_are_accepted():
    deep = "[" * 31 + "1" + "]" * 31
    assert post(minimal(title="[[[[" * 20, x=json.loads(deep))).title == "[[[[" * 20
    toml = f'+++\ntitle = "{"[" * 40}"\n# {"{" * 40}\ndate = 2024-01-01\nx = {deep}\n+++\n\nBody\n'
    assert parse_post("t.md", toml.encode()).title == "[" * 40


VALUES_NO_COLUMN_STORES = {
    "a date that does not exist": ("---\ntitle: x\ndate: 2024-02-30\n---", "date", "line 3"),
    "an integer YAML cannot make": ("---\ntitle: x\nn: !!int abc\n---", "n", "line 3"),
    "a 5,000-digit JSON number": ('{"title": "x", "date": "2024-01-01", "n": ' + "1" * 5000 + "}", None, "line 1"),
    "a NUL in the title": ('{"title": "a\\u0000b", "date": "2024-01-01"}', "title", "contains a NUL character"),
    "a lone surrogate in a tag": ('{"title": "x", "date": "2024-01-01", "tags": ["\\ud800"]}', "tags", "U+D800"),
    "a lone surrogate in a key": ('{"title": "x", "date": "2024-01-01", "\\udfff": 1}', "\udfff", "U+DFFF"),
    "a title over 500 characters": (json.dumps(minimal(title="t" * 501)), "title", "longer than 500"),
    "a tag over 100 characters": (json.dumps(minimal(tags=["t" * 101])), "tags", "longer than 100"),
    "a category whose slug is over 200": (json.dumps(minimal(categories=["\ufdfa" * 20])), "categories", "its slug"),
    "an alias over 1,000 characters": (json.dumps(minimal(aliases=["/" + "a" * 1000])), "aliases", "1000"),
    "a page id over 2**31 - 1": (json.dumps(minimal(tiki_page_id=2**31)), "tiki_page_id", "up to 2147483647"),
    "a date out of range in UTC": (json.dumps(minimal(date="0001-01-01T00:00:00+01:00")), "date", "out of range"),
}


@pytest.mark.parametrize("case", VALUES_NO_COLUMN_STORES, ids=list(VALUES_NO_COLUMN_STORES))
def test_values_the_database_could_not_store_are_errors_of_their_field(case):
    text, field, said = VALUES_NO_COLUMN_STORES[case]

    error = error_for(text + "\n\nBody\n")

    assert error.field == field and said in str(error), str(error)


def test_not_a_number_in_unmodelled_metadata_is_kept_as_text():
    assert post(minimal(ratio=float("nan"), top=float("inf"))).extra == {"ratio": "nan", "top": "inf"}


def test_a_zip_whose_directory_puts_an_entry_before_the_file_start_names_the_entry(tmp_path):
    """An end record claiming the central directory starts later than it does: the entries'
    offsets come out negative, and seeking there failed with an OSError (found by the fuzz test)."""
    data = bytearray(make_zip(tmp_path / "good.zip", [("a.md", b"A" * 100)]).read_bytes())
    end = data.rindex(b"PK\x05\x06")
    offset = int.from_bytes(data[end + 16 : end + 20], "little")
    data[end + 16 : end + 20] = (offset + 1000).to_bytes(4, "little")
    (tmp_path / "shifted.zip").write_bytes(data)

    (entry,) = iter_dump(tmp_path / "shifted.zip")

    assert entry.name == "a.md" and entry.data is None
    assert entry.error.message.startswith("cannot read archive entry:")
