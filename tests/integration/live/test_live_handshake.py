"""CONTRACT §6.1 and §6.2 against a running server: the upgrade (subprotocol, Origin) and
authentication by the first message only."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import httpx
import jwt
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.conftest import TEST_JWT_SECRET
from tests.integration.live.conftest import ALLOWED_ORIGIN
from tests.support.domain import (
    SUBPROTOCOL,
    Account,
    authenticate,
    close_code,
    create_account,
    login,
    recv_json,
    send_json,
    ws_connect,
)
from tests.support.server import ServerProcess


@pytest.fixture
def account(live_server: ServerProcess, live_db: str) -> Account:
    return create_account(live_server, live_db)


def resigned(token: str, **changes: Any) -> str:
    """The same token with changed claims, signed again with the server's test secret."""
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    claims.update(changes)
    return jwt.encode(claims, TEST_JWT_SECRET, algorithm="HS256", headers={"kid": header["kid"], "typ": header["typ"]})


# --- the upgrade (§6.1) ------------------------------------------------------------------------


def test_the_server_selects_the_subprotocol(live_server: ServerProcess, account: Account) -> None:
    with ws_connect(live_server) as ws:
        assert ws.subprotocol == SUBPROTOCOL
        assert ws.response is not None and ws.response.status_code == 101
        ready = authenticate(ws, account)
        assert ready == {
            "type": "ready",
            "session_id": account.session_id,
            "user_id": account.user_id,
            "tier": account.tier,
        }


def test_a_foreign_browser_origin_is_refused_before_the_upgrade(live_server: ServerProcess) -> None:
    for origin in ["https://evil.example.com", "http://app.example.com", "https://app.example.com.evil.net", "null"]:
        with pytest.raises(InvalidStatus) as refused, ws_connect(live_server, origin=origin):
            pass
        assert refused.value.response.status_code == 403, origin


def test_an_allowed_origin_and_no_origin_both_work(live_server: ServerProcess, account: Account) -> None:
    with ws_connect(live_server, origin=ALLOWED_ORIGIN) as ws:
        assert authenticate(ws, account)["user_id"] == account.user_id
    with ws_connect(live_server) as ws:  # no Origin header at all: not a browser
        assert authenticate(ws, account)["user_id"] == account.user_id


# --- authentication (§6.2) ----------------------------------------------------------------------


def test_bad_tokens_close_with_4401(live_server: ServerProcess, live_db: str, account: Account) -> None:
    now = int(time.time())
    revoked = create_account(live_server, live_db)
    with httpx.Client(base_url=live_server.url) as client:
        assert client.post("/v5/auth/logout", headers=revoked.headers).status_code == 204
    tokens = {
        "garbage": "not-a-token",
        "empty": "",
        "wrong secret": jwt.encode(
            jwt.decode(account.access_token, options={"verify_signature": False}),
            "another-secret-0123456789abcdef0123456789",
            algorithm="HS256",
            headers={"kid": jwt.get_unverified_header(account.access_token)["kid"], "typ": "at+jwt"},
        ),
        "expired": resigned(account.access_token, exp=now - 120, iat=now - 1000, nbf=now - 1000),
        "not yet valid": resigned(account.access_token, nbf=now + 600, iat=now),
        "wrong audience": resigned(account.access_token, aud="someone-else"),
        "unknown session": resigned(account.access_token, sid="00000000-0000-0000-0000-000000000000"),
        "revoked session": revoked.access_token,
    }
    for why, token in tokens.items():
        with ws_connect(live_server) as ws:
            send_json(ws, {"type": "auth", "token": token})
            assert close_code(ws) == 4401, why


@pytest.mark.parametrize(
    "first",
    [
        {"type": "ping"},
        {"type": "subscribe", "channel": "project:00000000-0000-0000-0000-000000000000"},
        {"type": "auth"},
        {"type": "auth", "token": 42},
        {"token": "x"},
        "not json",
        b"\x00binary",
    ],
    ids=["ping", "subscribe", "auth-without-token", "token-not-a-string", "no-type", "not-json", "binary"],
)
def test_a_first_message_that_is_not_auth_closes_with_4401(live_server: ServerProcess, first: Any) -> None:
    with ws_connect(live_server) as ws:
        if isinstance(first, dict):
            send_json(ws, first)
        else:
            ws.send(first)
        assert close_code(ws) == 4401


def test_nothing_within_10_s_closes_with_4401_and_no_other_credential_is_read(
    live_server: ServerProcess, account: Account
) -> None:
    """Three connections wait out the 10 s together: one silent, one carrying the token in a
    cookie and an Authorization header, one in the query string. None may be read: the only
    thing any of them receives is the close."""
    token = account.access_token
    with contextlib.ExitStack() as stack:
        silent = stack.enter_context(ws_connect(live_server))
        headers = stack.enter_context(
            ws_connect(
                live_server,
                additional_headers={
                    "Cookie": f"access_token={token}; token={token}",
                    "Authorization": f"Bearer {token}",
                },
            )
        )
        query = stack.enter_context(
            connect(f"{live_server.ws_url}?token={token}&access_token={token}", subprotocols=[SUBPROTOCOL])
        )
        for ws in (silent, headers, query):
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=20)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


def test_reauth_with_a_fresh_token_of_the_same_session(live_server: ServerProcess, account: Account) -> None:
    with ws_connect(live_server) as ws:
        authenticate(ws, account)
        with httpx.Client(base_url=live_server.url) as client:
            r = client.post("/v5/auth/refresh", json={"refresh_token": account.refresh_token})
            assert r.status_code == 200, r.text
            fresh = r.json()["access_token"]
        send_json(ws, {"type": "auth", "token": fresh})
        assert recv_json(ws) == {
            "type": "ready",
            "session_id": account.session_id,
            "user_id": account.user_id,
            "tier": account.tier,
        }
        send_json(ws, {"type": "ping"})
        assert recv_json(ws) == {"type": "pong"}


def test_reauth_with_another_sessions_token_closes_with_4401(live_server: ServerProcess, account: Account) -> None:
    other_session = login(live_server, account.email)
    assert other_session.session_id != account.session_id
    with ws_connect(live_server) as ws:
        authenticate(ws, account)
        send_json(ws, {"type": "auth", "token": other_session.access_token})
        assert close_code(ws) == 4401


def test_reauth_with_an_invalid_token_closes_with_4401(live_server: ServerProcess, account: Account) -> None:
    with ws_connect(live_server) as ws:
        authenticate(ws, account)
        send_json(ws, {"type": "auth", "token": "garbage"})
        assert close_code(ws) == 4401
