"""Front matter the way Hugo reads it: JSON, YAML or TOML at the top of a Markdown file.

The legacy dump writes a JSON object followed by a blank line; YAML between `---` lines and TOML
between `+++` lines occur in the wild too. Errors carry the line and column in the file, not in
the front matter block, so that an editor can jump straight to them.
"""

import json
import re
import tomllib
from collections.abc import Callable
from typing import Any

import yaml

_JSON = json.JSONDecoder()
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_LEADING_BLANK_LINES = re.compile(r"(?:[ \t]*\n)*(?:[ \t]+\Z)?")
_REST_OF_LINE = re.compile(r"[ \t]*(?:\n|\Z)")
_SPACES = re.compile(r"[ \t]*")
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)")
_FENCES = {fence: re.compile(rf"^{re.escape(fence)}[ \t]*$", re.MULTILINE) for fence in ("---", "+++")}


class FrontMatterError(ValueError):
    """Front matter that cannot be read; `line` and `column` are 1-based positions in the file."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

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
    try:
        metadata, end = _JSON.raw_decode(text, start)
    except json.JSONDecodeError as error:
        raise FrontMatterError(f"invalid JSON front matter: {error.msg}", error.lineno, error.colno) from None
    _check_mapping(metadata, line)
    rest = _REST_OF_LINE.match(text, end)
    if rest is None:
        end_line, end_column = _position(text, _SPACES.match(text, end).end())
        raise FrontMatterError("unexpected text after the JSON front matter", end_line, end_column)
    return (metadata, *_body(text, rest.end()))


def _reject_json_array(text: str, start: int, line: int) -> None:
    # A body may well open with a Markdown link; only a whole JSON array is front matter (and wrong).
    try:
        value, _end = _JSON.raw_decode(text, start)
    except json.JSONDecodeError:
        return
    _check_mapping(value, line)


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


def _load_yaml(block: str, first_line: int) -> Any:
    try:
        return yaml.load(block, Loader=_YAML_LOADER)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        line, column = (first_line + mark.line, mark.column + 1) if mark else (first_line - 1, 1)
        raise FrontMatterError(f"invalid YAML front matter: {problem}", line, column) from None


def _load_toml(block: str, first_line: int) -> dict[str, Any]:
    try:
        return tomllib.loads(block)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        # Python 3.11 only reports the position inside the message text.
        position = _TOML_POSITION.search(message)
        if position:
            line, column = first_line + int(position[1]) - 1, int(position[2])
            message = message[: position.start()] + message[position.end() :]
        else:
            line, column = first_line + block.count("\n"), 1
        raise FrontMatterError(f"invalid TOML front matter: {message}", line, column) from None


def _check_mapping(metadata: Any, line: int) -> None:
    if not isinstance(metadata, dict):
        raise FrontMatterError(f"front matter is not a mapping of fields (got {type(metadata).__name__})", line, 1)


def _body(text: str, position: int) -> tuple[str, int]:
    position = _LEADING_BLANK_LINES.match(text, position).end()
    return text[position:], text.count("\n", 0, position) + 1


def _position(text: str, offset: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1
