"""The importer fuzzed with hypothesis: over 10,000 generated files and archives, valid and
broken JSON, YAML and TOML, random bytes, huge and deeply nested fields, odd Unicode, hostile
archive entries. No exception escapes; every failure names its file, and its field or line;
a file that fails leaves the database as it was, row for row.

Most examples stop at parsing (no database); a few hundred go through the real loader."""

import io
import json
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest
import yaml
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posts.legacy.dump import DumpError, LegacyPost, iter_dump, parse_post
from posts.legacy.importer import import_dump

from .databases import fingerprint

FAST = settings(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
FILE_LEVEL_ERRORS = ("empty file", "binary file, not Markdown")

# Text as dumps have it, and as they should not: right-to-left marks, combining marks, NUL,
# lone surrogates (only JSON can spell those: "\ud800"), non-characters, emoji.
ODD = "\u202e\u200f\u0301\u0308\u0000\ud800\udfff\ufeff\uffff\u2028\U0001f600–éµ蠄â‰¤"
text = st.text(st.characters(codec=None, exclude_categories=()) | st.sampled_from(ODD), max_size=40)
huge_text = st.builds(lambda s, n: s * n, st.text(max_size=3).filter(bool), st.integers(100, 3000))
scalars = st.none() | st.booleans() | st.integers() | st.floats() | text | huge_text
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4))
FIELDS = ["title", "slug", "date", "lastmod", "aliases", "tiki_page_id", "categories", "tags", "draft", "x-extra"]
dates = st.sampled_from(
    [
        "2024-01-29",
        "2012-12-31T23:59:59+14:00",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59-05:00",
        "2024-02-30",
        "yesterday",
    ]
)
field_values = {
    "title": text | huge_text | values,
    "slug": st.from_regex(r"[-\w]{1,300}", fullmatch=True) | text | values,
    "date": dates | values,
    "lastmod": dates | values,
    "aliases": st.lists(
        st.sampled_from(["/", "/a+b", "https://www.vitamindwiki.com/x?y=1", "relative"]) | text, max_size=4
    )
    | values,
    "tiki_page_id": st.integers() | st.text(st.characters(categories=["Nd"]), max_size=12) | values,
    "categories": st.lists(text | huge_text, max_size=4) | values,
    "tags": st.lists(text | huge_text, max_size=4) | values,
    "draft": st.booleans() | values,
    "x-extra": values,
}
metadata = st.fixed_dictionaries({}, optional=field_values).map(
    lambda fields: {"title": "A post", "date": "2024-01-29", **fields}
)
bodies = st.text(max_size=300) | st.sampled_from(
    ["", "# Heading\n\n{{< toc >}}\n", "<div>" * 50, "~tc~ (alias(Old – Title)) ~/tc~"]
)


def nested(depth: int, inner: str = "1") -> list:
    value = json.loads(inner)
    for _ in range(depth):
        value = [value]
    return value


def toml_value(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return '""'
    if isinstance(value, float):
        return repr(value).replace("inf", "inf").replace("nan", "nan")
    return json.dumps(value) if isinstance(value, str) else str(value)


def serialize(kind: str, meta: dict, body: str) -> str:
    if kind == "json":
        return json.dumps(meta, indent=2) + "\n\n" + body
    if kind == "yaml":
        return "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n\n" + body
    return "+++\n" + "\n".join(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in meta.items()) + "\n+++\n\n" + body


@st.composite
def files(draw) -> bytes:
    """A post file: well formed or not, then perhaps cut, spliced or sprinkled with bytes."""
    kind = draw(st.sampled_from(["json", "yaml", "toml"]))
    meta = draw(metadata)
    if draw(st.booleans()):
        meta[draw(st.sampled_from(FIELDS))] = nested(draw(st.integers(1, 200)))
    data = serialize(kind, meta, draw(bodies)).encode("utf-8", "surrogatepass")
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(data)))
        cut = draw(st.integers(0, 5))
        data = (
            data[:at]
            + draw(st.binary(max_size=4) | st.sampled_from([b"[", b"{", b"&a ", b"*a", b'"', b"\n---\n"]))
            + data[at + cut :]
        )
    return data


def check_parsed(name: str, data: bytes) -> LegacyPost | DumpError:
    try:
        return parse_post(name, data)
    except DumpError as error:
        assert error.name == name
        assert error.field or error.line or error.message in FILE_LEVEL_ERRORS, str(error)
        return error


@settings(FAST, max_examples=4000)
@given(st.binary(max_size=2000))
def test_random_bytes_parse_to_a_post_or_an_error_naming_the_file(data):
    check_parsed("random.md", data)


@settings(FAST, max_examples=3500)
@given(files())
def test_generated_json_yaml_and_toml_files_parse_to_a_post_or_an_error_naming_file_and_field_or_line(data):
    check_parsed("generated.md", data)


@settings(FAST, max_examples=1500)
@given(st.sampled_from(["json", "yaml", "toml"]), st.integers(0, 6000), st.sampled_from(["[", "{"]), bodies)
def test_deep_nesting_in_every_format_is_refused_by_depth_not_by_recursion(kind, depth, bracket, body):
    close = {"[": "]", "{": "}"}[bracket]
    inner = "1" if bracket == "[" else ""
    if kind == "yaml" and bracket == "{":
        deep = "{a: " * depth + "1" + "}" * depth
    elif bracket == "{":
        key = '"a": ' if kind == "json" else "a = "
        deep = ("{" + key) * depth + "1" + close * depth
    else:
        deep = bracket * depth + inner + close * depth
    head = {
        "json": '{"title": "x", "date": "2024-01-01", "deep": %s}\n\n',
        "yaml": "---\ntitle: x\ndate: 2024-01-01\ndeep: %s\n---\n\n",
        "toml": '+++\ntitle = "x"\ndate = "2024-01-01"\ndeep = %s\n+++\n\n',
    }[kind]
    result = check_parsed("deep.md", (head % deep + body.replace("\x00", "")).encode())
    if depth > 40:
        assert isinstance(result, DumpError) and result.field == "deep", result


# --- Archives ------------------------------------------------------------------------------------

LIMIT = 4096  # the file size limit, lowered so that going over it is cheap

entry_names = st.sampled_from(
    [
        "post.md",
        "a/post.md",
        "../escape.md",
        "../../etc/x.md",
        "/abs.md",
        "C:\\win.md",
        "a/../../b.md",
        "./post.md",
        "__MACOSX/._post.md",
        "dup.md",
        "dup.md",
        "nested.zip.md",
        "é–µ/ünï.md",
    ]
) | st.text(min_size=1, max_size=30).map(lambda name: name + ".md")
entry_kinds = st.sampled_from(
    ["file", "file", "file", "symlink", "hardlink", "directory", "fifo", "nested archive", "huge"]
)


@st.composite
def archives(draw, tmp: Path) -> Path:
    entries = draw(
        st.lists(st.tuples(entry_names, entry_kinds, files() | st.binary(max_size=200)), min_size=1, max_size=6)
    )
    kind = draw(st.sampled_from(["zip", "tar.gz"]))
    path = tmp / f"dump.{kind}"
    if kind == "zip":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, entry, data in entries:
                info = zipfile.ZipInfo(name)
                if entry == "symlink":
                    info.external_attr = (stat.S_IFLNK | 0o777) << 16
                    data = b"/etc/passwd"
                elif entry == "nested archive":
                    data = _zip_of(data)
                elif entry == "huge":
                    data = b"x" * (LIMIT + 1)
                archive.writestr(info, data)
    else:
        with tarfile.open(path, "w:gz", compresslevel=1) as archive:
            for name, entry, data in entries:
                info = tarfile.TarInfo(name)
                if entry in ("symlink", "hardlink"):
                    info.type = tarfile.SYMTYPE if entry == "symlink" else tarfile.LNKTYPE
                    info.linkname = "/etc/passwd"
                    archive.addfile(info)
                    continue
                if entry in ("directory", "fifo"):
                    info.type = tarfile.DIRTYPE if entry == "directory" else tarfile.FIFOTYPE
                    archive.addfile(info)
                    continue
                if entry == "nested archive":
                    data = _zip_of(data)
                if entry == "huge":
                    data = b"x" * (LIMIT + 1)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    if draw(st.integers(0, 5)) == 0:  # a truncated or damaged archive
        raw = path.read_bytes()
        at = len(raw) * draw(st.integers(0, 100)) // 100  # gzip headers hold the time: sizes vary
        path.write_bytes(raw[:at] + draw(st.binary(max_size=8)))
    return path


def _zip_of(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("inner.md", data)
    return buffer.getvalue()


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_hostile_archives_yield_files_or_errors_naming_their_entries_and_nothing_is_written(tmp_path):
    outside = set(tmp_path.parent.iterdir())

    @settings(FAST, max_examples=1000)
    @given(st.data())
    def check(data):
        path = data.draw(archives(tmp_path))
        try:
            for dump_file in iter_dump(path, max_file_size=LIMIT):
                if dump_file.error:
                    assert dump_file.error.name == dump_file.name and dump_file.name in str(dump_file.error)
                else:
                    check_parsed(dump_file.name, dump_file.data)
        except DumpError as error:
            assert error.name == str(path)

    check()
    assert set(tmp_path.parent.iterdir()) == outside
    assert sorted(p.name for p in tmp_path.iterdir()) in (["dump.tar.gz"], ["dump.zip"], ["dump.tar.gz", "dump.zip"])


# --- Through the loader ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_generated_file_that_fails_in_the_loader_leaves_every_table_as_it_was(tmp_path):
    base = tmp_path / "base"
    base.mkdir()
    for n, slug in enumerate(["kept", "other"], start=1):
        meta = {
            "title": slug.title(),
            "slug": slug,
            "date": "2024-01-01",
            "tiki_page_id": n,
            "tags": ["Vitamin D"],
            "categories": ["Top news"],
            "aliases": [f"/{slug}+old"],
        }
        (base / f"{slug}.md").write_text(json.dumps(meta) + "\n\nBody of " + slug + "\n")
    import_dump(base)
    dump = tmp_path / "dump"
    dump.mkdir()
    examples = {"failed": 0, "written": 0}

    @settings(FAST, max_examples=300, suppress_health_check=list(HealthCheck))
    @given(files(), st.sampled_from(["new.md", "kept.md", "other.md"]))
    def check(data, name):
        with transaction.atomic():
            for old in dump.iterdir():
                old.unlink()
            (dump / name).write_bytes(data)
            before = fingerprint()
            report = import_dump(dump, workers=1)
            assert not report.aborted, report.aborted
            if report.failed:
                examples["failed"] += 1
                (failure,) = report.failed
                assert failure["file"] == name and (
                    failure["field"] or failure["line"] or failure["message"].endswith(FILE_LEVEL_ERRORS)
                ), failure
                assert fingerprint() == before
            else:
                examples["written"] += 1
            transaction.set_rollback(True)

    check()
    assert examples["failed"] > 50 and examples["written"] > 10, examples
