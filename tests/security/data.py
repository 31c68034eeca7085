"""The data the service under test and the allowed endpoint hold.

Every object a glue pattern of ``dimensions.GLUES`` names is in ``GLUE_TRIPLES``, so a
pattern put right before a ``SERVICE`` has solutions and the engine really reaches
the clause. The allowed endpoint holds the same triples (a clause nested inside an
allowed SERVICE runs there) and three rows of its own, the positive controls' answer.
"""

from __future__ import annotations

EX = "http://example.org/"
SCRATCH = f"<{EX}scratch>"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

_OBJECTS = f'true, 1, 1.0e0, 1.5, "x", "x"@en, <{EX}o>, _:b, (1 2), "}}", "#", "\\""'
GLUE_TRIPLES = f"<{EX}s> <{EX}p> {_OBJECTS} .\n"
#: The service's data (TriG): the glue triples in the default graph and in ``ex:g``.
SERVICE_DATA = f"{GLUE_TRIPLES}GRAPH <{EX}g> {{ {GLUE_TRIPLES} }}\n"

REMOTE_LABEL = f"{EX}remote/label"
REMOTE_LABELS = ("remote one", "remote three", "remote two")
#: The allowed endpoint's data (Turtle).
ALLOWED_DATA = GLUE_TRIPLES + "".join(
    f'<{EX}remote/{n}> <{REMOTE_LABEL}> "{label}" .\n' for n, label in enumerate(REMOTE_LABELS)
)
