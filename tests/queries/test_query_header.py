"""The ``#+`` header parser and the registry's refusals (file and line named)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from mipex_kg.api.query_header import HeaderError, parse_header, strip_lines
from mipex_kg.api.query_registry import QueryRegistry, parse_query, sparql_term

GOOD = """#+ summary: Scores of one year
#+ description: |
#+   Two lines
#+   of text.
#+ tags: [scores, "a, b"]
#+ pagination: 50
#+ params:
#+   year:
#+     type: year
#+     description: The year.
#+     example: 2019
#+ columns:
#+   obs: iri The observation.
#+   score: decimal The score.
SELECT ?obs ?score WHERE {
  #@bind ?year
  ?obs mkg:refPeriod/mkg:year ?year ; mkg:score ?score .
} ORDER BY ?obs
"""


def test_a_good_header_gives_every_part() -> None:
    query = parse_query("good.rq", GOOD)
    assert query.name == "good"
    assert query.summary == "Scores of one year"
    assert query.description == "Two lines\nof text."
    assert query.tags == ("scores", "a, b")
    assert query.pagination == 50
    assert list(query.params) == ["year"] and query.params["year"].example == "2019"
    assert [c.type for c in query.columns.values()] == ["iri", "decimal"]
    assert not query.substituted


def test_grlc_style_lists_and_folded_text_are_read() -> None:
    header, count = parse_header([
        "#+ summary: x", "#+ description: >", "#+   one", "#+   two", "#+ tags:",
        "#+   - recompute", "#+ params:", "#+   - name: rule", "#+     type: iri",
        "SELECT ?rule WHERE {}"], "g.rq")
    assert count == 9
    assert strip_lines(header) == {"summary": "x", "description": "one two",
                                   "tags": ["recompute"],
                                   "params": [{"name": "rule", "type": "iri"}]}


def test_yaml_1_1_surprises_stay_text() -> None:
    header, _ = parse_header(["#+ a: no", "#+ b: 1.5", "#+ c: 2019-01-01", "#+ d: -3",
                              "#+ e: true", "#+ f: 'quoted: yes'"], "s.rq")
    assert strip_lines(header) == {"a": "no", "b": "1.5", "c": "2019-01-01", "d": -3,
                                   "e": True, "f": "quoted: yes"}


def test_a_projected_parameter_without_marker_is_substituted() -> None:
    text = "#+ summary: s\n#+ description: d\n#+ params:\n#+   - name: rule\n#+     type: iri\n" \
           "SELECT ?rule ?x WHERE { ?rule ?p ?x }\n"
    query = parse_query("sub.rq", text)
    assert query.substituted == {"rule"}
    assert list(query.columns) == ["rule", "x"]
    bound = {"rule": [ox.NamedNode("https://example.org/r")]}
    assert query.substitutions(bound) == {ox.Variable("rule"): ox.NamedNode("https://example.org/r")}


@pytest.mark.parametrize(("text", "line", "message"), [
    ("SELECT * {}\n", 1, "no '#+' header"),
    ("#+ summary: s\n#+ description: d\n#+ colums:\n#+   x: iri X\nSELECT ?x {}\n", 3,
     "unknown header key 'colums'"),
    ("#+ summary: s\n#+ description: d\n#+ columns:\n#+   x: iri X\n#+  y: iri Y\n"
     "SELECT ?x {}\n", 5, "not valid YAML"),
    ("#+ summary: s\n#+ description: the key: value\nSELECT ?x {}\n", 2, "not valid YAML"),
    ("#+ summary: s\n#+ description:\nSELECT ?x {}\n", 2, "'description' has no value"),
    ("#+ summary: s\n#+ description: d\n#+ columns:\n#+   x: text X\nSELECT ?x {}\n", 4,
     "column 'x'"),
    ("#+ summary: s\n#+ description: d\n#+ params:\n#+   y:\n#+     type: yaer\n"
     "#+     description: d\n#+ columns:\n#+   x: iri X\nSELECT ?x {}\n", 5, "unknown type 'yaer'"),
    ("#+ summary: s\n#+ description: d\n#+ params:\n#+   y:\n#+     type: year\n"
     "#+     description: d\n#+     example: 20x9\n#+ columns:\n#+   x: iri X\nSELECT ?x {}\n",
     7, "not a year"),
    ("#+ summary: s\n#+ description: d\n#+ params:\n#+   y:\n#+     type: year\n"
     "#+     description: d\n#+ columns:\n#+   x: iri X\nSELECT ?x { ?x ?p ?y }\n", 9,
     "needs a '#@bind ?y' marker"),
    ("#+ summary: s\n#+ description: d\n#+ columns:\n#+   x: iri X\n"
     "SELECT ?x {\n  #@bind ?z\n}\n", 6, "names no declared parameter"),
    ("#+ summary: s\n#+ description: d\n#+ columns:\n#+   y: iri Y\nSELECT ?x { }\n", 5,
     "the query selects ['x']"),
    ("#+ summary: s\n#+ description: d\n#+ pagination: 10\n#+ columns:\n#+   x: iri X\n"
     "SELECT ?x { }\n", 6, "needs ORDER BY"),
    ("#+ summary: s\n#+ description: d\n#+ columns:\n#+   x: iri X\nSELECT ?x { ?x\n", 5,
     "does not parse"),
    ("#+ summary: s\n#+ summary: t\n", 2, "duplicate key"),
    ("#+summary: s\n", 1, "must start with '#+ '"),
])
def test_a_malformed_file_is_refused_naming_file_and_line(text: str, line: int,
                                                          message: str) -> None:
    with pytest.raises(HeaderError) as caught:
        parse_query("bad.rq", text)
    assert caught.value.file == "bad.rq"
    assert caught.value.line == line
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"bad.rq, line {line}: ")


def test_binding_writes_bind_for_one_value_and_values_for_several() -> None:
    query = parse_query("good.rq", GOOD)
    one = query.bind({"year": [ox.Literal(2019)]})
    assert "  VALUES ?year { 2019 }" in one and "#@bind" not in one
    many = query.bind({"year": [ox.Literal(2014), ox.Literal(2019)]})
    assert "VALUES ?year { 2014 2019 }" in many
    assert "?year" in query.bind({"year": None}) and "BIND" not in query.bind({"year": None})


@pytest.mark.parametrize("term", [
    ox.Literal('x" } DROP ALL #'), ox.Literal("a\\u0022b"), ox.Literal("line\nbreak"),
    ox.Literal("x", language="en"), ox.Literal("1.5e3", datatype=ox.NamedNode(
        "http://www.w3.org/2001/XMLSchema#double")), ox.BlankNode("b1"),
])
def test_only_safe_terms_are_ever_written_into_sparql(term: object) -> None:
    with pytest.raises(ValueError, match="refusing"):
        sparql_term(term)  # type: ignore[arg-type]


def test_safe_terms_are_written_in_sparql_syntax() -> None:
    assert sparql_term(ox.Literal("Sweden")) == '"Sweden"'
    assert sparql_term(ox.Literal(-3)) == "-3"
    assert sparql_term(ox.NamedNode("https://w3id.org/mipex-kg/id/country/SWE")) == \
        "<https://w3id.org/mipex-kg/id/country/SWE>"


def test_the_service_refuses_to_start_on_a_malformed_query(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mipex_kg.api.app import create_app
    from mipex_kg.api.query_registry import QueryRegistry
    from mipex_kg.graph.store import KnowledgeStore
    from mipex_kg.settings import Settings

    (tmp_path / "fine.rq").write_text(GOOD, encoding="utf-8")
    (tmp_path / "broken.rq").write_text(GOOD.replace("#+     type: year", "#+     type: yr"),
                                        encoding="utf-8")
    monkeypatch.setattr(QueryRegistry, "load", classmethod(
        lambda cls, package="": cls.from_directory(tmp_path)))
    with pytest.raises(HeaderError, match=r"^broken\.rq, line 9: unknown type 'yr'"):
        create_app(Settings(store=None), KnowledgeStore())


#: GOOD's SPARQL, written another way (for an engine that evaluates GOOD's wrongly).
ENGINE_TEXT = """# Same rows, another shape.
SELECT ?obs ?score WHERE {
  #@bind ?year
  ?obs mkg:refPeriod ?period ; mkg:score ?score .
  ?period mkg:year ?year .
} ORDER BY ?obs
"""


def registry_with(tmp_path: Path, engine_text: str, name: str = "good.rq") -> QueryRegistry:
    """A registry read from a folder holding GOOD and one Virtuoso text."""
    tmp_path.mkdir(exist_ok=True)

    (tmp_path / "good.rq").write_text(GOOD, encoding="utf-8")
    (tmp_path / "engines" / "virtuoso").mkdir(parents=True)
    (tmp_path / "engines" / "virtuoso" / name).write_text(engine_text, encoding="utf-8")
    return QueryRegistry.from_directory(tmp_path)


def test_an_engine_text_runs_only_on_its_engine(tmp_path: Path) -> None:
    from mipex_kg.graph.store import KnowledgeStore

    query = registry_with(tmp_path / "q", ENGINE_TEXT)["good"]
    assert list(query.engine_texts) == ["virtuoso"]
    year = {"year": [ox.Literal(2019)]}
    assert "?period mkg:year" in query.bind(year, "virtuoso")
    assert "VALUES ?year { 2019 }" in query.bind(year, "virtuoso")
    assert query.bind(year, "oxigraph") == query.bind(year) == query.bind(year, "fuseki")
    assert "?period" not in query.bind(year)
    store = KnowledgeStore()
    registry = registry_with(tmp_path / "r", ENGINE_TEXT)
    assert "?period" not in registry.prepare(store, "good", year).sparql
    store.engine_name = "virtuoso"
    assert "?period" in registry.prepare(store, "good", year).sparql


@pytest.mark.parametrize(("name", "text", "message"), [
    ("other.rq", ENGINE_TEXT, r"^engines/virtuoso/other\.rq, line 1: .*shared query"),
    ("good.rq", "#+ summary: x\n" + ENGINE_TEXT, r"takes no '#\+' header"),
    ("good.rq", ENGINE_TEXT.replace("SELECT ?obs ?score", "SELECT ?score ?obs"),
     r"selects \['score', 'obs'\].*columns \['obs', 'score'\]"),
    ("good.rq", ENGINE_TEXT.replace("  #@bind ?year\n", ""), r"no '#@bind' marker for \['\?year'\]"),
    ("good.rq", ENGINE_TEXT.replace("#@bind ?year", "#@bind ?year ?score"),
     r"markers name \['\?score'\], no parameter"),
    ("good.rq", ENGINE_TEXT.replace("} ORDER BY ?obs", "}"), "needs ORDER BY"),
    ("good.rq", ENGINE_TEXT.replace("?score .", "?score"), "does not parse"),
    ("good.rq", "ASK { ?s ?p ?o }", "must be a SELECT"),
])
def test_an_engine_text_that_does_not_fit_its_header_is_refused(
        tmp_path: Path, name: str, text: str, message: str) -> None:
    with pytest.raises(HeaderError, match=message):
        registry_with(tmp_path, text, name)


def test_the_server_header_names_the_engine() -> None:
    from mipex_kg.graph.remote_store import engine_of

    assert engine_of("Virtuoso/07.20.3229 (Linux) x86_64-pc-linux-gnu  ") == "virtuoso"
    assert engine_of("Oxigraph/0.5.13") == "oxigraph"
    assert engine_of("") == ""


#: A query whose one parameter is substituted (selected, no marker).
SUBSTITUTED = """#+ summary: Scores of one year
#+ description: Its scores.
#+ params:
#+   year:
#+     type: year
#+     description: The year.
SELECT ?year ?score WHERE { ?obs mkg:refPeriod/mkg:year ?year ; mkg:score ?score . }
ORDER BY ?score
"""


def test_an_engine_text_may_bind_a_substituted_parameter_in_its_subqueries(
        tmp_path: Path) -> None:
    """An engine that does not carry the top-level VALUES of a substituted parameter into
    a subquery gets a text that binds it there by marker; on the embedded store the
    marker and the substitution give the shared text's rows."""
    from mipex_kg.graph.store import KnowledgeStore

    (tmp_path / "scores.rq").write_text(SUBSTITUTED, encoding="utf-8")
    (tmp_path / "engines" / "virtuoso").mkdir(parents=True)
    (tmp_path / "engines" / "virtuoso" / "scores.rq").write_text(
        "SELECT ?year ?score WHERE {\n  { SELECT ?year ?score WHERE {\n    #@bind ?year\n"
        "    ?obs mkg:refPeriod/mkg:year ?year ; mkg:score ?score . } }\n}\nORDER BY ?score\n",
        encoding="utf-8")
    registry = QueryRegistry.from_directory(tmp_path)
    store = KnowledgeStore()
    mkg = "https://w3id.org/mipex-kg/def#"
    for obs, year, score in (("a", 2019, 10), ("b", 2019, 20), ("c", 2020, 30)):
        subject, period = ox.NamedNode(f"urn:x:{obs}"), ox.NamedNode(f"urn:x:p{year}")
        store.oxigraph.add(ox.Quad(subject, ox.NamedNode(mkg + "refPeriod"), period,
                                   ox.NamedNode("urn:x:g")))
        store.oxigraph.add(ox.Quad(period, ox.NamedNode(mkg + "year"), ox.Literal(year),
                                   ox.NamedNode("urn:x:g")))
        store.oxigraph.add(ox.Quad(subject, ox.NamedNode(mkg + "score"), ox.Literal(score),
                                   ox.NamedNode("urn:x:g")))
    bound = {"year": [ox.Literal(2019)]}
    assert "VALUES ?year { 2019 }" in registry["scores"].bind(bound, "virtuoso")
    rows = {engine: [tuple(s) for s in registry.run(store, "scores", bound, engine=engine).solutions]
            for engine in ("oxigraph", "virtuoso")}
    assert rows["virtuoso"] == rows["oxigraph"]
    assert [score.value for _, score in rows["oxigraph"]] == ["10", "20"]
