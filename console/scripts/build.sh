#!/usr/bin/env bash
# Builds PacAI Console with the Tauri CLI: `build.sh` (debug, no bundle: what the tests run)
# or `build.sh --release` (optimised, with the platform's bundles). The cargo target dir lives
# outside the clone (CONSOLE_CARGO_TARGET_DIR, default ~/.cache/pacai/console-target) so that
# fresh clones on the same machine, CI's included, reuse the compiled dependencies. (The name
# has no PACAI_ prefix on purpose: the test suite clears PACAI_* variables.)
# The last line printed is the path of the built executable.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR="${CONSOLE_CARGO_TARGET_DIR:-$HOME/.cache/pacai/console-target}"
mkdir -p "$CARGO_TARGET_DIR"
cd "$here"
[ -x node_modules/.bin/tauri ] || npm ci --silent --no-audit --no-fund
if [ "${1:-}" = "--release" ]; then
  node_modules/.bin/tauri build >&2
  profile=release
else
  node_modules/.bin/tauri build --debug --no-bundle >&2
  profile=debug
fi
exe="$CARGO_TARGET_DIR/$profile/pacai-console"
[ -x "$exe" ] || exe="$exe.exe"
echo "$exe"
