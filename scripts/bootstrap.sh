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

# PostgreSQL's server binaries (the tests start their own cluster): Debian's package, when we may install it.
if [ "${1:-}" = "--with-postgres" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    say "installing PostgreSQL (Debian package postgresql)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql >/dev/null; }
  else
    say "PostgreSQL is missing: install the Debian package postgresql (the tests need its server binaries)"
    exit 1
  fi
fi

# swaks (a real SMTP client from Debian) for the mail tests.
if [ "${1:-}" = "--with-postgres" ] && ! command -v swaks >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    say "installing swaks (Debian package, the mail tests' SMTP client)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends swaks >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends swaks >/dev/null; }
  else
    say "swaks is missing: install the Debian package swaks (the mail tests need it)"
    exit 1
  fi
fi

# openssl (Debian package) makes the district tests' CA and certificates at test time.
if [ "${1:-}" = "--with-postgres" ] && ! command -v openssl >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    say "installing openssl (Debian package, for the district tests' certificates)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends openssl >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends openssl >/dev/null; }
  else
    say "openssl is missing: install the Debian package openssl (the district tests need it)"
    exit 1
  fi
fi

# Redis (Debian package) for Synapse with workers: the workers test and bench:morning's worker run.
if [ "${1:-}" = "--with-postgres" ] && ! command -v redis-server >/dev/null 2>&1 && [ ! -x /usr/bin/redis-server ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    say "installing redis-server (Debian package, for Synapse with workers)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends redis-server >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends redis-server >/dev/null; }
    # Debian starts its own Redis on port 6379; Schulhof starts the one it needs, so the packaged service is stopped.
    { command -v systemctl >/dev/null 2>&1 && systemctl disable --now redis-server >/dev/null 2>&1; } || service redis-server stop >/dev/null 2>&1 || true
  else
    say "redis-server is missing: install the Debian package redis-server (the workers test needs it)"
    exit 1
  fi
fi

# Chromium (Debian's package) for the browser tests, driven by playwright-core (which downloads no browser of its own).
if [ "${1:-}" = "--with-postgres" ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Chromium (Debian package chromium, for the browser tests)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core fonts-noto-color-emoji >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core fonts-noto-color-emoji >/dev/null; }
  else
    say "Chromium is missing: install the Debian package chromium (the browser tests need it)"
    exit 1
  fi
fi

# restic (Debian package) for `schulhof backup` / `schulhof restore` and the ops tests.
if [ "${1:-}" = "--with-postgres" ] && ! command -v restic >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    say "installing restic (Debian package, for backup and restore)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends restic >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends restic >/dev/null; }
  else
    say "restic is missing: install the Debian package restic (the backup tests need it)"
    exit 1
  fi
fi

# Caddy (Debian package) validates the generated Caddyfile in the ops tests; `schulhof install` uses it as the TLS proxy.
if [ "${1:-}" = "--with-postgres" ] && ! command -v caddy >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    say "installing caddy (Debian package, the TLS reverse proxy of a school's server)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends caddy >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends caddy >/dev/null; }
    # Debian's package would serve its default site on port 80; here only the tests run Caddy, so the packaged service is stopped.
    { command -v systemctl >/dev/null 2>&1 && systemctl disable --now caddy >/dev/null 2>&1; } || service caddy stop >/dev/null 2>&1 || true
  else
    say "caddy is missing: install the Debian package caddy (the ops tests validate the generated Caddyfile with it)"
    exit 1
  fi
fi

# rclone (Debian package) serves a restic REST repository on loopback for the remote-backup test (`rclone serve restic`).
if [ "${1:-}" = "--with-postgres" ] && ! command -v rclone >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    say "installing rclone (Debian package, a remote restic repository for the backup test)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends rclone >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends rclone >/dev/null; }
  else
    say "rclone is missing: install the Debian package rclone (the remote backup test needs it)"
    exit 1
  fi
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
