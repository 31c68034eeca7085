"""The HTTP service: the SPARQL 1.1 Protocol, the Graph Store Protocol, and (later)
linked-data pages and the REST facade, as one FastAPI application.

``create_app(settings, store)`` builds the app (``mipex_kg.api.app``). Modules:

    app                  create_app: state, middleware, routers, start-up and shut-down
    deps                 dependencies: the store, the settings, the write token check
    errors               exception types and the one JSON error body
    negotiation          Accept headers with q-values and wildcards
    formats              the result and RDF formats offered, and how one is chosen
    sparql_text          light lexical analysis of SPARQL text (query form, dataset
                         clauses, protocol dataset for updates)
    sparql_request       an HTTP request -> one SPARQL operation (SPARQL 1.1 Protocol)
    cache                ETags and the LRU cache of serialised responses
    conditional          a read answered with its ETag, a 304, or from the cache
    writes               SPARQL Update and graph writes through the write gate
    bodies               request bodies read with a size limit (413)
    disconnect           work stopped when its client goes away
    service_description  the SPARQL service description (sd:, void:)
    routes/sparql        /sparql
    routes/graph_store   /rdf-graphs/service

The application is built by ``mipex_kg.api.app.create_app``; this package's
``__init__`` imports nothing, so that importing one module (for example ``errors``,
which ``mipex_kg.engine`` uses) does not pull in the whole application.
"""
