"""The client's IP address (CONTRACT §4.5): the socket peer, unless a trusted proxy says otherwise."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _parse(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(addr: ipaddress.IPv4Address | ipaddress.IPv6Address, trusted: Sequence[Network]) -> bool:
    return any(addr.version == net.version and addr in net for net in trusted)


def resolve_client_ip(
    peer: str | None,
    forwarded_for: str | None,
    fly_client_ip: str | None,
    trusted: Sequence[Network],
) -> str:
    """The socket peer; behind a trusted proxy, the address that proxy vouches for.

    X-Forwarded-For is read from the right: each hop that is itself a trusted proxy is
    skipped, and the first untrusted address is the client (a client can prepend any
    addresses it likes, but cannot forge what our own proxies appended).
    """
    if peer is None:
        return "unknown"
    if not trusted:
        return peer
    peer_addr = _parse(peer)
    if peer_addr is None or not trusted or not _trusted(peer_addr, trusted):
        return peer
    if fly_client_ip:
        fly = _parse(fly_client_ip)
        if fly is not None:
            return str(fly)
    if forwarded_for:
        nearest = peer_addr
        for text in reversed([h for h in forwarded_for.split(",") if h.strip()]):
            hop = _parse(text)
            if hop is None:
                # Our proxies append readable addresses, so an unreadable hop was written by
                # whoever sits left of `nearest`: that proxy's view is all we can trust.
                return str(nearest)
            if not _trusted(hop, trusted):
                return str(hop)
            nearest = hop
        # Every hop is one of our proxies: the left-most is the furthest we can see.
        return str(nearest)
    return peer
