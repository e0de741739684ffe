"""Front matter the way Hugo reads it: JSON, YAML or TOML at the top of a Markdown file.

The legacy dump writes a JSON object followed by a blank line; YAML between `---` lines and TOML
between `+++` lines occur in the wild too. Errors carry the line and column in the file, not in
the front matter block, so that an editor can jump straight to them.

A dump is not trusted: nesting deeper than `MAX_DEPTH` is refused before any parser recurses
into it, and so are YAML anchors and aliases (a few bytes of aliases expand to gigabytes).
"""

import json
import re
import tomllib
from collections.abc import Callable
from typing import Any

import yaml

MAX_DEPTH = 32  # lists and mappings inside each other; real front matter uses two or three

_JSON = json.JSONDecoder()
_YAML_PARSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_LEADING_BLANK_LINES = re.compile(r"(?:[ \t]*\n)*(?:[ \t]+\Z)?")
_REST_OF_LINE = re.compile(r"[ \t]*(?:\n|\Z)")
_SPACES = re.compile(r"[ \t]*")
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)")
# What can hold a bracket that is not one (strings, comments), the brackets, and the keys.
_JSON_TOKENS = re.compile(r'"(?P<key>(?:[^"\\]|\\.)*)"|[\[\]{}]')
_TOML_TOKENS = re.compile(
    r'^[ \t]*(?P<key>[A-Za-z0-9_.-]+|"[^"\n]*")[ \t]*=|"""(?:[^\\]|\\.)*?"""|\'\'\'.*?\'\'\'|"(?:[^"\\\n]|\\.)*"'
    r"|'[^'\n]*'|#[^\n]*|[\[\]{}]",
    re.DOTALL | re.MULTILINE,
)
_FENCES = {fence: re.compile(rf"^{re.escape(fence)}[ \t]*$", re.MULTILINE) for fence in ("---", "+++")}


class FrontMatterError(ValueError):
    """Front matter that cannot be read; `line` and `column` are 1-based positions in the file."""

    def __init__(self, message: str, line: int, column: int, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.field = field

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


def parse_front_matter(text: str) -> tuple[dict[str, Any], str, int]:
    """Split a Markdown file into (metadata, body, body_start_line).

    The body comes without the blank lines that separate it from the front matter;
    `body_start_line` is the 1-based line of the file where it begins.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    text = text.removeprefix("\ufeff")
    start = _LEADING_BLANK_LINES.match(text).end()
    line = text.count("\n", 0, start) + 1
    if text.startswith("{", start):
        return _parse_json(text, start, line)
    if text.startswith("[", start):
        _reject_json_array(text, start, line)
    end_of_line = text.find("\n", start)
    first_line = text[start : end_of_line if end_of_line != -1 else len(text)].rstrip()
    if first_line == "---":
        return _parse_fenced(text, start, line, "---", "YAML", _load_yaml)
    if first_line == "+++":
        return _parse_fenced(text, start, line, "+++", "TOML", _load_toml)
    raise FrontMatterError("no front matter (expected a JSON object, or YAML or TOML between fences)", line, 1)


def _parse_json(text: str, start: int, line: int) -> tuple[dict[str, Any], str, int]:
    metadata, end = _decode_json(text, start, line)
    _check_mapping(metadata, line)
    rest = _REST_OF_LINE.match(text, end)
    if rest is None:
        end_line, end_column = _position(text, _SPACES.match(text, end).end())
        raise FrontMatterError("unexpected text after the JSON front matter", end_line, end_column)
    return (metadata, *_body(text, rest.end()))


def _reject_json_array(text: str, start: int, line: int) -> None:
    # A body may well open with a Markdown link; only a whole JSON array is front matter (and wrong).
    try:
        value, _end = _decode_json(text, start, line)
    except FrontMatterError:
        return
    _check_mapping(value, line)


def _decode_json(text: str, start: int, line: int) -> tuple[Any, int]:
    _check_depth(text, start, _JSON_TOKENS, key_depth=1)
    try:
        return _JSON.raw_decode(text, start)
    except json.JSONDecodeError as error:
        raise FrontMatterError(f"invalid JSON front matter: {error.msg}", error.lineno, error.colno) from None
    except ValueError as error:  # an integer of more digits than Python converts
        raise FrontMatterError(f"invalid JSON front matter: {error}", line, 1) from None


def _parse_fenced(
    text: str, start: int, line: int, fence: str, kind: str, load: Callable[[str, int], Any]
) -> tuple[dict[str, Any], str, int]:
    newline = text.find("\n", start)
    closing = None if newline == -1 else _FENCES[fence].search(text, newline + 1)
    if closing is None:
        raise FrontMatterError(f"unterminated {kind} front matter (no closing {fence} line)", line, 1)
    metadata = load(text[newline + 1 : closing.start()], line + 1)
    if metadata is None:
        metadata = {}
    _check_mapping(metadata, line)
    return (metadata, *_body(text, closing.end()))


class _Loader(_YAML_PARSER):
    """The safe loader, where a value its tag cannot make (`2024-02-30`, `!!int x`) is a YAML error."""

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, AttributeError, OverflowError) as error:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {node.value!r} as {node.tag} ({error})", node.start_mark
            ) from None


def _check_yaml_events(block: str) -> None:
    """Refuse anchors, aliases and deep nesting from the parser's events, before composing;
    the error names the top-level key it happened under."""
    depth, field, key_next = 0, None, False
    for event in yaml.parse(block, Loader=_YAML_PARSER):
        if depth == 1 and not isinstance(event, yaml.CollectionEndEvent):
            if key_next and isinstance(event, yaml.ScalarEvent):
                field = event.value
            key_next = not key_next
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _YAMLFieldError(field, "anchors and aliases (&name, *name) are not accepted", event.start_mark)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            key_next = key_next or (depth == 1 and isinstance(event, yaml.MappingStartEvent))
            if depth > MAX_DEPTH:
                raise _YAMLFieldError(field, _too_deep(), event.start_mark)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


class _YAMLFieldError(yaml.MarkedYAMLError):
    def __init__(self, field: str | None, problem: str, mark) -> None:
        super().__init__(problem=problem, problem_mark=mark)
        self.field = field


def _load_yaml(block: str, first_line: int) -> Any:
    try:
        _check_yaml_events(block)
        return yaml.load(block, Loader=_Loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        line, column = (first_line + mark.line, mark.column + 1) if mark else (first_line - 1, 1)
        field = getattr(error, "field", None) or (_yaml_key_at(block, mark) if mark else None)
        raise FrontMatterError(f"invalid YAML front matter: {problem}", line, column, field) from None


def _yaml_key_at(block: str, mark) -> str | None:
    """The top-level key whose value holds `mark`, for an error found in making a value."""
    try:
        root = yaml.compose(block, Loader=_YAML_PARSER)
    except yaml.YAMLError:
        return None
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.start_mark.index <= mark.index <= value.end_mark.index and isinstance(key, yaml.ScalarNode):
                return key.value
    return None


def _load_toml(block: str, first_line: int) -> dict[str, Any]:
    try:
        _check_depth(block, 0, _TOML_TOKENS, key_depth=0)
    except FrontMatterError as error:
        raise FrontMatterError(error.message, first_line + error.line - 1, error.column, error.field) from None
    try:
        return tomllib.loads(block)
    except ValueError as error:  # an integer of more digits than Python converts
        if not isinstance(error, tomllib.TOMLDecodeError):
            raise FrontMatterError(f"invalid TOML front matter: {error}", first_line, 1) from None
        message = str(error)
        # Python 3.11 only reports the position inside the message text.
        position = _TOML_POSITION.search(message)
        if position:
            line, column = first_line + int(position[1]) - 1, int(position[2])
            message = message[: position.start()] + message[position.end() :]
        else:
            line, column = first_line + block.count("\n"), 1
        raise FrontMatterError(f"invalid TOML front matter: {message}", line, column) from None


def _check_depth(text: str, start: int, tokens: re.Pattern, *, key_depth: int) -> None:
    """Count brackets outside strings and comments, up to the end of a JSON value (key_depth 1)
    or of the text (TOML, key_depth 0), naming the field (the last key at `key_depth`)."""
    depth, field = 0, None
    for token in tokens.finditer(text, start):
        value = token[0]
        if value in ("[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                raise FrontMatterError(_too_deep(), *_position(text, token.start()), field=field)
        elif value in ("]", "}"):
            depth -= 1
            if key_depth and depth <= 0:
                return
        elif token["key"] is not None and depth == key_depth:
            field = token["key"].strip('"')


def _too_deep() -> str:
    return f"lists and mappings nested more than {MAX_DEPTH} levels deep"


def _check_mapping(metadata: Any, line: int) -> None:
    if not isinstance(metadata, dict):
        raise FrontMatterError(f"front matter is not a mapping of fields (got {type(metadata).__name__})", line, 1)


def _body(text: str, position: int) -> tuple[str, int]:
    position = _LEADING_BLANK_LINES.match(text, position).end()
    return text[position:], text.count("\n", 0, position) + 1


def _position(text: str, offset: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1
