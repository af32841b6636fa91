"""ASGI apps the WebSocket integration tests serve: a plain ASGI echo app and a Litestar
echo route. What each connection's app saw at the end (`websocket.disconnect` code and
reason) is recorded and served over HTTP at `/disconnects/<id>` so a test can check it."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from litestar import Litestar, WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect

Scope = dict[str, Any]
Message = dict[str, Any]

# id -> {"code", "reason"} of the websocket.disconnect the app received, and how many
# messages it received before.
disconnects: dict[str, dict[str, Any]] = {}


def connection_id(scope: Scope) -> str:
    return parse_qs(scope["query_string"].decode()).get("id", [""])[0]


async def echo(scope: Scope, receive: Any, send: Any) -> None:
    message = await receive()
    assert message["type"] == "websocket.connect"
    path = scope["path"]
    if path == "/reject":
        await send({"type": "websocket.close"})
        return
    if path == "/deny":
        await send(
            {
                "type": "websocket.http.response.start",
                "status": 401,
                "headers": [(b"content-type", b"text/plain"), (b"x-denied", b"yes")],
            }
        )
        await send({"type": "websocket.http.response.body", "body": b"no ", "more_body": True})
        await send({"type": "websocket.http.response.body", "body": b"entry"})
        return
    offered = scope["subprotocols"]
    await send(
        {
            "type": "websocket.accept",
            "subprotocol": offered[0] if offered else None,
            "headers": [(b"x-echo", b"1")],
        }
    )
    if path == "/flood":
        # Sends far more than the socket buffers hold; must not block the event loop.
        chunk = b"f" * 262144
        for _ in range(200):
            await send({"type": "websocket.send", "bytes": chunk})
        await send({"type": "websocket.send", "text": "flood done"})
    received = 0
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            disconnects[connection_id(scope)] = {
                "code": message["code"],
                "reason": message.get("reason") or "",
                "received": received,
            }
            return
        received += 1
        text = message.get("text")
        if text is not None and text.startswith("close:"):
            _, code, reason = text.split(":", 2)
            await send({"type": "websocket.close", "code": int(code), "reason": reason})
            continue
        if text == "raise":
            raise RuntimeError("the app failed on purpose")
        if text == "return":
            return
        reply = {"type": "websocket.send", "text": text, "bytes": message.get("bytes")}
        try:
            await send(reply)
        except OSError:
            # The connection failed after this message arrived (uvicorn raises
            # ClientDisconnected); the websocket.disconnect event is next.
            continue


@websocket("/litestar/echo")
async def litestar_echo(socket: WebSocket[Any, Any, Any]) -> None:
    await socket.accept(subprotocols="pacai.v5" if "pacai.v5" in socket.scope["subprotocols"] else None)
    try:
        while True:
            message = await socket.receive()
            if message["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(detail="", code=message["code"])
            if message.get("text") is not None:
                await socket.send_text(message["text"])
            else:
                await socket.send_bytes(message["bytes"])
    except WebSocketDisconnect as exc:
        disconnects[connection_id(socket.scope)] = {"code": exc.code, "reason": ""}


litestar_app = Litestar(route_handlers=[litestar_echo])


async def http(scope: Scope, receive: Any, send: Any) -> None:
    key = scope["path"].removeprefix("/disconnects/")
    found = disconnects.get(key)
    body = json.dumps(found).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200 if found is not None else 404,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def app(scope: Scope, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan" or scope["path"].startswith("/litestar/"):
        await litestar_app(scope, receive, send)
    elif scope["type"] == "http":
        await http(scope, receive, send)
    else:
        await echo(scope, receive, send)
