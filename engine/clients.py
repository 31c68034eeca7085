"""Who a request comes from: the address the limits of ``engine.admission`` count by.

The client is the peer address of the connection, unless that peer is a trusted
reverse proxy (setting ``MIPEX_KG_TRUSTED_PROXIES``: addresses or CIDR networks).
Then ``X-Forwarded-For`` is read from the right, skipping trusted proxies, and the
first address that is not one is the client: entries further left were written by
the client itself and prove nothing. From an untrusted peer the header is ignored,
so a client cannot pose as many clients by writing it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from starlette.types import Scope

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ClientIdentity:
    """Maps a request's connection and headers to the client it counts as."""

    def __init__(self, trusted_proxies: Iterable[str] = ()) -> None:
        """``trusted_proxies``: addresses or networks, e.g. ``127.0.0.1``, ``10.0.0.0/8``.

        Raises:
            ValueError: an entry is not an address or network.
        """
        self.trusted: tuple[Network, ...] = tuple(
            ipaddress.ip_network(entry.strip(), strict=False) for entry in trusted_proxies
        )

    def is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted)

    def of(self, scope: Scope) -> str:
        """The client of an ASGI request scope."""
        peer = scope.get("client")
        address = peer[0] if peer else "unknown"
        if not self.trusted or not self.is_trusted(address):
            return address
        forwarded = [value.decode("latin-1") for key, value in scope.get("headers", ())
                     if key == b"x-forwarded-for"]
        return self.from_chain(address, forwarded)

    def from_chain(self, peer: str, headers: Sequence[str]) -> str:
        """The rightmost address of the ``X-Forwarded-For`` chain that is not a proxy."""
        chain = [part.strip() for header in headers for part in header.split(",")]
        for hop in reversed(chain):
            if not hop:
                continue
            if not self.is_trusted(hop):
                try:
                    return str(ipaddress.ip_address(hop))
                except ValueError:
                    return hop[:64]  # "unknown", an obfuscated name: counted as given
        return peer
