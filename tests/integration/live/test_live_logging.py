"""CONTRACT §6.7: JSON log records for each connection's opening (user, session, client IP,
request id), its authentication failures and its close (code, duration, messages in/out)."""

from __future__ import annotations

import time
from typing import Any

from tests.support.domain import (
    authenticate,
    close_code,
    create_account,
    recv_json,
    send_json,
    ws_connect,
)
from tests.support.server import ServerProcess


def records_of(server: ServerProcess, request_id: str, until: str, timeout: float = 10.0) -> list[dict[str, Any]]:
    """The pacai.ws records of one connection, once the record `until` has been written."""
    deadline = time.monotonic() + timeout
    while True:
        found = [r for r in server.log_records() if r.get("logger") == "pacai.ws" and r.get("request_id") == request_id]
        if any(r["event"] == until for r in found) or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def one(records: list[dict[str, Any]], event: str) -> dict[str, Any]:
    matching = [r for r in records if r["event"] == event]
    assert len(matching) == 1, (event, records)
    return matching[0]


def test_open_and_close_are_logged(live_server: ServerProcess, live_db: str) -> None:
    account = create_account(live_server, live_db)
    request_id = f"live-log-{time.time_ns()}"
    with ws_connect(live_server, additional_headers={"X-Request-ID": request_id}) as ws:
        authenticate(ws, account)
        for _ in range(2):
            send_json(ws, {"type": "ping"})
            assert recv_json(ws) == {"type": "pong"}
    records = records_of(live_server, request_id, "websocket closed")

    opened = one(records, "websocket authenticated")
    assert opened["user_id"] == account.user_id and opened["session_id"] == account.session_id
    assert opened["client_ip"] == "127.0.0.1" and opened["request_id"] == request_id
    assert opened["level"] == "info" and opened["timestamp"]

    closed = one(records, "websocket closed")
    assert closed["code"] == 1000
    assert closed["user_id"] == account.user_id and closed["session_id"] == account.session_id
    assert isinstance(closed["duration_s"], int | float) and closed["duration_s"] >= 0
    assert (closed["messages_in"], closed["messages_out"]) == (3, 3)  # auth + 2 pings; ready + 2 pongs
    assert len({r["connection"] for r in records}) == 1

    text = live_server.logs()
    assert account.access_token not in text and account.refresh_token not in text


def test_an_authentication_failure_is_logged(live_server: ServerProcess) -> None:
    request_id = f"live-log-fail-{time.time_ns()}"
    secret_looking = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.bm90LWEtcmVhbC1zaWduYXR1cmU"
    with ws_connect(live_server, additional_headers={"X-Request-ID": request_id}) as ws:
        send_json(ws, {"type": "auth", "token": secret_looking})
        assert close_code(ws) == 4401
    records = records_of(live_server, request_id, "websocket closed")
    failed = one(records, "websocket authentication failed")
    assert failed["client_ip"] == "127.0.0.1" and failed["reason"]
    closed = one(records, "websocket closed")
    assert closed["code"] == 4401 and closed["messages_in"] == 1 and closed["messages_out"] == 0
    assert secret_looking not in live_server.logs()


def test_a_server_side_close_is_logged_with_its_code(live_server: ServerProcess, live_db: str) -> None:
    free = create_account(live_server, live_db, tier="free")
    request_id = f"live-log-cap-{time.time_ns()}"
    with ws_connect(live_server) as a, ws_connect(live_server) as b:
        authenticate(a, free)
        authenticate(b, free)
        with ws_connect(live_server, additional_headers={"X-Request-ID": request_id}) as third:
            send_json(third, {"type": "auth", "token": free.access_token})
            assert close_code(third) == 4429
    records = records_of(live_server, request_id, "websocket closed")
    assert one(records, "websocket closed")["code"] == 4429
