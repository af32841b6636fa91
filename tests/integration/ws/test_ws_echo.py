"""Echo tests driven by the `websockets` client against a real uvicorn process, run with
pacai's protocol and with uvicorn's own `websockets-sansio` and `wsproto` implementations:
the same client-visible behaviour and the same ASGI events prove they are interchangeable."""

from __future__ import annotations

import uuid

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from tests.integration.ws.conftest import Server


def new_id() -> str:
    return uuid.uuid4().hex


def test_text_and_binary_echo(server: Server) -> None:
    with connect(server.url()) as ws:
        for message in ["héllo wörld ✓ 𝄞", "", b"\x00\xff\x10", b""]:
            ws.send(message)
            assert ws.recv() == message


def test_large_messages_up_to_the_limit(server: Server) -> None:
    with connect(server.url(), max_size=None) as ws:
        binary = bytes(range(256)) * 256  # exactly 65536 bytes, the server's limit
        ws.send(binary)
        assert ws.recv() == binary
        text = "é" * 32768  # 65536 bytes of UTF-8
        ws.send(text)
        assert ws.recv() == text


def test_a_message_over_the_limit_closes_with_1009(server: Server) -> None:
    conn_id = new_id()
    with connect(server.url(conn_id=conn_id)) as ws:
        ws.send(b"x" * 65537)
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv()
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1009
    assert server.app_disconnect(conn_id)["code"] == 1009


def test_fragmented_messages_are_reassembled(server: Server) -> None:
    with connect(server.url()) as ws:
        ws.send(["frag", "men", "", "ted ✓"])
        assert ws.recv() == "fragmented ✓"
        ws.send([b"\x01", b"\x02\x03", b"\x04"])
        assert ws.recv() == b"\x01\x02\x03\x04"
        # A fragmented message near the limit (websockets-sansio with permessage-deflate
        # counts one byte too many at exactly the limit, so stay just under it).
        ws.send([b"a" * 30000, b"b" * 30000, b"c" * 5000])
        assert ws.recv() == b"a" * 30000 + b"b" * 30000 + b"c" * 5000


def test_ping_is_answered_with_the_same_payload(server: Server) -> None:
    with connect(server.url()) as ws:
        assert ws.ping(b"payload").wait(timeout=5)
        assert ws.ping(b"").wait(timeout=5)
        ws.send("still open")
        assert ws.recv() == "still open"


def test_pipelined_messages_keep_their_order(server: Server) -> None:
    with connect(server.url()) as ws:
        for i in range(2000):
            ws.send(f"message {i}")
        assert [ws.recv() for _ in range(2000)] == [f"message {i}" for i in range(2000)]


def test_client_close_with_code_and_reason(server: Server) -> None:
    conn_id = new_id()
    with connect(server.url(conn_id=conn_id)) as ws:
        ws.send("hi")
        assert ws.recv() == "hi"
        ws.close(4001, "client says bye")
        # The server echoed the close frame: the closing handshake completed.
        assert ws.protocol.close_rcvd is not None
        assert ws.protocol.close_rcvd.code == 4001
    seen = server.app_disconnect(conn_id)
    assert (seen["code"], seen["reason"]) == (4001, "client says bye")


def test_server_close_with_code_and_reason(server: Server) -> None:
    conn_id = new_id()
    with connect(server.url(conn_id=conn_id)) as ws:
        ws.send("close:4002:server says bye")
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv()
        assert closed.value.rcvd is not None
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4002, "server says bye")
    seen = server.app_disconnect(conn_id)
    assert (seen["code"], seen["reason"]) == (4002, "server says bye")


def test_subprotocol_and_accept_headers(server: Server) -> None:
    offered = [Subprotocol("pacai.v5"), Subprotocol("other")]
    with connect(server.url(), subprotocols=offered) as ws:
        assert ws.subprotocol == "pacai.v5"
        assert ws.response is not None
        assert ws.response.headers["x-echo"] == "1"
        if server.impl == "pacai":
            # No extension is negotiated, although the client offers permessage-deflate.
            assert "sec-websocket-extensions" not in ws.response.headers


def test_closing_before_accept_is_a_403(server: Server) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(server.url("/reject"))
    assert refused.value.response.status_code == 403


def test_denial_response(server: Server) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(server.url("/deny"))
    response = refused.value.response
    assert response.status_code == 401
    assert response.headers["x-denied"] == "yes"
    assert response.body == b"no entry"


def test_litestar_echo_route(server: Server) -> None:
    conn_id = new_id()
    with connect(server.url("/litestar/echo", conn_id), subprotocols=[Subprotocol("pacai.v5")]) as ws:
        assert ws.subprotocol == "pacai.v5"
        ws.send("from litestar ✓")
        assert ws.recv() == "from litestar ✓"
        ws.send(b"\x01\x02")
        assert ws.recv() == b"\x01\x02"
        ws.close(1000)
    assert server.app_disconnect(conn_id)["code"] == 1000


def test_no_crash_in_the_server_log(server: Server) -> None:
    with connect(server.url()) as ws:
        ws.send("x")
        ws.recv()
    assert "Traceback" not in server.log()
