"""GET /v5/ws: the WebSocket upgrade (CONTRACT §6.1). Public at the HTTP level: a browser
cannot set an Authorization header on an upgrade, so the JWT comes in the first message."""

from __future__ import annotations

from typing import Any

from litestar import WebSocket, websocket
from litestar.params import SkipValidation

from pacai.live.hub import LiveConnection, LiveHub


@websocket("/v5/ws", opt={"public": True})
async def live_socket(socket: WebSocket[Any, Any, Any], live: SkipValidation[LiveHub]) -> None:
    await LiveConnection(live, socket).run()
