"""GET /v5/ws: the WebSocket upgrade (CONTRACT §6.1). Public at the HTTP level: a browser
cannot set an Authorization header on an upgrade, so the JWT comes in the first message."""

from __future__ import annotations

from typing import Any

from litestar import WebSocket, websocket

from pacai.context import Ctx
from pacai.live.hub import LiveConnection


@websocket("/v5/ws", opt={"public": True})
async def live_socket(socket: WebSocket[Any, Any, Any], ctx: Ctx) -> None:
    await LiveConnection(ctx.live, socket).run()
