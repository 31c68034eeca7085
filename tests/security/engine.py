"""Running an attack on the bare engine: a pyoxigraph store, no service in front.

Used to check the corpus itself: that its texts are what they claim to be in the
engine's grammar, and that the attacks it sends do make the bare engine connect (so
the service's zero is the service's doing).
"""

from __future__ import annotations

from typing import Literal

import pyoxigraph as ox

from tests.security.attacks import Attack
from tests.security.data import SERVICE_DATA

#: The base IRI the service would give (its own /sparql URL); no server listens there.
BASE_IRI = "http://127.0.0.1:9/sparql"


def engine_store() -> ox.Store:
    """A fresh in-memory store holding the service's data."""
    store = ox.Store()
    store.load(SERVICE_DATA.encode(), format=ox.RdfFormat.TRIG)
    return store


def run_in_engine(attack: Attack) -> Literal["syntax error", "ran", "failed"]:
    """Run ``attack`` on a fresh store holding the service's data.

    "syntax error": pyoxigraph refused the text; "ran": it answered; "failed": it
    parsed the text but evaluation failed (a refused connection, an unbound SERVICE
    variable ...).
    """
    store = engine_store()
    try:
        if attack.kind == "query":
            results = store.query(attack.text, base_iri=BASE_IRI, use_default_graph_as_union=True)
            if isinstance(results, ox.QuerySolutions | ox.QueryTriples):
                list(results)
        else:
            store.update(attack.text, base_iri=BASE_IRI)
    except SyntaxError:
        return "syntax error"
    except (OSError, RuntimeError, ValueError):
        return "failed"
    return "ran"
