#!/usr/bin/env bash
# Installs what the project needs and is missing: npm packages (with the pinned Node 24), Synapse into .venv, livekit-server.
# Called by `npm start`, `npm test` and the benchmarks; fast when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

SYNAPSE_VERSION=1.163.2
LIVEKIT_VERSION=v1.9.11
PSYCOPG2_VERSION=2.9.13
# The tests read our iCalendar feeds with an independent parser too.
ICALENDAR_VERSION=6.3.2

say() { printf 'schulhof bootstrap: %s\n' "$*" >&2; }

# npm packages, including the pinned Node 24 (the `node` devDependency) that every script runs on.
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi

# Synapse from the Python package index into .venv, version pinned, with the PostgreSQL driver as a
# binary wheel (psycopg2-binary: nothing to compile, no libpq headers needed).
# The `redis` extra (txredisapi, hiredis) lets Synapse run with workers (homeserver.workers, docs/scaling.md).
if ! .venv/bin/python -c "import sys, psycopg2, txredisapi, importlib.metadata as m; sys.exit(0 if m.version('matrix-synapse') == '$SYNAPSE_VERSION' and m.version('icalendar') == '$ICALENDAR_VERSION' else 1)" 2>/dev/null; then
  say "installing Synapse $SYNAPSE_VERSION with its redis extra (and icalendar for the tests) into .venv"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "matrix-synapse[redis]==$SYNAPSE_VERSION" "psycopg2-binary==$PSYCOPG2_VERSION" "icalendar==$ICALENDAR_VERSION"
fi

# Debian packages the tests (`--with-postgres`) need: installed when we may (root with apt-get, once more after
# `apt-get update` if the package lists are stale), else named with what needs them, and the bootstrap stops.
debian_install() { # WHY PACKAGE...
  local why="$1"
  shift
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    say "installing $* (Debian package, $why)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null; }
  else
    say "$1 is missing: install the Debian package $* ($why)"
    exit 1
  fi
}
# A package that starts its own service on install (Redis on 6379, Caddy's default site on 80): Schulhof starts what it needs itself.
stop_packaged_service() {
  { command -v systemctl >/dev/null 2>&1 && systemctl disable --now "$1" >/dev/null 2>&1; } || service "$1" stop >/dev/null 2>&1 || true
}

if [ "${1:-}" = "--with-postgres" ]; then
  # PostgreSQL's server binaries (the tests start their own cluster).
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || debian_install "the tests need its server binaries" postgresql
  # swaks, a real SMTP client, for the mail tests.
  command -v swaks >/dev/null 2>&1 || debian_install "the mail tests' SMTP client" swaks
  # openssl makes the district tests' CA and certificates at test time.
  command -v openssl >/dev/null 2>&1 || debian_install "the district tests' certificates" openssl
  # Redis for Synapse with workers: the workers test and bench:morning's worker run.
  if ! command -v redis-server >/dev/null 2>&1 && [ ! -x /usr/bin/redis-server ]; then
    debian_install "for Synapse with workers" redis-server
    stop_packaged_service redis-server
  fi
  # Chromium for the browser tests, driven by playwright-core (which downloads no browser of its own).
  [ -x /usr/bin/chromium ] || debian_install "the browser tests" chromium fonts-dejavu-core fonts-noto-color-emoji
  # restic for `schulhof backup` / `schulhof restore` and the ops tests.
  command -v restic >/dev/null 2>&1 || debian_install "backup and restore" restic
  # Caddy validates the generated Caddyfile in the ops tests; `schulhof install` uses it as the TLS proxy.
  if ! command -v caddy >/dev/null 2>&1; then
    debian_install "the TLS reverse proxy of a school's server" caddy
    stop_packaged_service caddy
  fi
  # rclone serves a restic REST repository on loopback for the remote-backup test (`rclone serve restic`).
  command -v rclone >/dev/null 2>&1 || debian_install "a remote restic repository for the backup test" rclone
fi

# livekit-server: one on PATH, else built with `go install` from the pinned tag into .tools/bin.
if ! command -v livekit-server >/dev/null 2>&1 && [ ! -x .tools/bin/livekit-server ]; then
  if command -v go >/dev/null 2>&1; then
    say "building livekit-server $LIVEKIT_VERSION with go install (once, takes a few minutes)"
    mkdir -p .tools/bin
    GOBIN="$PWD/.tools/bin" go install "github.com/livekit/livekit-server/cmd/server@$LIVEKIT_VERSION"
    mv .tools/bin/server .tools/bin/livekit-server
  else
    say "go is missing: livekit-server not installed, video will not start"
  fi
fi

# The web client, built with Vite when its sources are newer than the last build.
if [ -f web/src/main.ts ] && { [ ! -f web/dist/index.html ] || [ -n "$(find web/src web/index.html web/vite.config.ts web/public -newer web/dist/index.html -print -quit 2>/dev/null)" ]; }; then
  say "building the web client (vite)"
  npm run build --silent -w @schulhof/web >/dev/null
fi
