#!/usr/bin/env bash
# Install the Debian packages named as arguments, but only those missing.
#
# Runs `apt-get update` only when something is missing, never asks questions
# (works with no stdin, as in CI), and never fails the build: when it cannot
# install (not Debian/Ubuntu, not root) it prints what to do and exits 0, so
# the tests that need the package skip with a reason instead.
set -euo pipefail

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "note: not a Debian-like system; install these yourself if you want them: $*" >&2
  exit 0
fi

missing=()
for pkg in "$@"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "note: missing system packages: ${missing[*]}" >&2
  echo "      install them with: sudo apt-get install ${missing[*]}" >&2
  echo "      (continuing: tests that need them will be skipped)" >&2
  exit 0
fi

echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update </dev/null
apt-get install -y "${missing[@]}" </dev/null
