"""Canary run: the security suite's corpus against a running service.

    python bench/bench_canary.py http://127.0.0.1:8000/sparql [--token T]
                                 [--allowed URL] [--family NAME ...] [--scale 1.0]
                                 [--show 20]

Starts two canaries (TCP servers counting connections) on 127.0.0.1 and 127.0.0.2,
then sends every family of ``tests/security/attacks`` (the same generator, the same
derandomized draws as the tests) to the service, every way the protocol allows
(queries: GET, form POST, direct POST; updates: form and direct POST, with
``--token`` if given and without). Nothing fails: everything is counted. Prints the
operations and requests sent, the statuses by code, the canary connections, per
family, and the first ``--show`` attacks that reached a canary or got a 5xx.

The service must run on this machine (the canaries are on loopback addresses).
``--allowed`` is the endpoint the service allows for SERVICE (its
``eu_country_endpoint``); some attacks hide behind a call to it. Attacks that hide a
clause behind a triple pattern reach it only where the service's data matches the
pattern (the test suite loads such data; a real store may not).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests package

from mipex_kg.settings import Settings

from tests.security.attacks import FAMILIES, Attack, Family
from tests.security.canary import Canaries, canaries
from tests.security.dimensions import Targets
from tests.security.explore import explore
from tests.security.transport import finding, harmless, send


@dataclass
class Tally:
    """What one family's run produced."""

    operations: int = 0
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    connections: int = 0
    findings: list[str] = field(default_factory=list)


def run_family(family: Family, examples: int, targets: Targets, pair: Canaries,
               http: httpx.Client, url: str, token: str | None) -> Tally:
    """Send ``examples`` attacks of ``family``; count statuses and canary connections."""
    tally = Tally()
    pair.new_connections()

    def check(attack: Attack) -> None:
        outcomes = send(http, url, attack, token)
        connections = pair.new_connections()
        tally.requests += len(outcomes)
        tally.statuses.update(outcome.status for outcome in outcomes)
        tally.connections += connections
        if connections or not all(harmless(o) for o in outcomes):
            tally.findings.append(finding(attack, outcomes, connections))

    tally.operations = len(explore(family.strategy(targets), examples, check))
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url", help="the service's SPARQL endpoint URL")
    parser.add_argument("--token",
                        help="the service's update token (updates are also sent without)")
    parser.add_argument("--allowed", default=Settings.model_fields["eu_country_endpoint"].default,
                        help="the SERVICE endpoint the service allows (default: the setting's)")
    parser.add_argument("--family", action="append", choices=[f.name for f in FAMILIES],
                        help="only these families (repeatable; default: all)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="examples per family, as a multiple of the tests' count")
    parser.add_argument("--show", type=int, default=20, help="findings to print")
    args = parser.parse_args()

    families = [f for f in FAMILIES if not args.family or f.name in args.family]
    tallies: dict[str, Tally] = {}
    with canaries() as pair, httpx.Client(timeout=60) as http:
        targets = Targets((pair.first.host, pair.first.port),
                          (pair.second.host, pair.second.port), args.allowed)
        for family in families:
            examples = max(1, round(family.examples * args.scale))
            tallies[family.name] = run_family(family, examples, targets, pair, http, args.url,
                                              args.token)
        print_report(tallies, args.show)


def print_report(tallies: dict[str, Tally], show: int) -> None:
    statuses: Counter[int] = sum((t.statuses for t in tallies.values()), Counter())
    by_code = ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items()))
    print(f"operations sent:     {sum(t.operations for t in tallies.values())} distinct")
    print(f"requests sent:       {sum(t.requests for t in tallies.values())}")
    print(f"statuses:            {by_code}")
    print(f"canary connections:  {sum(t.connections for t in tallies.values())}")
    print(f"\n{'family':<26}{'operations':>11}{'requests':>10}{'connections':>13}  statuses")
    for name, t in tallies.items():
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(t.statuses.items()))
        print(f"{name:<26}{t.operations:>11}{t.requests:>10}{t.connections:>13}  {codes}")
    findings = [finding for t in tallies.values() for finding in t.findings]
    print(f"\nattacks that reached a canary or got a 5xx: {len(findings)}")
    if findings and show:
        print(f"the first {min(show, len(findings))}:")
        for finding in findings[:show]:
            print(f"  - {finding}")


if __name__ == "__main__":
    main()
