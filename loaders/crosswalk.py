"""A crosswalk between two indicator systems, decided from their questions and answers.

The MIPEX 2015 instrument (``system/mipex-2015``) and the 2020 one (``system/mipex``)
ask many of the same questions, reworded, merged or split. For every concept of the
earlier system this module finds the concept of the later one whose texts are most
alike, and decides the SKOS mapping property from the comparison:

* texts are compared as bags of words (lower case, without a few function words),
  weighted by how rare a word is across both systems (tf-idf), by cosine similarity:
  the question, the answer options, and all texts together (title, question, answers);
* ``skos:exactMatch`` when question and answer options are (nearly) the same
  (question >= 0.9 and answers >= 0.8);
* ``skos:broadMatch`` when the later concept is broader: several earlier concepts find
  it as their counterpart (a merged indicator), or an earlier sub-question finds a
  later indicator; ``skos:narrowMatch`` when an earlier indicator finds a later
  sub-indicator;
* ``skos:closeMatch`` for any other counterpart whose texts are alike enough
  (all texts >= 0.35);
* none below that: the concept is recorded with ``mkg:noCounterpartIn``.

Composites (overall scores, strands) are compared the same way, on their titles and
questions, and linked with ``skos:closeMatch`` at best (the two systems form them
from different indicators). Each link is asserted directly and recorded as an
``mkg:CrosswalkLink`` with its evidence: the three similarities and the words each
side does not share. Where the later system's code names the earlier number
(``ab7ab8`` for indicators 7 and 8), a note says whether the text decision agrees;
the code is never used to decide.

``crosswalk_store(store)`` writes graph/crosswalk through the SHACL gate.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

import pyoxigraph as ox

from mipex_kg.graph import iris
from mipex_kg.graph.iris import CROSSWALK_GRAPH
from mipex_kg.graph.namespaces import ID, MKG, PROV, RDF, RDFS, SKOS, XSD
from mipex_kg.graph.quad_store import QuadStore

EARLIER = iris.system("mipex-2015")
LATER = iris.system("mipex")
EXACT_QUESTION, EXACT_ANSWERS = 0.9, 0.8
#: a counterpart at all: all texts this alike, and the question or the answers this alike
CLOSE_TEXT, CLOSE_PART = 0.5, 0.4
#: several earlier concepts merged into one later one: each at least this alike
MERGED_TEXT = 0.6
AREA_TITLE = 0.5
LEAF_KINDS = ("PolicyIndicator", "SubIndicator")
_STOPWORDS = frozenset(
    "a an and are as at be by can do does for from has have if in is it its of on or "
    "other please specify such than that the their there these this to what which who with "
    "e g i ie".split())
_WORD = re.compile(r"[a-z0-9]+")

_CONCEPTS = """
SELECT ?scheme ?concept ?code ?kind (SAMPLE(?t) AS ?title) (SAMPLE(?inArea) AS ?area)
       (GROUP_CONCAT(DISTINCT ?q; separator=" ") AS ?question)
       (GROUP_CONCAT(DISTINCT ?a; separator=" ") AS ?answers)
WHERE {
  ?concept skos:inScheme ?scheme ; skos:notation ?code ; a ?class .
  VALUES (?class ?kind) { (mkg:OverallIndicator "OverallIndicator") (mkg:PolicyArea "PolicyArea")
                          (mkg:PolicyIndicator "PolicyIndicator") (mkg:SubIndicator "SubIndicator") }
  OPTIONAL { ?concept skos:prefLabel ?t }
  OPTIONAL { ?concept mkg:policyArea ?inArea }
  OPTIONAL { ?concept mkg:question ?q }
  OPTIONAL { ?concept mkg:answerOptions ?a }
}
GROUP BY ?concept ?code ?kind ?scheme
"""


def words(text: str) -> list[str]:
    """The words of a text that carry meaning, lower case ("anti-discrimination" is one)."""
    joined = re.sub(r"(?<=[a-z])-(?=[a-z])", "", text.lower())
    return [w for w in _WORD.findall(joined) if w not in _STOPWORDS]


@dataclass(frozen=True)
class ConceptText:
    node: ox.NamedNode
    code: str
    kind: str
    title: str
    question: str
    answers: str
    area: ox.NamedNode | None = None

    @property
    def is_leaf(self) -> bool:
        return self.kind in LEAF_KINDS

    def all_text(self) -> str:
        return " ".join((self.title, self.question, self.answers))


def read_concepts(store: QuadStore, scheme: ox.NamedNode) -> list[ConceptText]:
    """The concepts of one system with their texts (every wording, joined)."""
    rows = store.query(_CONCEPTS, substitutions={ox.Variable("scheme"): scheme})
    def text(row: ox.QuerySolution, name: str) -> str:
        return row[name].value if row[name] is not None else ""

    found = [ConceptText(r["concept"], r["code"].value, r["kind"].value, text(r, "title"),
                         text(r, "question"), text(r, "answers"), r["area"])
             for r in rows]
    return sorted(found, key=lambda c: c.node.value)


class Similarity:
    """Tf-idf cosine similarity over the texts of both systems."""

    def __init__(self, texts: list[str]):
        documents = [set(words(t)) for t in texts]
        frequency = Counter(w for d in documents for w in d)
        self.idf = {w: math.log((1 + len(documents)) / (1 + n)) + 1 for w, n in frequency.items()}

    def vector(self, text: str) -> dict[str, float]:
        counts = Counter(words(text))
        return {w: n * self.idf.get(w, 1.0) for w, n in counts.items()}

    def __call__(self, left: str, right: str) -> float:
        a, b = self.vector(left), self.vector(right)
        dot = sum(v * b[w] for w, v in a.items() if w in b)
        norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
        return dot / norm if norm else 0.0


@dataclass(frozen=True)
class Link:
    """A decided link with its evidence."""

    source: ConceptText
    target: ConceptText
    relation: ox.NamedNode
    text: float
    question: float
    answers: float
    only_in_source: tuple[str, ...]
    only_in_target: tuple[str, ...]
    code_note: str | None


@dataclass
class Crosswalk:
    links: list[Link]
    unmatched: list[ConceptText]
    sources: list[ConceptText]

    def counts(self) -> dict[str, int]:
        """Links by SKOS property (local name), and the concepts without a counterpart."""
        found = Counter(link.relation.value.rsplit("#", 1)[-1] for link in self.links)
        return {**dict(sorted(found.items())), "noCounterpart": len(self.unmatched)}


def _code_numbers(code: str) -> set[str]:
    return set(re.findall(r"\d+", code))


def build_crosswalk(earlier: list[ConceptText], later: list[ConceptText],
                    parts_of: dict[ox.NamedNode, frozenset[ox.NamedNode]] | None = None
                    ) -> Crosswalk:
    """Decide the links from every concept of ``earlier`` to ``later``.

    ``parts_of``: composite -> the parts its rule averages (both systems); an overall
    score is linked to the later overall score formed from the counterparts of the
    same policy areas.
    """
    similarity = Similarity([c.all_text() for c in earlier + later])
    links = _leaf_links(similarity, [c for c in earlier if c.is_leaf],
                        [c for c in later if c.is_leaf], later)
    areas = _area_links(similarity, [c for c in earlier if c.kind == "PolicyArea"],
                        [c for c in later if c.kind == "PolicyArea"], links)
    links += areas
    links += _overall_links(similarity, [c for c in earlier if c.kind == "OverallIndicator"],
                            [c for c in later if c.kind == "OverallIndicator"],
                            {link.source.node: link.target.node for link in areas},
                            parts_of or {})
    linked = {link.source.node for link in links}
    return Crosswalk(links, [c for c in earlier if c.node not in linked], earlier)


def _link(similarity: Similarity, source: ConceptText, target: ConceptText,
          relation: ox.NamedNode, note: str | None, text: float | None = None) -> Link:
    mine, theirs = set(words(source.all_text())), set(words(target.all_text()))
    return Link(source, target, relation,
                similarity(source.all_text(), target.all_text()) if text is None else text,
                similarity(source.question, target.question),
                similarity(source.answers, target.answers),
                tuple(sorted(mine - theirs)), tuple(sorted(theirs - mine)), note)


def _leaf_links(similarity: Similarity, earlier: list[ConceptText], later: list[ConceptText],
                every_later: list[ConceptText]) -> list[Link]:
    """Indicators and sub-questions: each to the later one most alike, if alike enough.

    Of the earlier concepts that find the same later one, the most alike is its
    exact or close match; when several are alike (all texts >= MERGED_TEXT) and none
    asks the same question, the later one merges them: each is narrower (broadMatch).
    """
    chosen: dict[ox.NamedNode, list[tuple[float, ConceptText]]] = defaultdict(list)
    targets = {t.node: t for t in later}
    for source in earlier:
        scored = [(similarity(source.all_text(), t.all_text()), t) for t in later]
        if not scored:
            continue
        score, target = max(scored, key=lambda pair: (pair[0], -len(pair[1].code)))
        question = similarity(source.question, target.question)
        answers = similarity(source.answers, target.answers)
        if score >= CLOSE_TEXT and (question >= CLOSE_PART or answers >= CLOSE_PART):
            chosen[target.node].append((score, source))
    links = []
    for node, sources in chosen.items():
        target = targets[node]
        sources.sort(key=lambda pair: -pair[0])
        merged = [source for score, source in sources if score >= MERGED_TEXT]
        for rank, (score, source) in enumerate(sources):
            link = _link(similarity, source, target, SKOS.closeMatch,
                         _code_note(source, target, every_later), score)
            exact = link.question >= EXACT_QUESTION and link.answers >= EXACT_ANSWERS
            if source.kind == "SubIndicator" and target.kind == "PolicyIndicator":
                relation = SKOS.broadMatch
            elif source.kind == "PolicyIndicator" and target.kind == "SubIndicator":
                relation = SKOS.narrowMatch
            elif rank == 0 and exact:
                relation = SKOS.exactMatch
            elif len(merged) > 1 and source in merged and not (
                    sources[0][1] in merged and _is_exact(similarity, sources[0][1], target)):
                relation = SKOS.broadMatch
            else:
                relation = SKOS.closeMatch
            links.append(Link(**{**link.__dict__, "relation": relation}))
    return links


def _is_exact(similarity: Similarity, source: ConceptText, target: ConceptText) -> bool:
    return (similarity(source.question, target.question) >= EXACT_QUESTION
            and similarity(source.answers, target.answers) >= EXACT_ANSWERS)


def _area_links(similarity: Similarity, earlier: list[ConceptText], later: list[ConceptText],
                leaf_links: list[Link]) -> list[Link]:
    """Policy areas: each to the later area that holds most of the counterparts of its
    indicators; a close match at best (other indicators form them)."""
    targets = {t.node: t for t in later}
    links = []
    for source in earlier:
        found = Counter(link.target.area for link in leaf_links
                        if link.source.area == source.node and link.target.area in targets)
        if not found:
            continue
        area, count = found.most_common(1)[0]
        total = sum(found.values())
        if count * 2 <= total:
            continue
        title = similarity(source.title, targets[area].title)
        links.append(_link(similarity, source, targets[area], SKOS.closeMatch,
                           f"{count} of its {total} linked indicators and sub-questions have "
                           f"their counterpart in this area; titles alike {title:.2f}"))
    return links


def _overall_links(similarity: Similarity, earlier: list[ConceptText], later: list[ConceptText],
                   areas: dict[ox.NamedNode, ox.NamedNode],
                   parts_of: dict[ox.NamedNode, frozenset[ox.NamedNode]]) -> list[Link]:
    """Overall scores: linked when formed from the counterparts of the same policy areas."""
    links = []
    for source in earlier:
        parts = parts_of.get(source.node)
        if not parts or any(part not in areas for part in parts):
            continue
        counterparts = frozenset(areas[part] for part in parts)
        for target in later:
            if parts_of.get(target.node) == counterparts:
                links.append(_link(similarity, source, target, SKOS.closeMatch,
                                   f"both average the same {len(parts)} policy areas "
                                   "(by the crosswalk of the areas)"))
    return links


def _code_note(source: ConceptText, target: ConceptText, later: list[ConceptText]) -> str | None:
    """Whether the later code that names the earlier number is the one the texts chose."""
    number = re.match(r"\d+", source.code)
    if number is None or not source.is_leaf:
        return None
    naming = sorted(t.code for t in later if number[0] in _code_numbers(t.code)
                    and t.kind == "PolicyIndicator")
    if not naming:
        return f"no code of the later system names {number[0]}"
    if number[0] in _code_numbers(target.code):
        return f"the later code {target.code} names {number[0]} too: the texts and the codes agree"
    return (f"the texts chose {target.code}, while the later code(s) {', '.join(naming)} "
            f"name {number[0]}")


def _decimal(value: float) -> ox.Literal:
    number = Decimal(value).quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)
    return ox.Literal(str(number), datatype=XSD.decimal)


def link_node(link: Link) -> ox.NamedNode:
    return ox.NamedNode(f"{ID}crosswalk/{iris.slug(_segment(link.source.node, 2))}/"
                        f"{iris.slug(link.source.code)}/{iris.slug(_segment(link.target.node, 2))}/"
                        f"{iris.slug(link.target.code)}")


def _segment(node: ox.NamedNode, from_end: int) -> str:
    return node.value.rstrip("/").split("/")[-from_end]


def crosswalk_triples(crosswalk: Crosswalk, activity: ox.NamedNode,
                      target_system: ox.NamedNode) -> list[ox.Triple]:
    """The crosswalk graph: the links, their evidence, the concepts left without one."""
    triples = [ox.Triple(activity, RDF.type, PROV.Activity),
               ox.Triple(activity, RDFS.label, ox.Literal(
                   "crosswalk between indicator systems from their questions and answer options"))]
    for link in crosswalk.links:
        node = link_node(link)
        triples += [
            ox.Triple(link.source.node, link.relation, link.target.node),
            ox.Triple(node, RDF.type, MKG.CrosswalkLink),
            ox.Triple(node, MKG.linkSource, link.source.node),
            ox.Triple(node, MKG.linkTarget, link.target.node),
            ox.Triple(node, MKG.mappingRelation, link.relation),
            ox.Triple(node, MKG.textSimilarity, _decimal(link.text)),
            ox.Triple(node, MKG.questionSimilarity, _decimal(link.question)),
            ox.Triple(node, MKG.answerSimilarity, _decimal(link.answers)),
            ox.Triple(node, MKG.wordsOnlyInSource, ox.Literal(" ".join(link.only_in_source))),
            ox.Triple(node, MKG.wordsOnlyInTarget, ox.Literal(" ".join(link.only_in_target))),
            ox.Triple(node, PROV.wasGeneratedBy, activity),
        ]
        if link.code_note:
            triples.append(ox.Triple(node, SKOS.note, ox.Literal(link.code_note, language="en")))
    for concept in crosswalk.unmatched:
        triples.append(ox.Triple(concept.node, MKG.noCounterpartIn, target_system))
    return triples


@dataclass
class CrosswalkReport:
    crosswalk: Crosswalk
    triples: int

    def summary(self) -> str:
        counts = ", ".join(f"{kind} {n}" for kind, n in self.crosswalk.counts().items())
        leaves = [c for c in self.crosswalk.sources if c.is_leaf]
        linked = {link.source.node for link in self.crosswalk.links if link.source.is_leaf}
        notes = [link.code_note or "" for link in self.crosswalk.links]
        agree = [note for note in notes if "agree" in note]
        noted = agree + [note for note in notes if note.startswith("the texts chose")]
        return (f"crosswalk {EARLIER.value.rsplit('/', 1)[-1]} -> "
                f"{LATER.value.rsplit('/', 1)[-1]}: {len(self.crosswalk.links)} links ({counts}); "
                f"{len(linked)} of {len(leaves)} indicators and sub-questions linked; the "
                f"texts agree with the later codes' numbering in {len(agree)} of {len(noted)} "
                f"links where a code names the number; {self.triples} triples into "
                f"<{CROSSWALK_GRAPH.value}>")


def crosswalk_store(store: QuadStore) -> CrosswalkReport | None:
    """Build the crosswalk from the store and replace graph/crosswalk; None when one of
    the two systems has no concepts in the store yet.

    Raises:
        LoadError: the crosswalk graph does not pass the shapes (nothing is written).
    """
    from mipex_kg.graph.store import in_graph
    from mipex_kg.loaders.pipeline import Loader
    from mipex_kg.loaders.provenance import now

    earlier, later = read_concepts(store, EARLIER), read_concepts(store, LATER)
    if not earlier or not later:
        return None
    from mipex_kg.loaders.aggregation_rules import read_rules

    parts_of = {rule.composite: frozenset(rule.parts) for rule in read_rules(store).values()
                if not rule.is_alternative}
    crosswalk = build_crosswalk(earlier, later, parts_of)
    activity = iris.activity("crosswalk", now().strftime("%Y%m%dT%H%M%S%f"))
    triples = crosswalk_triples(crosswalk, activity, LATER)
    loader = Loader(store)
    nodes = {c.node for c in earlier + later}
    quads = in_graph(triples, CROSSWALK_GRAPH)
    loader.check({CROSSWALK_GRAPH: quads}, "crosswalk",
                 extra_context=loader.described(CROSSWALK_GRAPH, nodes))
    count = store.replace_graph(CROSSWALK_GRAPH, quads)
    store.flush()
    return CrosswalkReport(crosswalk, count)
