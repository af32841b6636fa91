"""Every handler's dependencies resolve one at a time: Litestar starts an anyio task group
for each batch of two or more independent dependencies, a tenth of an authenticated
request (see `pacai.app`). A new handler that breaks the chain fails here."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar

from pacai.app import build_litestar
from pacai.settings import load_settings
from tests.conftest import TEST_JWT_SECRET


@pytest.fixture(scope="module")
def app() -> Litestar:
    return build_litestar(load_settings({"PACAI_ENV": "test", "PACAI_JWT_SECRET": TEST_JWT_SECRET}))


def batches(app: Litestar) -> dict[str, list[list[str]]]:
    found: dict[str, list[list[str]]] = {}
    for route in app.routes:
        path_parameters: Any = getattr(route, "path_parameters", {})
        handlers = getattr(route, "route_handlers", None) or [route.route_handler]  # a WebSocket route has one
        for handler in handlers:
            model = handler.create_kwargs_model(path_parameters=path_parameters)
            found[f"{route.path} {handler.handler_name}"] = [sorted(d.key for d in b) for b in model.dependency_batches]
    return found


def test_no_handler_resolves_two_dependencies_at_once(app: Litestar) -> None:
    found = batches(app)
    assert [name for name, layers in found.items() if any(len(layer) > 1 for layer in layers)] == []


def test_handlers_take_the_services_they_use(app: Litestar) -> None:
    found = batches(app)
    assert found["/v5/projects list_projects"] == [["projects"], ["principal"]]
    assert found["/v5/projects create"] == [["projects"], ["principal"], ["meta"]]
    assert found["/v5/audit list_entries"] == [["audit"]]
    assert found["/v5/ws live_socket"] == [["live"]]
    # Nothing takes the whole application context any more.
    assert not any("ctx" in layer for layers in found.values() for layer in layers)
