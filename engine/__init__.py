"""The bounded query engine: what every read of the service goes through.

    guard       whether an operation may reach the network, decided from a real
                SPARQL 1.1 parse (SERVICE, LOAD), before anything runs
    sandbox     the operating-system lock that keeps query workers off the network
    clients     who a request comes from (address, trusted reverse proxies)
    admission   per-client limits, the short-query lane, bounded queues (429/503)
"""
