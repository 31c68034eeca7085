"""The ``#+`` header of a named query: YAML, read with PyYAML.

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

Without their ``#+ `` the lines are a YAML document (a mapping). Scalars are read
by a narrow schema: integers, ``true``/``false`` and empty values are typed,
everything else is text (so ``no``, ``1.5`` or ``2019-01-01`` stay as written, not
YAML 1.1's boolean, float and date). A syntax error, a duplicate key or a line
without the space after ``#+`` is a ``HeaderError`` naming the file and line, so a
typo stops the service at start-up instead of being ignored.

>>> strip_lines(parse_header(["#+ summary: Hi", "#+ tags: [a, b]", "SELECT * {}"], "x.rq")[0])
{'summary': 'Hi', 'tags': ['a', 'b']}
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import yaml


class HeaderError(ValueError):
    """A malformed named-query header; the message names the file and the line."""

    def __init__(self, file: str, line: int, message: str) -> None:
        super().__init__(f"{file}, line {line}: {message}")
        self.file, self.line, self.message = file, line, message


class _HeaderLoader(yaml.SafeLoader):
    """PyYAML's safe loader with a narrow schema: int, true/false, empty; the rest text."""

    yaml_implicit_resolvers: dict[Any, Any] = {}


_HeaderLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^-?[0-9]+$"), list("-0123456789"))
_HeaderLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))
_HeaderLoader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^$"), [""])


def parse_scalar(text: str) -> Any:
    """One value as a header would read it: ``[a, b]``, ``"quoted"``, ``12``, ``true``, text.

    >>> parse_scalar('[2019, "a, b", x]')
    [2019, 'a, b', 'x']
    """
    return yaml.load(text, Loader=_HeaderLoader)  # noqa: S506 - a safe loader


def parse_header(lines: Sequence[str], file: str) -> tuple[dict[str, Any], int]:
    """The header of a query file as nested dicts and lists, and its number of lines.

    Args:
        lines: the file's lines; the header is the leading run of ``#+`` lines.
        file: the file name, for error messages.

    Returns:
        (mapping, count of header lines). Every mapping keeps the line number of
        each key under ``"__lines__"``, for later error messages.

    Raises:
        HeaderError: a YAML error, a duplicate key, a header that is not a mapping or
            a line without the space after ``#+``, with file and line.
    """
    body: list[str] = []
    for number, line in enumerate(lines, 1):
        if not line.startswith("#+"):
            break
        text = line[2:]
        if text.strip() and not text.startswith(" "):
            raise HeaderError(file, number, "a header line must start with '#+ ' (a space)")
        body.append(text[1:].rstrip() if text.strip() else "")
    loader = _HeaderLoader("\n".join(body))
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise HeaderError(file, mark.line + 1 if mark is not None else 1,
                          f"not valid YAML: {error.problem or error}") from None
    finally:
        loader.dispose()
    if node is None:
        return {}, len(body)
    if not isinstance(node, yaml.MappingNode):
        raise HeaderError(file, node.start_mark.line + 1, "the header must be 'key: value' lines")
    return _value(loader, node, file), len(body)


def _value(loader: _HeaderLoader, node: yaml.Node, file: str) -> Any:
    """The Python value of a composed node; mappings get their keys' line numbers."""
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {"__lines__": {}}
        for key_node, value_node in node.value:
            key = str(loader.construct_object(key_node))
            line = key_node.start_mark.line + 1
            if key in result:
                raise HeaderError(file, line, f"duplicate key {key!r}")
            result["__lines__"][key] = line
            value = _value(loader, value_node, file)
            if value is None:
                raise HeaderError(file, line, f"{key!r} has no value")
            result[key] = value
        return result if len(result) > 1 else {}
    if isinstance(node, yaml.SequenceNode):
        return [_value(loader, item, file) for item in node.value]
    value = loader.construct_object(node)
    if isinstance(value, str) and isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        return value.strip()
    return value


def strip_lines(value: Any) -> Any:
    """A copy of a parsed header without the ``__lines__`` bookkeeping."""
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items() if k != "__lines__"}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value
