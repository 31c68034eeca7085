"""/downloads: every graph in every format and the whole store, streamed."""

from __future__ import annotations

import threading
import traceback
from typing import IO

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from mipex_kg.graph.namespaces import GRAPH
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.publish.dumps import stream

from tests.api_ld.conftest import AppClient, parse

EXTENSIONS = {"ttl": "text/turtle", "nt": "application/n-triples", "nq": "application/n-quads",
              "trig": "application/trig", "rdf": "application/rdf+xml",
              "jsonld": "application/ld+json"}


def test_the_whole_store_round_trips(reference_client: AppClient,
                                     reference_store: KnowledgeStore) -> None:
    for ext, fmt in (("nq", ox.RdfFormat.N_QUADS), ("trig", ox.RdfFormat.TRIG)):
        response = reference_client.get(f"/downloads/all.{ext}")
        assert response.status_code == 200
        assert response.headers["content-disposition"] == f'attachment; filename="all.{ext}"'
        copy = ox.Store()
        copy.load(response.content, fmt)
        assert len(copy) == len(reference_store)
        assert set(copy.named_graphs()) == set(reference_store.named_graphs())
    ontology = ox.NamedNode(GRAPH + "ontology")  # the graph with blank nodes
    original = rdflib.Graph().parse(
        data=reference_store.dump(None, ox.RdfFormat.N_TRIPLES, ontology), format="nt")
    copied = rdflib.Graph().parse(data=copy.dump(format=ox.RdfFormat.N_TRIPLES,
                                                 from_graph=ontology), format="nt")
    assert isomorphic(original, copied)


def test_every_graph_in_every_format(reference_client: AppClient,
                                     reference_store: KnowledgeStore) -> None:
    for graph, size in reference_store.graph_sizes().items():
        slug = graph.removeprefix(GRAPH).replace("/", "-")
        for ext, media_type in EXTENSIONS.items():
            response = reference_client.get(f"/downloads/{slug}.{ext}")
            assert response.status_code == 200, (slug, ext)
            assert response.headers["content-type"].split(";")[0] == media_type
            assert response.headers["content-disposition"] == \
                f'attachment; filename="{slug}.{ext}"'
            assert len(parse(response.content, media_type)) == size, (slug, ext)


def test_a_graphs_quads_keep_its_name(reference_client: AppClient) -> None:
    body = reference_client.get("/downloads/curated-countries.nq").content
    quads = list(ox.parse(body, format=ox.RdfFormat.N_QUADS))
    assert quads and {q.graph_name for q in quads} == {ox.NamedNode(GRAPH + "curated/countries")}
    nested = reference_client.get("/downloads/curated/countries.nq")  # the path form
    assert nested.status_code == 200 and nested.content == body


def test_head_etag_and_404(reference_client: AppClient) -> None:
    get = reference_client.get("/downloads/ontology.ttl")
    head = reference_client.head("/downloads/ontology.ttl")
    assert head.status_code == 200 and head.content == b""
    for name in ("content-type", "content-disposition", "etag"):
        assert head.headers[name] == get.headers[name]
    assert "content-length" not in head.headers  # not known before writing; never a false 0
    again = reference_client.get("/downloads/ontology.ttl",
                                 headers={"If-None-Match": get.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert reference_client.get("/downloads/ontology.nt").headers["etag"] != get.headers["etag"]
    for name in ("nope.ttl", "ontology.pdf", "all.ttl", "ontology", "../ontology.ttl"):
        response = reference_client.get(f"/downloads/{name}")
        assert response.status_code == 404, name
        assert response.json()["error"] == "not_found"


def test_the_list_of_downloads(reference_client: AppClient) -> None:
    response = reference_client.get("/downloads")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert 'href="http://testserver/downloads/curated-countries.jsonld"' in response.text
    assert 'id="curated/countries"' in response.text


# -- streaming ----------------------------------------------------------------------

def test_stream_hands_on_chunks_while_writing() -> None:
    def write(output: IO[bytes]) -> None:
        for n in range(100):
            output.write(b"x" * 1000 + str(n).encode())

    chunks = list(stream(write, chunk_size=10_000))
    assert len(chunks) > 5 and all(len(c) >= 10_000 for c in chunks[:-1])
    assert b"".join(chunks) == b"".join(b"x" * 1000 + str(n).encode() for n in range(100))


def test_stream_raises_what_the_writer_raised() -> None:
    def write(output: IO[bytes]) -> None:
        output.write(b"partial")
        raise OSError("disk on fire")

    with pytest.raises(OSError, match="disk on fire"):
        list(stream(write, chunk_size=1))


def test_a_failed_writer_hands_the_reader_none_of_its_locals() -> None:
    """pyoxigraph's iterators may only be dropped on the thread that made them. The
    writer's error is raised again in the reader's thread: had the writer's frame kept
    its locals, the iterator could be dropped there."""
    store = ox.Store()
    node = ox.NamedNode("urn:test:download")
    store.add(ox.Quad(node, node, node, node))

    def write(output: IO[bytes]) -> None:
        quads = store.quads_for_pattern(None, None, None, None)  # noqa: F841 - held
        output.write(b"partial")
        raise OSError("disk on fire")

    with pytest.raises(OSError, match="disk on fire") as raised:
        list(stream(write, chunk_size=1))
    frames = {frame.f_code.co_name: frame for frame, _ in traceback.walk_tb(raised.value.__traceback__)}
    assert "stream" in frames and frames["write"].f_locals == {}  # kept for the log, emptied


def test_an_abandoned_stream_stops_the_writer() -> None:
    stopped = threading.Event()

    def write(output: IO[bytes]) -> None:
        try:
            while True:
                output.write(b"y" * 100)
        finally:
            stopped.set()

    chunks = stream(write, chunk_size=100, depth=2)
    assert next(chunks) == b"y" * 100
    chunks.close()  # the client went away
    assert stopped.wait(60)  # at once when idle; a loaded machine may take seconds


def test_a_real_store_dump_streams(reference_store: KnowledgeStore) -> None:
    chunks = list(stream(lambda out: reference_store.dump(out, ox.RdfFormat.N_QUADS),
                         chunk_size=4096))
    assert b"".join(chunks) == reference_store.dump(None, ox.RdfFormat.N_QUADS)
    assert len(chunks) > 1  # streamed in parts, not handed over whole
