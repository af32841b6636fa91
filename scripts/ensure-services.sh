#!/usr/bin/env bash
# Makes sure the real services the test suite talks to are running on this machine:
# PostgreSQL on 127.0.0.1:5432 (trust auth for local TCP, database `test`), Redis on
# 127.0.0.1:6379, SoftHSM2 (a PKCS#11 module), Node.js with npm, and wrk for load scripts.
# Starts what is installed but stopped; installs what is missing with apt (needs root).
set -euo pipefail

log() { printf 'ensure-services: %s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

APT_UPDATED=0
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    log "missing $*; install it (apt-get install $*) or run this script as root"
    exit 1
  fi
  if [ "$APT_UPDATED" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  log "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_postgres() {
  if port_open 5432; then return; fi
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    apt_install postgresql
    local hba
    hba=$(ls /etc/postgresql/*/main/pg_hba.conf | head -n1)
    # A fresh install asks for passwords on TCP; the suite's throwaway server trusts loopback.
    sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
  fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n1)
  log "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || pg_ctlcluster "$version" main start
  for _ in $(seq 1 50); do port_open 5432 && break; sleep 0.2; done
  port_open 5432 || { log "PostgreSQL did not start"; exit 1; }
  if have psql; then
    psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 \
      || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" >/dev/null || true
  fi
}

ensure_redis() {
  if port_open 6379; then return; fi
  have redis-server || apt_install redis-server
  log "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir "${TMPDIR:-/tmp}" --logfile "${TMPDIR:-/tmp}/pacai-redis.log"
  for _ in $(seq 1 50); do port_open 6379 && break; sleep 0.1; done
  port_open 6379 || { log "Redis did not start"; exit 1; }
}

ensure_softhsm() {
  [ -e /usr/lib/softhsm/libsofthsm2.so ] || apt_install softhsm2
}

ensure_node() {
  have node && have npm && return
  apt_install nodejs npm
}

ensure_tool() {  # command, package
  have "$1" || apt_install "$2"
}

ensure_postgres
ensure_redis
ensure_softhsm
ensure_node
ensure_tool redis-server redis-server
ensure_tool wrk wrk
log "PostgreSQL, Redis, SoftHSM2, Node.js and wrk are ready"
