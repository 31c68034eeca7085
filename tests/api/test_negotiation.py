"""Accept headers (RFC 9110 §12.5.1) and the choice of a response format."""

from __future__ import annotations

import pytest

from mipex_kg.api.errors import NotAcceptable
from mipex_kg.api.formats import choose
from mipex_kg.api.negotiation import negotiate, parse_accept, quality

RDF = ["text/turtle", "application/n-triples", "application/ld+json"]


@pytest.mark.parametrize(("accept", "expected"), [
    (None, "text/turtle"),
    ("", "text/turtle"),
    ("*/*", "text/turtle"),
    ("application/ld+json", "application/ld+json"),
    ("application/n-triples;q=0.9, application/ld+json;q=0.8", "application/n-triples"),
    ("*/*;q=0.1, application/ld+json", "application/ld+json"),
    ("text/*;q=0.2, */*;q=0.5", "application/n-triples"),  # */* outranks text/* here
    ("TEXT/Turtle", "text/turtle"),
    ("text/turtle; charset=utf-8; q=0.5, application/n-triples; q=0.4", "text/turtle"),
    ("text/turtle;q=0, */*", "application/n-triples"),  # an explicit refusal
    ("text/html", None),
    ("*/*;q=0", None),
    ("garbage, ,/,*/json, application/ld+json", "application/ld+json"),
])
def test_negotiate(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept, RDF) == expected


def test_the_most_specific_range_sets_the_quality() -> None:
    ranges = parse_accept("text/*;q=0.3, text/turtle;q=0.7, */*;q=0.1")
    assert quality(ranges, "text/turtle") == 0.7
    assert quality(ranges, "text/csv") == 0.3
    assert quality(ranges, "application/json") == 0.1


def test_malformed_q_values_count_as_zero() -> None:
    assert quality(parse_accept("text/turtle;q=abc"), "text/turtle") == 0.0
    assert quality(parse_accept("text/turtle;q=7"), "text/turtle") == 1.0


@pytest.mark.parametrize(("family", "values", "expected"), [
    ("results", ["json"], "application/sparql-results+json"),
    ("results", ["srx"], "application/sparql-results+xml"),
    ("results", ["nonsense", "csv"], "text/csv"),  # the first usable value counts
    ("results", ["tsv", "text/tab-separated-values"], "text/tab-separated-values"),
    ("rdf", ["json-ld", "application/ld+json,application/x-json+ld"], "application/ld+json"),
    ("rdf", ["xml"], "application/rdf+xml"),
    ("rdf", ["rdf+xml"], "application/rdf+xml"),
    ("rdf", ["TTL"], "text/turtle"),
    ("rdf", ["application/n-triples"], "application/n-triples"),
])
def test_format_values(family: str, values: list[str], expected: str) -> None:
    assert choose(family, "text/html", values).media_type == expected  # type: ignore[arg-type]


def test_an_unknown_format_value_is_not_acceptable() -> None:
    with pytest.raises(NotAcceptable, match="json, xml, csv, tsv"):
        choose("results", None, ["turtle"])
