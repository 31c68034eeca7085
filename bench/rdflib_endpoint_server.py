"""rdflib-endpoint over the same data, for bench_sparql.py: FILE.nq PORT.

An rdflib Dataset on the Oxigraph backend (oxrdflib) with the union of all graphs
as its default graph, as the peer that the issue names.
"""

from __future__ import annotations

import sys

import rdflib
import uvicorn
from rdflib_endpoint import SparqlEndpoint


def main() -> None:
    path, port = sys.argv[1], int(sys.argv[2])
    dataset = rdflib.Dataset(store="Oxigraph", default_union=True)
    dataset.parse(path, format="nquads")
    app = SparqlEndpoint(graph=dataset, path="/")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
