"""Writing query results in the formats the command line offers.

SELECT and ASK results go out through pyoxigraph's own writers (JSON, XML, CSV,
TSV) or as an aligned text table; CONSTRUCT and DESCRIBE results as RDF.
"""

from __future__ import annotations

from typing import IO, Any

import pyoxigraph as ox

RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "rdfxml": ox.RdfFormat.RDF_XML,
}


def _cell(term: Any) -> str:
    return "" if term is None else term.value if isinstance(term, ox.Literal) else str(term)


def write_table(results: ox.QuerySolutions, output: IO[bytes]) -> None:
    """An aligned plain-text table, for people reading a terminal."""
    names = [v.value for v in results.variables]
    rows = [[_cell(solution[name]) for name in names] for solution in results]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    lines = [" | ".join(n.ljust(w) for n, w in zip(names, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    output.write(("\n".join(lines) + f"\n({len(rows)} rows)\n").encode())


def write_results(results: Any, fmt: str, output: IO[bytes]) -> None:
    """Write any query result in the named format.

    Raises:
        ValueError: the format does not fit the kind of result.
    """
    if isinstance(results, ox.QueryBoolean):
        if fmt == "table":
            output.write(f"{bool(results)}\n".encode())
            return
        if fmt not in RESULT_FORMATS:
            raise ValueError(f"an ASK result cannot be written as {fmt!r}")
        results.serialize(output, RESULT_FORMATS[fmt])
    elif isinstance(results, ox.QuerySolutions):
        if fmt == "table":
            write_table(results, output)
            return
        if fmt not in RESULT_FORMATS:
            raise ValueError(f"a SELECT result cannot be written as {fmt!r}; "
                             f"use one of table, {', '.join(RESULT_FORMATS)}")
        results.serialize(output, RESULT_FORMATS[fmt])
    else:
        fmt = "turtle" if fmt == "table" else fmt
        if fmt not in GRAPH_FORMATS:
            raise ValueError(f"a graph result cannot be written as {fmt!r}; "
                             f"use one of {', '.join(GRAPH_FORMATS)}")
        results.serialize(output, GRAPH_FORMATS[fmt])
