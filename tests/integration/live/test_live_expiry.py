"""CONTRACT §6.2: a connection closes with 4401 when its token expires, unless the client sent
a fresh token of the same session, which carries it to the new token's expiry. Short tokens
(30 s, no leeway) on a server of its own; the test waits out two expiries (about 40 s)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import jwt
import pytest
from websockets.sync.client import ClientConnection

from tests.support.domain import (
    authenticate,
    base_env,
    close_code,
    create_account,
    migrated_database,
    recv_json,
    running_servers,
    send_json,
    ws_connect,
)
from tests.support.server import ServerProcess

TTL = 30


@pytest.fixture(scope="module")
def expiry_db(database_factory: Callable[[], str]) -> str:
    return migrated_database(database_factory)


@pytest.fixture(scope="module")
def server(expiry_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = base_env(expiry_db, PACAI_ACCESS_TOKEN_TTL=str(TTL), PACAI_JWT_LEEWAY="0")
    with running_servers(tmp_path_factory.mktemp("expiry"), env) as (server,):
        yield server


def claims(token: str) -> dict[str, int]:
    decoded: dict[str, int] = jwt.decode(token, options={"verify_signature": False})
    return decoded


def wait_until(epoch: float) -> None:
    time.sleep(max(0.0, epoch - time.time()))


def alive(ws: ClientConnection) -> bool:
    send_json(ws, {"type": "ping"})
    return recv_json(ws) == {"type": "pong"}


def test_expiry_closes_and_reauth_extends(server: ServerProcess, expiry_db: str) -> None:
    account = create_account(server, expiry_db)
    first = claims(account.access_token)
    assert first["exp"] - first["iat"] == TTL
    with ws_connect(server) as plain, ws_connect(server) as renewed:
        authenticate(plain, account)
        authenticate(renewed, account)

        # A few seconds later, a fresh token of the same session (refresh keeps the session).
        wait_until(first["iat"] + 5)
        with httpx.Client(base_url=server.url) as client:
            r = client.post("/v5/auth/refresh", json={"refresh_token": account.refresh_token})
            assert r.status_code == 200, r.text
            fresh = r.json()["access_token"]
        second = claims(fresh)
        assert second["sid"] == account.session_id and second["exp"] > first["exp"] + 2
        send_json(renewed, {"type": "auth", "token": fresh})
        assert recv_json(renewed)["type"] == "ready"

        # Both are served until the first token nears its expiry...
        wait_until(first["exp"] - 3)
        assert alive(plain) and alive(renewed)
        # ...then the connection that did not renew is closed, the other is not.
        assert close_code(plain, first["exp"] - time.time() + 5) == 4401
        assert alive(renewed)

        # The expired token opens nothing.
        with ws_connect(server) as late:
            send_json(late, {"type": "auth", "token": account.access_token})
            assert close_code(late) == 4401

        # The renewed connection lives until its own token expires.
        assert close_code(renewed, second["exp"] - time.time() + 5) == 4401
