"""The ``#+`` header of a named query: a small, strict subset of YAML.

A named query (``queries/<name>.rq``) opens with lines that start with ``#+``, in
the spirit of grlc::

    #+ summary: Scores of jurisdictions, filtered
    #+ description: |
    #+   Free text over several lines.
    #+ tags: [scores]
    #+ pagination: 100
    #+ params:
    #+   year:
    #+     type: year
    #+     description: Reference year.
    #+     example: 2019
    #+ columns:
    #+   score: decimal The score, 0 to 100.

Understood: mappings and block lists (``- item``, ``- key: value``) indented by two
spaces, ``|`` (literal) and ``>`` (folded) blocks of text, flow lists (``[a, b]``),
quoted strings, integers and ``true``/``false``. Anything else is a
``HeaderError`` naming the file and line, so a typo stops the service at start-up
instead of being ignored.

>>> strip_lines(parse_header(["#+ summary: Hi", "#+ tags: [a, b]", "SELECT * {}"], "x.rq")[0])
{'summary': 'Hi', 'tags': ['a', 'b']}
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

_KEY = re.compile(r"^(?P<key>[A-Za-z_][\w-]*):(?:\s+(?P<value>.*?))?\s*$")
Lines = list[tuple[int, str]]


class HeaderError(ValueError):
    """A malformed named-query header; the message names the file and the line."""

    def __init__(self, file: str, line: int, message: str) -> None:
        super().__init__(f"{file}, line {line}: {message}")
        self.file, self.line, self.message = file, line, message


def parse_scalar(text: str) -> Any:
    """A scalar or flow list: ``[a, b]``, ``"quoted"``, ``12``, ``true``, or plain text.

    >>> parse_scalar('[2019, "a, b", x]')
    [2019, 'a, b', 'x']
    """
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        inner = text[1:-1].strip()
        return [parse_scalar(item) for item in _split_flow(inner)] if inner else []
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text


def _split_flow(inner: str) -> list[str]:
    items, current, quote = [], "", ""
    for char in inner:
        if quote:
            current += char
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote, current = char, current + char
        elif char == ",":
            items.append(current)
            current = ""
        else:
            current += char
    items.append(current)
    return items


def parse_header(lines: Sequence[str], file: str) -> tuple[dict[str, Any], int]:
    """The header of a query file as nested dicts and lists, and its number of lines.

    Args:
        lines: the file's lines; the header is the leading run of ``#+`` lines.
        file: the file name, for error messages.

    Returns:
        (mapping, count of header lines). Every mapping keeps the line number of
        each key under ``"__lines__"``, for later error messages.

    Raises:
        HeaderError: indentation, syntax or duplicate keys, with file and line.
    """
    body: Lines = []
    for number, line in enumerate(lines, 1):
        if not line.startswith("#+"):
            break
        text = line[2:]
        if text.strip() and not text.startswith(" "):
            raise HeaderError(file, number, "a header line must start with '#+ ' (a space)")
        if text.strip():
            body.append((number, text[1:].rstrip()))
        else:
            body.append((number, ""))
    parser = _Parser(body, file)
    mapping = parser.mapping(0)
    parser.expect_end()
    return mapping, len(body)


class _Parser:
    """Recursive descent over indented lines."""

    def __init__(self, lines: Lines, file: str) -> None:
        self.lines, self.file, self.pos = lines, file, 0

    def error(self, number: int, message: str) -> HeaderError:
        return HeaderError(self.file, number, message)

    def peek(self) -> tuple[int, int, str] | None:
        """The next non-blank line: (number, indent, stripped text)."""
        while self.pos < len(self.lines) and not self.lines[self.pos][1].strip():
            self.pos += 1
        if self.pos == len(self.lines):
            return None
        number, text = self.lines[self.pos]
        lead = text[: len(text) - len(text.lstrip())]
        if "\t" in lead:
            raise self.error(number, "tabs are not allowed; indent with two spaces")
        if len(lead) % 2:
            raise self.error(number, "indent with a multiple of two spaces")
        return number, len(lead), text.strip()

    def expect_end(self) -> None:
        line = self.peek()
        if line is not None:
            raise self.error(line[0], "unexpected indentation")

    def mapping(self, indent: int, first: tuple[int, str] | None = None) -> dict[str, Any]:
        """Keys at ``indent``; ``first`` is a key already read after a ``- ``."""
        result: dict[str, Any] = {"__lines__": {}}
        pending = first
        while True:
            if pending is not None:
                number, text = pending
                pending = None
            else:
                line = self.peek()
                if line is None or line[1] < indent:
                    break
                number, width, text = line
                if width > indent:
                    raise self.error(number, "unexpected indentation")
                if text.startswith("- "):
                    raise self.error(number, "a list item where a 'key: value' was expected")
                self.pos += 1
            match = _KEY.match(text)
            if not match:
                raise self.error(number, f"expected 'key: value', got {text!r}")
            key, value = match["key"], match["value"]
            if key in result:
                raise self.error(number, f"duplicate key {key!r}")
            result["__lines__"][key] = number
            result[key] = self.value(value, indent, number, key)
        if len(result) == 1:
            return {}
        return result

    def value(self, value: str | None, indent: int, number: int, key: str) -> Any:
        if value in ("|", ">"):
            return self.text(indent + 2, folded=value == ">")
        if value:
            return parse_scalar(value)
        line = self.peek()
        if line is None or line[1] <= indent:
            raise self.error(number, f"{key!r} has no value")
        if line[2].startswith("- ") or line[2] == "-":
            return self.sequence(line[1])
        return self.mapping(indent + 2)

    def sequence(self, indent: int) -> list[Any]:
        items: list[Any] = []
        while True:
            line = self.peek()
            if line is None or line[1] < indent:
                return items
            number, width, text = line
            if width > indent or not text.startswith("-"):
                raise self.error(number, "expected a list item '- ...'")
            self.pos += 1
            item = text[1:].strip()
            if _KEY.match(item):
                items.append(self.mapping(indent + 2, first=(number, item)))
            elif item:
                items.append(parse_scalar(item))
            else:
                raise self.error(number, "empty list item")

    def text(self, indent: int, folded: bool) -> str:
        taken: list[str] = []
        while self.pos < len(self.lines):
            text = self.lines[self.pos][1]
            if text.strip() and len(text) - len(text.lstrip()) < indent:
                break
            taken.append(text[indent:])
            self.pos += 1
        if not folded:
            return "\n".join(taken).strip()
        paragraphs = "\n".join(taken).strip().split("\n\n")
        return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def strip_lines(value: Any) -> Any:
    """A copy of a parsed header without the ``__lines__`` bookkeeping."""
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items() if k != "__lines__"}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value
