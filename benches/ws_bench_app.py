"""The ASGI app `benches/ws_load.py` serves: `/echo` echoes every message;
`/broadcast?role=receiver` registers a receiver; each message sent to
`/broadcast?role=sender` goes to every receiver, then the sender gets an `ok`."""

from __future__ import annotations

import contextlib
from typing import Any

receivers: dict[int, Any] = {}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "websocket":
        return
    await receive()  # websocket.connect
    query = scope["query_string"]
    if scope["path"] == "/broadcast" and query == b"role=receiver":
        # Registered before the 101 goes out, so the client knows it is in the audience.
        receivers[id(send)] = send
        try:
            await send({"type": "websocket.accept"})
            while (await receive())["type"] != "websocket.disconnect":
                pass
        finally:
            receivers.pop(id(send), None)
        return
    await send({"type": "websocket.accept"})
    sender = scope["path"] == "/broadcast"
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        if sender:
            event = {"type": "websocket.send", "text": message.get("text")}
            for deliver in list(receivers.values()):
                with contextlib.suppress(OSError):
                    await deliver(event)
            await send({"type": "websocket.send", "text": "ok"})
        else:
            await send(
                {
                    "type": "websocket.send",
                    "text": message.get("text"),
                    "bytes": message.get("bytes"),
                }
            )
