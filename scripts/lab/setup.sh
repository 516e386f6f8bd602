#!/usr/bin/env bash
# Installs the DR lab's servers from Debian/Ubuntu packages: PostgreSQL (primary and streaming
# standby), HAProxy (the global load balancer) and nginx (one web server per "region").
# Idempotent; run as root (CI: .ci/run and the dr-drill workflow's lab job call it).
# The distro services are neither enabled nor started: the lab runs its own instances with
# their own data directories and configuration in a temporary directory.
set -euo pipefail

packages=(postgresql haproxy nginx)

if [[ "$(id -u)" -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    exec sudo --preserve-env=DEBIAN_FRONTEND bash "$0" "$@"
  fi
  echo "scripts/lab/setup.sh: must run as root (apt-get install); try: sudo bash scripts/lab/setup.sh" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [[ ${#missing[@]} -gt 0 ]]; then
  export DEBIAN_FRONTEND=noninteractive
  # policy-rc.d 101 keeps the packages' maintainer scripts from starting the distro services
  # (they would hold port 80 and 5432 and are not used by the lab). Removed again on exit.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    created_policy=1
  fi
  trap 'if [[ $created_policy -eq 1 ]]; then rm -f "$policy"; fi' EXIT
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [[ -z "$pg_bin" || ! -x "$pg_bin/initdb" ]]; then
  echo "scripts/lab/setup.sh: PostgreSQL server binaries not found under /usr/lib/postgresql/<version>/bin" >&2
  exit 1
fi
id postgres >/dev/null 2>&1 || { echo "scripts/lab/setup.sh: the postgres user is missing after install" >&2; exit 1; }
command -v haproxy >/dev/null || { echo "scripts/lab/setup.sh: haproxy not on PATH" >&2; exit 1; }
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
[[ -x "$nginx_bin" ]] || { echo "scripts/lab/setup.sh: nginx not found" >&2; exit 1; }

echo "DR lab ready: $("$pg_bin/postgres" --version), $(haproxy -v | head -n 1), $("$nginx_bin" -v 2>&1)"
