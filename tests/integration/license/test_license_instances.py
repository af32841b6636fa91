"""CONTRACT §8.3: a licence installed on one instance applies on every instance within 5 s
(two server processes sharing PostgreSQL and Redis)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.server import ServerProcess
from tests.support.trust import (
    LICENSE_APPLIED_WITHIN,
    bearer,
    login,
    register,
    sign_license,
    strong_password,
    wait_for,
)

from .conftest import Licensed, Vendor, make_licensed

OPS = [{"op": "set_time", "hour": 22}]


def test_a_licence_put_on_one_instance_applies_on_the_other(
    fresh_url: str, redis_url: str, redis_prefix: str, tmp_path: Path, vendor: Vendor
) -> None:
    shared = {"REDIS_URL": redis_url, "PACAI_REDIS_PREFIX": redis_prefix}
    a = make_licensed(fresh_url, tmp_path, vendor, "a", **shared)
    b = ServerProcess(a.env, tmp_path / "b-data", tmp_path / "b.log").start()
    b_setup = Licensed(fresh_url, b, a.env, a.admin_email, a.admin_password, a.admin_id, a.tokens)
    try:
        with b.client() as c:
            email, password = "worker@example.com", strong_password()
            assert register(c, email, password).status_code == 201
            user = bearer(login(c, email, password))
            pid = c.post("/v5/projects", json={"name": "Shared", "seed": 9}, headers=user).json()["id"]
            refused = c.post(f"/v5/projects/{pid}/generate", json={}, headers=user)
            assert refused.status_code == 403 and refused.json()["code"] == "license_required"
        assert b_setup.view()["status"] == "missing"

        response = a.put(sign_license(vendor.private, license_id="lic-shared", seats=10))
        assert response.status_code == 200

        def applied_on_b() -> dict[str, Any] | None:
            view = b_setup.view()
            return view if view["license_id"] == "lic-shared" else None

        view = wait_for(applied_on_b, timeout=LICENSE_APPLIED_WITHIN)
        assert view["status"] == "valid" and view == a.view()
        with b.client() as c:
            assert c.post(f"/v5/projects/{pid}/generate", json={}, headers=user).status_code == 200
            assert c.post(f"/v5/projects/{pid}/overrides", json={"ops": OPS}, headers=user).status_code == 200
            assert c.get("/v5/health").json()["checks"]["license"]["status"] == "ok"
    finally:
        b.stop()
        a.server.stop()
