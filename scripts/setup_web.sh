#!/usr/bin/env bash
# Setup of the help widget page (web/) and its browser test. Called by scripts/setup.sh; idempotent.
#   - npm packages of web/package.json (socket.io-client served to the page, playwright-core for
#     the browser test): `npm ci`, skipped when web/node_modules already matches the lockfile;
#   - Debian's chromium and a CJK font (headless browser test, screenshots), unless SZ_SKIP_BROWSER=1.
# Missing tools are reported, not fatal: the assistant runs without the page. The browser test
# skips without them, except under CI=true where that is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
WEB=$PWD/web

say() { echo "setup_web: $*"; }
warn() { echo "setup_web: WARNING: $*" >&2; }

apt_install() {  # packages...
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    warn "missing $*; install with: sudo apt-get install $*"
    return 1
  fi
  say "installing $* with apt-get (first time only)"
  apt-get install -y -q --no-install-recommends "$@" >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends "$@" >/dev/null; } \
    || { warn "could not install $*; install it yourself (Debian: apt-get install $*)"; return 1; }
}

# ---- Node.js and npm ------------------------------------------------------------------------
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  warn "Node.js/npm not found: the help page needs web/node_modules (socket.io-client) and the browser test needs playwright-core."
  apt_install nodejs npm || true
fi
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$node_major" -lt 18 ]; then
    warn "Node.js $(node --version) is too old (18 or newer is needed); skipping npm packages"
  else
    lock="$WEB/package-lock.json"
    stamp="$WEB/node_modules/.sz-lock.sha256"
    want=$(cat "$WEB/package.json" "$lock" 2>/dev/null | sha256sum | cut -d' ' -f1)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$WEB/node_modules/socket.io-client/dist/socket.io.min.js" ]; then
      : # node_modules matches the lockfile
    else
      say "installing web/ npm packages"
      if [ -f "$lock" ]; then
        (cd "$WEB" && npm ci --no-audit --no-fund --loglevel=error)
      else
        (cd "$WEB" && npm install --no-audit --no-fund --loglevel=error)
      fi
      want=$(cat "$WEB/package.json" "$lock" 2>/dev/null | sha256sum | cut -d' ' -f1)
      echo "$want" > "$stamp"
    fi
  fi
else
  warn "Node.js and npm are missing: the help page cannot load its chat client and the browser test will be skipped (Debian: apt-get install nodejs npm)."
fi

# ---- Chromium for the browser test ------------------------------------------------------------
if [ "${SZ_SKIP_BROWSER:-0}" != 1 ]; then
  if [ ! -x /usr/bin/chromium ]; then
    apt_install chromium || warn "no /usr/bin/chromium: the browser test will be skipped (a failure under CI=true)"
  fi
  if command -v fc-list >/dev/null 2>&1 && [ -z "$(fc-list :lang=zh 2>/dev/null | head -1)" ]; then
    apt_install fonts-noto-cjk || warn "no Chinese font: screenshots will show boxes instead of characters"
  fi
fi
exit 0
