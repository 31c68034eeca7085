"""mipex-kg: a linked-data knowledge graph of migrant-integration policy evidence.

The import package is assembled from the repository's top-level folders
(see pyproject.toml): ``mipex_kg.graph`` (store, IRIs, vocabularies),
``mipex_kg.loaders`` (source files to RDF with provenance), ``mipex_kg.api``
(the HTTP service), and the data packages ``ontology``, ``shapes`` and
``queries``. This folder holds what belongs to none of them: the version,
the settings and the command line.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mipex-kg")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
