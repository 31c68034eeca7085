"""The endpoint must never be turned against its network (security suite).

Black-box tests over HTTP: a corpus of queries and updates generated with hypothesis
hides ``SERVICE``, ``LOAD``, ``FROM`` and ``USING`` behind every disguise the SPARQL
grammar allows, all pointing at *canaries* (TCP servers that count connections);
the service must refuse them or answer without opening a single connection. Positive
controls show the allow-listed federation endpoint still answers.

Modules: ``canary`` (the counting servers), ``standin`` (the allowed endpoint, a real
``oxigraph serve``), ``attacks`` (the corpus generator), ``explore`` (the derandomized
runner the tests and ``bench/bench_canary.py`` share), ``transport`` (one operation,
every way the protocol allows to send it).
"""
