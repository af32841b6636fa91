#!/usr/bin/env bash
# Proves the Dockerfile's runtime stage without a Docker engine: build the wheel as the
# builder stage does, install only that wheel (with the Sentry extra) into a clean venv owned
# by a non-root user, run the release command and `pacai serve` through the image's
# entrypoint with PACAI_ENV=production and PORT=8080 against a DATABASE_URL, the audit key
# given as a secret (PACAI_AUDIT_KEY) and, when run as root, a root-owned data directory as a
# freshly mounted volume is, and require 200 from /v5/health from a server that is not root
# and owns its data directory.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PORT=${PACAI_PROOF_PORT:-8080}
ADMIN_URL=${PACAI_TEST_ADMIN_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
RUNTIME_PYTHON=${PACAI_RUNTIME_PYTHON:-/usr/bin/python3}
WORK=$(mktemp -d /tmp/pacai-runtime.XXXXXX)
DB="pacai_runtime_$(date +%s)_$$"
SERVER_PID=""
log() { printf 'prove-runtime: %s\n' "$*" >&2; }

cleanup() {
  # runuser does not pass SIGTERM on: stop the server processes themselves.
  pkill -TERM -f "$WORK/venv/bin/pacai serve" 2>/dev/null || true
  if [ -n "$SERVER_PID" ]; then
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  "$ROOT/.venv/bin/python" - "$ADMIN_URL" "$DB" <<'PY' || true
import sys, psycopg
with psycopg.connect(sys.argv[1], autocommit=True) as c:
    c.execute(f'DROP DATABASE IF EXISTS "{sys.argv[2]}" WITH (FORCE)')
PY
  rm -rf "$WORK"
}
trap cleanup EXIT

if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  log "port $PORT is taken; set PACAI_PROOF_PORT"
  exit 1
fi

log "building the wheel (release)"
"$ROOT/.venv/bin/maturin" build --release --locked --quiet --out "$WORK/wheels" --interpreter "$RUNTIME_PYTHON" >/dev/null
WHEEL=$(ls "$WORK"/wheels/pacai-*.whl)

# The runtime user: a system account without a login shell, like the image's uid 10001.
if [ "$(id -u)" = 0 ]; then
  RUN_USER=pacai-runtime
  id -u "$RUN_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$RUN_USER"
  as_user() { runuser -u "$RUN_USER" -- "$@"; }
else
  RUN_USER=$(id -un)
  as_user() { "$@"; }
fi
chmod 755 "$WORK"
mkdir -p "$WORK/home" "$WORK/data" "$WORK/venv"
# The data directory stays as it was made (root's, when root runs this): the entrypoint must
# hand it over, as it does with a new fly.io volume.
chown -R "$RUN_USER" "$WORK/home" "$WORK/wheels" "$WORK/venv"
export HOME="$WORK/home"

log "installing only the wheel into a clean venv as $RUN_USER"
as_user "$RUNTIME_PYTHON" -m venv "$WORK/venv"
as_user env HOME="$WORK/home" "$WORK/venv/bin/pip" install --quiet --disable-pip-version-check "${WHEEL}[sentry]"

"$ROOT/.venv/bin/python" - "$ADMIN_URL" "$DB" <<'PY'
import sys, psycopg
with psycopg.connect(sys.argv[1], autocommit=True) as c:
    c.execute(f'CREATE DATABASE "{sys.argv[2]}"')
PY
DATABASE_URL="${ADMIN_URL%/*}/$DB"
JWT_SECRET=$("$RUNTIME_PYTHON" -c 'import secrets; print(secrets.token_urlsafe(48))')
as_user "$WORK/venv/bin/pacai" keys generate --out "$WORK/home/audit-ed25519.pem" >/dev/null
AUDIT_KEY=$(cat "$WORK/home/audit-ed25519.pem")

# As the image runs: its entrypoint, started as whoever runs this script (root in CI).
RUN_ENV=(env -i PATH="$WORK/venv/bin:/usr/bin:/bin" HOME="$WORK/home" PACAI_ENV=production PORT="$PORT"
  HOST=127.0.0.1 PACAI_DATA_DIR="$WORK/data" PACAI_USER="$RUN_USER" DATABASE_URL="$DATABASE_URL"
  PACAI_JWT_SECRET="$JWT_SECRET" PACAI_AUDIT_KEY="$AUDIT_KEY" "$ROOT/scripts/docker-entrypoint.sh")

log "release command: pacai db upgrade"
"${RUN_ENV[@]}" pacai db upgrade

log "pacai serve on port $PORT"
"${RUN_ENV[@]}" pacai serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
STATUS=""
for _ in $(seq 1 150); do
  STATUS=$(curl -s -o "$WORK/health.json" -w '%{http_code}' "http://127.0.0.1:$PORT/v5/health" || true)
  [ "$STATUS" = 200 ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.2
done
if [ "$STATUS" != 200 ]; then
  log "no 200 from /v5/health (got '$STATUS'); server log:"
  cat "$WORK/server.log" >&2
  exit 1
fi
# Every process of the server (the CLI and its uvicorn process) must run without root.
SERVER_UIDS=$(pgrep -f "$WORK/venv/bin/pacai serve" | xargs -r ps -o uid= -p | tr -d ' ' | sort -u)
if [ -z "$SERVER_UIDS" ] || { [ "$(id -u)" = 0 ] && grep -qx 0 <<<"$SERVER_UIDS"; }; then
  log "the server runs as root (uids: ${SERVER_UIDS:-none found})"
  exit 1
fi
SERVER_UID=$(head -n1 <<<"$SERVER_UIDS")
# The entrypoint gave the data directory to the server's user, which wrote its audit file there.
DATA_OWNER=$(stat -c %u "$WORK/data")
if [ "$DATA_OWNER" != "$SERVER_UID" ] || ! ls "$WORK"/data/audit/*.jsonl >/dev/null 2>&1; then
  log "the data directory is not the server's (owner uid $DATA_OWNER, server uid $SERVER_UID) or has no audit file"
  ls -laR "$WORK/data" >&2
  exit 1
fi
# 200 means ok or degraded; a fresh production install has no licence yet, which is degraded.
"$RUNTIME_PYTHON" - "$WORK/health.json" <<'PY' || { log "unexpected health: $(cat "$WORK/health.json")"; exit 1; }
import json, sys
health = json.load(open(sys.argv[1]))
assert health["environment"] == "production", health
assert health["status"] in ("ok", "degraded"), health
assert health["checks"]["database"]["status"] == "ok" and health["checks"]["core"]["build"] == "release", health
PY
log "ok: $(cat "$WORK/health.json")"
log "runtime stage proven: wheel-only install, entrypoint, uid $SERVER_UID owning the data dir, PACAI_ENV=production, port $PORT, HTTP 200"
