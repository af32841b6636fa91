"""CONTRACT §6.5 on one server: the message size limit (1009) and connections per tier (4429)."""

from __future__ import annotations

import contextlib
import json
import time

from websockets.exceptions import ConnectionClosed

from tests.integration.live.conftest import MAX_MESSAGE
from tests.support.domain import (
    authenticate,
    close_code,
    create_account,
    login,
    recv_json,
    send_json,
    ws_connect,
)
from tests.support.server import ServerProcess


def test_a_message_over_the_limit_closes_with_1009(live_server: ServerProcess, live_db: str) -> None:
    account = create_account(live_server, live_db)
    with ws_connect(live_server) as ws:
        authenticate(ws, account)
        fits = json.dumps({"type": "ping", "pad": ""})
        fits = fits[:-3] + '"' + "x" * (MAX_MESSAGE - len(fits)) + '"}'
        assert len(fits.encode()) == MAX_MESSAGE
        ws.send(fits)
        assert recv_json(ws) == {"type": "pong"}
        ws.send(fits[:-2] + 'x"}')
        assert close_code(ws) == 1009


def test_an_oversized_first_message_closes_with_1009(live_server: ServerProcess) -> None:
    with ws_connect(live_server) as ws:
        ws.send(json.dumps({"type": "auth", "token": "x" * MAX_MESSAGE}))
        assert close_code(ws) == 1009


def test_a_free_user_gets_two_connections_and_the_third_is_closed_with_4429(
    live_server: ServerProcess, live_db: str
) -> None:
    free = create_account(live_server, live_db, tier="free")
    with contextlib.ExitStack() as stack:
        first = stack.enter_context(ws_connect(live_server))
        second = stack.enter_context(ws_connect(live_server))
        for ws in (first, second):
            authenticate(ws, free)
        with ws_connect(live_server) as third:
            send_json(third, {"type": "auth", "token": free.access_token})
            assert close_code(third) == 4429
        # The first two are unaffected.
        for ws in (first, second):
            send_json(ws, {"type": "ping"})
            assert recv_json(ws) == {"type": "pong"}
        # Closing one frees its place (as soon as the server has seen the close).
        second.close()
        deadline = time.monotonic() + 10
        while True:
            with ws_connect(live_server) as again:
                send_json(again, {"type": "auth", "token": free.access_token})
                try:
                    reply = recv_json(again)
                except ConnectionClosed:
                    assert time.monotonic() < deadline, "the closed connection still counts"
                    time.sleep(0.1)
                    continue
                assert reply["type"] == "ready"
                break


def test_the_cap_counts_per_user_not_per_session(live_server: ServerProcess, live_db: str) -> None:
    free = create_account(live_server, live_db, tier="free")
    other_session = login(live_server, free.email)
    with ws_connect(live_server) as a, ws_connect(live_server) as b, ws_connect(live_server) as c:
        authenticate(a, free)
        authenticate(b, other_session)
        send_json(c, {"type": "auth", "token": other_session.access_token})
        assert close_code(c) == 4429


def test_creators_get_ten_connections(live_server: ServerProcess, live_db: str) -> None:
    creator = create_account(live_server, live_db, tier="creator")
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(ws_connect(live_server)) for _ in range(10)]
        for ws in sockets:
            authenticate(ws, creator)
        with ws_connect(live_server) as eleventh:
            send_json(eleventh, {"type": "auth", "token": creator.access_token})
            assert close_code(eleventh) == 4429
