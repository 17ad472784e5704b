#!/usr/bin/env bash
# Makes sure what the test suite needs is installed and running on this
# machine: headless Chromium (browser tests) and PostgreSQL on
# 127.0.0.1:5432 (each test gets its own schema). Node.js/npm and Go are
# expected to be installed. Safe to run repeatedly.
set -euo pipefail

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "test-deps: need root to run: $*" >&2; return 1; fi
}

if ! command -v chromium >/dev/null 2>&1; then
  echo "test-deps: installing chromium (Debian package) for the browser tests"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  if [ -d /etc/postgresql ]; then
    echo "test-deps: starting PostgreSQL"
    for v in /etc/postgresql/*; do
      as_root pg_ctlcluster --skip-systemctl-redirect "$(basename "$v")" main start || true
    done
  else
    echo "test-deps: installing PostgreSQL (Debian package)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    v=$(ls /etc/postgresql | head -1)
    as_root sed -i 's/^\(host.*127.0.0.1\/32\s*\)\S*$/\1trust/; s/^\(local\s*all\s*postgres\s*\)\S*$/\1trust/' "/etc/postgresql/$v/main/pg_hba.conf"
    as_root pg_ctlcluster --skip-systemctl-redirect "$v" main start
  fi
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432 >/dev/null || { echo "test-deps: PostgreSQL is not reachable on 127.0.0.1:5432" >&2; exit 1; }
