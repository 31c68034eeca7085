"""The endpoint must never be turned against its network (security suite).

Black-box tests over HTTP: a corpus of queries and updates generated with hypothesis
hides ``SERVICE``, ``LOAD``, ``FROM``, ``USING`` (and protocol dataset parameters)
behind every disguise the SPARQL grammar allows, all pointing at *canaries* (TCP
servers that count connections); the service must refuse them or answer without
opening a single connection, and never with a server error. Positive controls show
that the allow-listed federation endpoint and LOAD source still answer, and an
allowed endpoint that redirects to a canary is not followed.

Helpers: ``canary`` (the counting servers), ``standin`` (the allowed endpoint, a real
``oxigraph serve``), ``data`` (what the service and the endpoint hold),
``dimensions`` (the disguises, option by option), ``attacks`` (the corpus families,
as hypothesis strategies), ``explore`` (the derandomized runner the tests and
``bench/bench_canary.py`` share), ``transport`` (one operation, every way the
protocol allows to send it), ``engine`` (an attack on the bare engine, to check the
corpus itself). Every test here carries the ``security`` marker.
"""
