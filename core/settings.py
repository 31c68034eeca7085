"""Settings of the service and the command line, read once from the environment.

Every setting has the prefix ``MIPEX_KG_`` (``MIPEX_KG_STORE``, ``MIPEX_KG_DATA_DIR`` ...).
Nothing else in the package reads the environment: the settings object is built by
the command line or by the caller of ``create_app`` and handed down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """All configuration in one place."""

    model_config = SettingsConfigDict(env_prefix="MIPEX_KG_", extra="ignore")

    store: str | Path | None = Field(
        default=Path("mipex-kg-store"),
        description="Folder of the on-disk Oxigraph store (None: in memory), or the http(s) "
                    "URL of a SPARQL 1.1 engine laid out as Oxigraph server: /query, "
                    "/update, /store under it (see graph.remote_config).",
    )
    store_query_url: str = Field(
        default="", description="The remote store's SPARQL query endpoint (default: STORE/query).")
    store_update_url: str = Field(
        default="", description="The remote store's SPARQL update endpoint (default: STORE/update).")
    store_graph_store_url: str = Field(
        default="",
        description="The remote store's Graph Store Protocol endpoint (default: STORE/store).")
    store_user: str = Field(default="", description="User name at the remote store.")
    store_password: SecretStr | None = Field(
        default=None, description="Password at the remote store (never logged).")
    store_auth: Literal["basic", "digest"] = Field(
        default="basic", description="HTTP authentication the remote store asks for.")
    store_union_parameter: str = Field(
        default="union-default-graph",
        description="Query parameter that makes the remote store's default graph the union "
                    "of all graphs (Oxigraph server); empty when the engine does so itself.")
    store_timeout_parameter: str = Field(
        default="",
        description="Query parameter that passes the time limit (milliseconds) to the remote "
                    "store; empty: none is sent (leave it so for Virtuoso, whose 'timeout' "
                    "answers a partial result as if whole).")
    store_replace: Literal["update", "move"] = Field(
        default="update",
        description="How the remote store replaces a graph: one update that drops it and "
                    "inserts the new content, or an upload to a staging graph then MOVE.")
    store_system_graphs: list[str] = Field(
        default=["http://www.openlinksw.com/schemas/virtrdf#", "http://www.w3.org/ns/ldp#",
                 "http://localuriqaserver/sparql"],
        description="IRI prefixes of graphs the remote store's engine keeps for itself (left "
                    "out of the named graphs; the defaults are Virtuoso's).")
    store_engine: str = Field(
        default="",
        description="The remote store's engine (e.g. virtuoso, oxigraph), which picks the "
                    "named queries' engine-specific texts; empty: told by the product name "
                    "in the engine's Server header (set it when a proxy in front replaces "
                    "that header).")
    store_version_ttl: float = Field(
        default=1.0,
        description="Seconds the remote store's version is trusted before it is read again "
                    "(how late writes by other service copies are noticed).")
    data_dir: Path | None = Field(
        default=None,
        description="Folder holding the official MIPEX workbooks, loaded on first start.",
    )
    base_url: str = Field(
        default="",
        description="Public base URL of the service (empty: taken from each request).",
    )
    update_token: str | None = Field(
        default=None, description="Bearer token that enables SPARQL Update and the Graph Store Protocol."
    )
    query_timeout: float = Field(default=30.0, description="Seconds a SPARQL query may run.")
    max_result_rows: int = Field(default=100_000, description="Rows a SELECT may return.")
    cors_origins: list[str] = Field(default=["*"], description="Origins allowed by CORS.")
    eu_country_endpoint: str = Field(
        default="https://publications.europa.eu/webapi/rdf/sparql",
        description="SPARQL endpoint answering for the EU country table (federated queries).",
    )
    eu_nuts_endpoint: str = Field(
        default="https://data.europa.eu/sparql",
        description="SPARQL endpoint answering for NUTS (data.europa.eu/nuts) in federated queries.",
    )
    cordis_endpoint: str = Field(
        default="https://cordis.europa.eu/datalab/sparql",
        description="SPARQL endpoint of CORDIS (EURIO) for federated queries.",
    )
    query_workers: int = Field(
        default=4, description="Query workers: how many queries may run at once."
    )
    query_processes: int = Field(
        default=1,
        description="Processes the query workers run in, as threads (each process holds "
                    "its own copy of the data; a query stopped at its time limit stops its "
                    "process, whose other queries are then run again once).",
    )
    query_memory_mb: int = Field(
        default=3072,
        description="Address space (MiB) the queries of one query process may take "
                    "together beyond the data (it counts reserved, not only used, memory); "
                    "past it the process stops and its queries are run again once, then "
                    "answered with 503 (0: no limit).",
    )
    fast_lane_workers: int = Field(
        default=1,
        description="Workers kept for short queries from clients with no query running long.",
    )
    fast_lane_timeout: float = Field(
        default=2.0,
        description="Seconds a query may run in the short-query lane before it is moved "
                    "to the long-query lane (and its client counted as a heavy user).",
    )
    client_max_in_flight: int = Field(
        default=6, description="Queries one client may have running or waiting (more: 429)."
    )
    queue_limit: int = Field(
        default=32, description="Queries that may wait for a worker in all (more: 503)."
    )
    trusted_proxies: list[str] = Field(
        default=[],
        description="Addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For "
                    "names the client; from anyone else the header is ignored.",
    )
    max_query_bytes: int = Field(
        default=256 * 1024, description="Longest query or update text accepted (more: 413)."
    )
    max_write_bytes: int = Field(
        default=64 * 1024 * 1024, description="Largest body of a write request (more: 413)."
    )
    load_sources: list[str] = Field(
        default=[],
        description="URL prefixes that SPARQL Update's LOAD may read from (none by default).",
    )
