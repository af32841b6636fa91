#!/bin/sh
# The image's entrypoint: runs its command (`pacai serve`, `pacai db upgrade`, ...) as the
# unprivileged user $PACAI_USER (default pacai, uid 10001), never as root.
#
# A volume mounted at PACAI_DATA_DIR (a fly.io volume, a Docker named volume) arrives owned
# by root, where the unprivileged user cannot write its audit files. Started as root, this
# script gives that one directory (not its contents) to the user, then drops root for good
# (setpriv, no new privileges) before the command runs, as the official PostgreSQL and Redis
# images do. Started as any other user (docker run --user, Kubernetes runAsNonRoot), it
# changes nothing and runs the command as that user.
set -eu

if [ "$(id -u)" != 0 ]; then
    exec "$@"
fi

user="${PACAI_USER:-pacai}"
data_dir="${PACAI_DATA_DIR:-/data}"
mkdir -p "$data_dir"
if [ "$(stat -c %u "$data_dir")" != "$(id -u "$user")" ]; then
    chown "$user:$(id -gn "$user")" "$data_dir"
fi
HOME=$(getent passwd "$user" | cut -d: -f6)
export HOME
exec setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups --no-new-privs -- "$@"
