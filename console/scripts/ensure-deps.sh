#!/usr/bin/env bash
# Installs what building and testing PacAI Console needs on Debian/Ubuntu, and only what is
# missing: the WebKitGTK/GTK/librsvg development libraries (Tauri 2 on Linux), WebKitWebDriver
# and Xvfb (the driven UI test), ImageMagick's `import` (screenshots), the Tauri CLI from npm
# (pinned in console/package.json + package-lock.json) and tauri-driver (cargo install --locked).
# apt needs root; everything else installs as the current user.
set -euo pipefail

TAURI_DRIVER_VERSION=2.1.0
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { printf 'console ensure-deps: %s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

packages=(
  libwebkit2gtk-4.1-dev  # the webview (WebKitGTK 4.1 with libsoup 3)
  libgtk-3-dev           # the window
  librsvg2-dev           # SVG icons in GTK
  libssl-dev             # openssl-sys, pulled in by Tauri's dependency tree
  build-essential        # cc and ld for the -sys crates
  pkg-config             # finds the libraries above
  webkit2gtk-driver      # WebKitWebDriver, behind tauri-driver
  xvfb                   # a display for the UI test
  xauth                  # xvfb-run needs it
  imagemagick            # `import -window root` screenshots
)
missing=()
for package in "${packages[@]}"; do
  installed "$package" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    log "missing ${missing[*]}; run: sudo apt-get install ${missing[*]}"
    exit 1
  fi
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

have node && have npm || { log "Node.js and npm are needed (scripts/ensure-services.sh installs them)"; exit 1; }
if [ ! -x "$here/node_modules/.bin/tauri" ]; then
  log "installing the Tauri CLI (npm ci)"
  (cd "$here" && npm ci --silent --no-audit --no-fund)
fi

# tauri-driver has no --version; cargo's own list of installed crates says which one is there.
if ! have tauri-driver || ! cargo install --list | grep -q "^tauri-driver v$TAURI_DRIVER_VERSION:"; then
  log "installing tauri-driver $TAURI_DRIVER_VERSION (cargo install --locked)"
  cargo install --locked --quiet tauri-driver --version "$TAURI_DRIVER_VERSION"
fi
log "ready: tauri-driver $TAURI_DRIVER_VERSION, $("$here/node_modules/.bin/tauri" --version)"
