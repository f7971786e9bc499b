#!/usr/bin/env bash
# Installs the Debian packages fta needs when they are missing (run as root on Debian/Ubuntu).
#   scripts/deps.sh          build + test: libcurl, zlib, libsqlite3, sqlite3, libpq (PostgreSQL's client), the
#                            PostgreSQL server (the tests' second backend), openssl, python3, tzdata, redis-server,
#                            time, aiosmtpd and icalendar (PyPI)
#   scripts/deps.sh bench    also nginx (the benchmark's keep-alive receiver)
set -euo pipefail
pkgs=(libcurl4-openssl-dev zlib1g-dev libsqlite3-dev sqlite3 libpq-dev postgresql openssl python3 python3-pip ca-certificates curl tzdata redis-server time)
[ "${1:-}" = "bench" ] && pkgs+=(nginx-light)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# The mail tests talk to a real SMTP server: aiosmtpd, from PyPI.
if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
  echo "installing: aiosmtpd (pip)"
  python3 -m pip install -q --disable-pip-version-check aiosmtpd >/dev/null 2>&1 \
    || python3 -m pip install -q --disable-pip-version-check --break-system-packages aiosmtpd
fi
# The duty-calendar tests check fta-rota's iCalendar output with a real parser: icalendar, from PyPI.
if ! python3 -c 'import icalendar' 2>/dev/null; then
  echo "installing: icalendar (pip)"
  python3 -m pip install -q --disable-pip-version-check icalendar >/dev/null 2>&1 \
    || python3 -m pip install -q --disable-pip-version-check --break-system-packages icalendar
fi
