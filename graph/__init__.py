"""The graph layer: vocabularies, IRI minting and the quad store.

``namespaces`` names every vocabulary the graph uses, ``iris`` mints the project's
own IRIs from codes, and ``store`` wraps pyoxigraph with the operations the rest of
the project needs (replace one named graph atomically, query the union of graphs).
"""
