"""CONTRACT §5.5 under concurrency: two clients override one project at once, on one
instance and on two instances sharing PostgreSQL and Redis. No override is lost, `version`
and `seq` neither skip nor repeat, and the log replays to the current checksum."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psycopg

from pacai import _core
from tests.support.domain import (
    Account,
    all_overrides,
    base_env,
    client_checksum,
    create_account,
    create_project,
    generate,
    login,
    migrated_database,
    private_redis_prefix,
    running_servers,
    world_of,
)
from tests.support.server import ServerProcess

PER_CLIENT = 50


async def fire(base_url: str, account: Account, project_id: str, tag: int) -> list[httpx.Response]:
    """All of one client's overrides in flight at once."""
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=httpx.Limits(max_connections=PER_CLIENT)) as c:
        return await asyncio.gather(
            *(
                c.post(
                    f"/v5/projects/{project_id}/overrides",
                    json={"ops": [{"op": "set_time", "hour": (tag * PER_CLIENT + i) % 24}]},
                    headers=account.headers,
                )
                for i in range(PER_CLIENT)
            )
        )


def race(servers: list[ServerProcess], database_url: str) -> None:
    owner = create_account(servers[0], database_url, tier="lifetime")
    second_session = login(servers[-1], owner.email)
    with servers[0].client(timeout=60) as client:
        project = create_project(client, owner, seed=99, params={"width": 16, "height": 16})
        pid = project["id"]
        generate(client, owner, pid)

        async def both() -> tuple[list[httpx.Response], list[httpx.Response]]:
            return await asyncio.gather(
                fire(servers[0].url, owner, pid, 0), fire(servers[-1].url, second_session, pid, 1)
            )

        first, second = asyncio.run(both())
        responses = first + second
        assert [r.status_code for r in responses] == [200] * (2 * PER_CLIENT), [
            r.text for r in responses if r.status_code != 200
        ][:3]
        versions = sorted(r.json()["version"] for r in responses)
        assert versions == list(range(1, 2 * PER_CLIENT + 1))
        assert all(r.json()["override"]["seq"] == r.json()["version"] for r in responses)

        current = world_of(client, owner, pid)
        assert current["version"] == 2 * PER_CLIENT
        assert client.get(f"/v5/projects/{pid}", headers=owner.headers).json()["version"] == 2 * PER_CLIENT
        log = all_overrides(client, owner, pid)
        assert [o["seq"] for o in log] == list(range(1, 2 * PER_CLIENT + 1))
        assert sorted(o["id"] for o in log) == sorted(r.json()["override"]["id"] for r in responses)
        # The last override applied is the one whose checksum is current.
        last = max(responses, key=lambda r: r.json()["version"])
        assert last.json()["checksum"] == current["checksum"] == client_checksum(current)

        # The log replays to the current world.
        with psycopg.connect(database_url) as conn:
            row = conn.execute(
                "SELECT g.world FROM generations g JOIN world_snapshots s ON s.generation_id = g.id "
                "WHERE s.project_id = %s",
                (pid,),
            ).fetchone()
        assert row is not None
        world = bytes(row[0])
        checksum = ""
        for entry in log:
            world, checksum, _ = _core.apply_overrides(world, json.dumps(entry["ops"]).encode())
        assert checksum == current["checksum"]


def test_two_clients_on_one_instance(database_factory: Callable[[], str], tmp_path: Path) -> None:
    db = migrated_database(database_factory)
    with running_servers(tmp_path, base_env(db)) as servers:
        race(servers, db)


def test_two_clients_on_two_instances_sharing_postgres_and_redis(
    database_factory: Callable[[], str], redis_url: str, tmp_path: Path
) -> None:
    db = migrated_database(database_factory)
    with private_redis_prefix(redis_url) as prefix:
        env: dict[str, Any] = base_env(db, REDIS_URL=redis_url, PACAI_REDIS_PREFIX=prefix)
        with running_servers(tmp_path, env, env) as servers:
            race(servers, db)
