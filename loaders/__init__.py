"""Loaders: source files to RDF with provenance, behind one validation gate.

Each loader is a chain of steps that can be tested alone: read the file into typed
records (collecting every problem with file, sheet and cell or row), turn records
into triples for one named graph, then hand them to ``pipeline.load_graph`` which
validates them against the shapes and only then replaces the graph in the store.
"""
