"""The ``mipex-kg`` command line.

    mipex-kg load FILE... | --reference     load workbooks / reported-score CSVs through the gate
    mipex-kg validate [--cube]              re-check the whole store (exit 0/1/2)
    mipex-kg query SPARQL | -f FILE         run a query, results to stdout
    mipex-kg graphs                         named graphs with triple counts and sources
    mipex-kg export [--graph IRI]           dump the store or one graph
    mipex-kg serve [--host] [--port] [--fetch]  the HTTP service (loads data on first start)
    mipex-kg fetch [--dest DIR]             download the official workbooks, check sha256
    mipex-kg catalog [--profile] [--validate DIR]  the DCAT-AP catalogue of the store
    mipex-kg recompute [--report-only]      recompute composite scores, verify them (report)

Every command takes ``--store PATH|URL`` (default ``MIPEX_KG_STORE`` or ./mipex-kg-store;
a URL is a remote SPARQL 1.1 store, see ``graph.remote_config``).
Exit codes: 0 success, 1 the data was refused or does not conform, 2 usage or
environment error. User errors are one clear message on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path

from mipex_kg import __version__
from mipex_kg.settings import Settings

EXIT_OK, EXIT_REFUSED, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    """A problem with how the command was called or with its environment."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mipex-kg", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"mipex-kg {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--store", help="store folder, or the http(s) URL of a SPARQL 1.1 "
                        "store (default: MIPEX_KG_STORE)")
    common.add_argument("--memory", action="store_true", help="use an in-memory store")
    sub = parser.add_subparsers(dest="command", required=True)

    load = sub.add_parser("load", parents=[common], help="load source files")
    load.add_argument("files", nargs="*", type=Path,
                      help="MIPEX workbooks (.xlsx) or CSV files of reported scores (.csv)")
    load.add_argument("--reference", action="store_true",
                      help="(re)load the ontology and the curated reference files")
    load.add_argument("--edition", help="edition id for a workbook the project does not know")
    load.add_argument("--force", action="store_true", help="reload even if unchanged")
    load.add_argument("--quiet", action="store_true", help="no progress bar")
    load.add_argument("--no-recompute", action="store_true",
                      help="do not recompute the composite scores after loading workbooks")

    validate = sub.add_parser("validate", parents=[common], help="validate the whole store")
    validate.add_argument("--cube", action="store_true",
                          help="also run the RDF Data Cube integrity constraints")

    query = sub.add_parser("query", parents=[common], help="run a SPARQL query")
    query.add_argument("sparql", nargs="?", help="the query text")
    query.add_argument("-f", "--file", type=Path, help="read the query from a file")
    query.add_argument("--format", default="table",
                       help="table, json, xml, csv, tsv (SELECT/ASK); turtle, ntriples, "
                            "nquads, trig, rdfxml (CONSTRUCT/DESCRIBE)")

    sub.add_parser("graphs", parents=[common], help="list the named graphs")

    export = sub.add_parser("export", parents=[common], help="dump the store or one graph")
    export.add_argument("--graph", help="graph IRI (default: the whole store)")
    export.add_argument("--format", default="nquads", choices=["nquads", "trig", "turtle", "ntriples"])
    export.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")

    serve = sub.add_parser("serve", parents=[common], help="run the HTTP service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--data-dir", type=Path,
                       help="folder with the official workbooks (default: MIPEX_KG_DATA_DIR)")
    serve.add_argument("--fetch", action="store_true",
                       help="first download the official workbooks that are missing (into "
                            "--data-dir, else data/mipex) and check their sha256")

    fetch = sub.add_parser("fetch", help="download the official MIPEX workbooks")
    fetch.add_argument("--dest", type=Path, help="folder (default: MIPEX_KG_DATA_DIR)")

    catalog = sub.add_parser("catalog", parents=[common], help="export the DCAT-AP catalogue")
    catalog.add_argument("--base-url", help="public base URL of the service (default: "
                         "MIPEX_KG_BASE_URL, else http://localhost:8000)")
    catalog.add_argument("--profile", default="3.0.1", choices=["3.0.1", "2.1.1"])
    catalog.add_argument("--format", default="turtle",
                         choices=["turtle", "ntriples", "jsonld", "rdfxml", "nquads", "trig"])
    catalog.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    catalog.add_argument("--validate", type=Path, metavar="DCAT_AP_DIR",
                         help="check it with the official DCAT-AP shapes in this folder "
                              "(e.g. ../shared/conformance/dcat-ap); report on stderr")

    recompute = sub.add_parser("recompute", parents=[common],
                               help="recompute composite scores from their parts and verify them")
    recompute.add_argument("--tolerance", type=Decimal, default=Decimal("0.01"))
    recompute.add_argument("--report-only", action="store_true",
                           help="only report on the recomputation already stored")
    recompute.add_argument("--alternative", metavar="RULE",
                           help="rank by this rule instead (e.g. mipex/g/indicator-mean); "
                                "needs --year")
    recompute.add_argument("--year", type=int)
    recompute.add_argument("--series", metavar="ISO3", help="a country's series; needs --composite")
    recompute.add_argument("--composite", metavar="CODE", help="e.g. overall-with-health, g")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings()
    updates: dict[str, object] = {}
    if getattr(args, "memory", False):
        updates["store"] = None
    elif getattr(args, "store", None):
        updates["store"] = args.store
    if getattr(args, "data_dir", None):
        updates["data_dir"] = args.data_dir
    return settings.model_copy(update=updates)


def _open_store(settings: Settings, read_only: bool = False):  # type: ignore[no-untyped-def]
    from mipex_kg.graph.remote_config import open_store

    try:
        return open_store(settings, read_only=read_only)
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot open the store at {settings.store}: {exc}") from exc


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    commands: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
        "load": _load, "validate": _validate, "query": _query, "graphs": _graphs,
        "export": _export, "serve": _serve, "fetch": _fetch, "catalog": _catalog,
        "recompute": _recompute,
    }
    from mipex_kg.loaders.errors import LoadError

    try:
        return commands[args.command](args, _settings(args))
    except LoadError as exc:
        print(f"refused, nothing in the store changed ({len(exc.problems)} problems):",
              file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_REFUSED
    except UsageError as exc:
        print(f"mipex-kg: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_ERROR


def _progress(enabled: bool) -> Callable[[str, int, int], None]:
    """A one-line progress bar on stderr (only when stderr is a terminal)."""
    if not enabled or not sys.stderr.isatty():
        return lambda label, done, total: None

    def show(label: str, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        end = "\n" if done >= total else ""
        print(f"\r{label:<28} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}",
              end=end, file=sys.stderr, flush=True)

    return show


def _load(args: argparse.Namespace, settings: Settings) -> int:
    from mipex_kg.loaders.pipeline import Loader

    if not args.files and not args.reference:
        raise UsageError("name files to load, or --reference")
    store = _open_store(settings)
    loader = Loader(store, progress=_progress(not args.quiet))
    reports = []
    try:
        # one snapshot on disk for the whole command, written beside the loads
        with store.batch(), store.snapshot_ahead():
            if args.reference or not loader.sheet_codes():
                reports.extend(loader.load_reference_data(force=args.force))
                for report in reports:
                    print(report.summary())
            for path in args.files:
                suffix = path.suffix.lower()
                if suffix == ".xlsx":
                    reports.append(loader.load_workbook(path, edition=args.edition,
                                                        force=args.force))
                elif suffix == ".csv":
                    reports.append(loader.load_scores_csv(path, force=args.force))
                else:
                    raise UsageError(f"{path}: only .xlsx workbooks and .csv files of reported "
                                     "scores can be loaded this way")
                print(reports[-1].summary())
            from mipex_kg.loaders.bootstrap import derive_after

            derive_after(store, reports, print, recompute=not args.no_recompute)
    finally:
        store.close()
    return EXIT_OK


def _validate(args: argparse.Namespace, settings: Settings) -> int:
    from mipex_kg.loaders.validation import validate_store

    store = _open_store(settings, read_only=True)
    try:
        text, conforms = validate_store(store, cube=args.cube)
    except Exception as exc:  # the validator itself failed: exit 2 as pySHACL does
        print(f"mipex-kg: validation could not run: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(text)
    return EXIT_OK if conforms else EXIT_REFUSED


def _query(args: argparse.Namespace, settings: Settings) -> int:
    from mipex_kg.graph.output import write_results

    if args.file:
        try:
            text = args.file.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read {args.file}: {exc}") from exc
    elif args.sparql:
        text = args.sparql
    else:
        raise UsageError("give a query, or -f FILE")
    store = _open_store(settings, read_only=True)
    try:
        results = store.query(text)
    except SyntaxError as exc:
        raise UsageError(f"the query does not parse: {exc}") from exc
    try:
        write_results(results, args.format, sys.stdout.buffer)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    return EXIT_OK


def _graphs(args: argparse.Namespace, settings: Settings) -> int:
    store = _open_store(settings, read_only=True)
    sources = {
        row["g"].value: row["title"].value
        for row in store.query(
            "SELECT ?g (SAMPLE(?t) AS ?title) WHERE { GRAPH ?g { ?s a mkg:SourceFile ; "
            "dct:title ?t } } GROUP BY ?g"
        )
    }
    for graph, size in store.graph_sizes().items():
        print(f"{size:>9}  {graph}  {sources.get(graph, '')}")
    return EXIT_OK


def _export(args: argparse.Namespace, settings: Settings) -> int:
    import pyoxigraph as ox

    formats = {"nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG,
               "turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES}
    fmt = formats[args.format]
    store = _open_store(settings, read_only=True)
    graph = ox.NamedNode(args.graph) if args.graph else None
    if graph is None and not fmt.supports_datasets:
        raise UsageError(f"{args.format} holds one graph: give --graph, or use nquads or trig")
    if graph is not None and not store.has_graph(graph):
        raise UsageError(f"no graph <{args.graph}> in the store (see mipex-kg graphs)")
    if args.output:
        with args.output.open("wb") as stream:
            store.dump(stream, fmt, graph)
    else:
        store.dump(sys.stdout.buffer, fmt, graph)
    return EXIT_OK


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from mipex_kg.api.app import create_app
    from mipex_kg.api.http_protocol import HTTP_PROTOCOL
    from mipex_kg.api.overview import Overview
    from mipex_kg.loaders.bootstrap import first_start
    from mipex_kg.loaders.pipeline import Loader

    store = _open_store(settings)
    data_dir = settings.data_dir
    if data_dir is not None and not Path(data_dir).is_dir() and not args.fetch:
        raise UsageError(f"data folder {data_dir} does not exist (run mipex-kg fetch, or "
                         "serve --fetch, or set MIPEX_KG_DATA_DIR / --data-dir)")

    def report(line: str) -> None:
        print(line, file=sys.stderr)

    first_start(store, data_dir, fetch=args.fetch, report=report)
    report(Overview.of(store).summary())
    report(f"Open http://{args.host}:{args.port}/ in a browser (query editor: /sparql).")
    app = create_app(settings, store, write_gate=Loader(store).check_write,
                     serving=[_serve_from_disk], close_store=True)
    # no access log: one line per request costs more than a small query (bench_sparql.py)
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, http=HTTP_PROTOCOL)
    return EXIT_OK


def _serve_from_disk(store: object) -> None:
    """Once the query workers hold the data (taken from memory, the quick way), the
    service process reads and writes the store's folder instead of its own copy."""
    from mipex_kg.graph.store import KnowledgeStore

    if isinstance(store, KnowledgeStore):
        store.serve_from_disk()


def _fetch(args: argparse.Namespace, settings: Settings) -> int:
    from mipex_kg.loaders.bootstrap import DEFAULT_DATA_DIR
    from mipex_kg.loaders.fetch import fetch_workbooks

    dest = args.dest or settings.data_dir or DEFAULT_DATA_DIR
    try:
        for line in fetch_workbooks(Path(dest)):
            print(line)
    except OSError as exc:
        raise UsageError(str(exc)) from exc
    return EXIT_OK



def _catalog(args: argparse.Namespace, settings: Settings) -> int:
    import pyoxigraph as ox

    from mipex_kg.publish.catalog import build_catalog, validate_catalog

    formats = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES,
               "jsonld": ox.RdfFormat.JSON_LD, "rdfxml": ox.RdfFormat.RDF_XML,
               "nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG}
    store = _open_store(settings, read_only=True)
    try:
        built = build_catalog(store, args.base_url or settings.base_url
                              or "http://localhost:8000", args.profile)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    body = built.serialize(formats[args.format])
    if args.output:
        args.output.write_bytes(body)
    else:
        sys.stdout.buffer.write(body)
    print(f"catalogue: {len(built.datasets)} datasets, {len(built.triples)} triples, "
          f"DCAT-AP {built.profile}, built in {built.seconds:.2f} s", file=sys.stderr)
    if args.validate:
        if not args.validate.is_dir():
            raise UsageError(f"no DCAT-AP shapes folder at {args.validate}")
        report = validate_catalog(built, args.validate)
        print(report.to_text(), file=sys.stderr)
        return EXIT_OK if report.conforms else EXIT_REFUSED
    return EXIT_OK


def _recompute(args: argparse.Namespace, settings: Settings) -> int:
    from mipex_kg.loaders.recompute_report import run_command

    writes = not (args.report_only or args.alternative or args.series)
    store = _open_store(settings, read_only=not writes)
    try:
        with store.batch():
            print(run_command(store, tolerance=args.tolerance, report_only=args.report_only,
                              alternative=args.alternative, year=args.year, series=args.series,
                              composite=args.composite))
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        store.close()
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
