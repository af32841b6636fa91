from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pacai.http.client_ip import resolve_client_ip

PROXIES = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8"))


def test_untrusted_peer_cannot_spoof() -> None:
    assert resolve_client_ip("203.0.113.9", "1.2.3.4", "5.6.7.8", PROXIES) == "203.0.113.9"
    assert resolve_client_ip("203.0.113.9", "1.2.3.4", None, ()) == "203.0.113.9"


def test_trusted_proxy_is_believed() -> None:
    assert resolve_client_ip("10.1.2.3", None, "198.51.100.7", PROXIES) == "198.51.100.7"
    assert resolve_client_ip("10.1.2.3", "198.51.100.7", None, PROXIES) == "198.51.100.7"


def test_forwarded_for_is_read_from_the_right() -> None:
    # The client prepended a fake hop; our proxies appended the real one.
    assert resolve_client_ip("10.0.0.1", "6.6.6.6, 198.51.100.7, 10.0.0.2", None, PROXIES) == "198.51.100.7"


@pytest.mark.parametrize("header", ["garbage", "", " , ", "999.1.1.1"])
def test_malformed_forwarded_for_falls_back_to_peer(header: str) -> None:
    assert resolve_client_ip("10.0.0.1", header, None, PROXIES) == "10.0.0.1"


@given(st.text(max_size=200), st.text(max_size=60))
def test_never_fails_on_any_header(xff: str, fly: str) -> None:
    result = resolve_client_ip("10.0.0.1", xff, fly, PROXIES)
    assert isinstance(result, str) and result


def test_unparsable_hop_is_not_skipped_over() -> None:
    assert resolve_client_ip("10.0.0.1", "1.2.3.4, garbage", None, PROXIES) == "10.0.0.1"


@pytest.mark.parametrize("written_by_client", ["garbage", "not-an-ip, 6.6.6.6", "1.2.3.4:99999:1", "[::1"])
def test_a_client_cannot_pass_for_the_proxy_with_an_unreadable_hop(written_by_client: str) -> None:
    """Garbage left of the address our proxy appended changes nothing: the client is still
    the address the proxy saw, not the proxy itself (which would share its budget)."""
    header = f"{written_by_client}, 203.0.113.9"
    assert resolve_client_ip("10.0.0.1", header, None, PROXIES) == "203.0.113.9"
    assert resolve_client_ip("10.0.0.1", f"{header}, 10.0.0.2", None, PROXIES) == "203.0.113.9"


def test_an_unreadable_hop_between_our_proxies_stops_at_the_nearest_one() -> None:
    assert resolve_client_ip("10.0.0.1", "203.0.113.9, garbage, 10.0.0.2", None, PROXIES) == "10.0.0.2"
