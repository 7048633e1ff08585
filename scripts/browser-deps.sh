#!/usr/bin/env bash
# What the browser suite needs beyond the Python packages: Debian's Chromium at /usr/bin/chromium.
# Playwright's own browser builds are never downloaded (they cannot be fetched here); the suite drives
# the distribution's Chromium through `executable_path`. Installs it with apt when missing (as root, or
# with sudo); exits non-zero, loudly, when it cannot.
set -euo pipefail

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  echo "Chromium: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "ERROR: $CHROMIUM is missing and this user cannot install it (apt-get install chromium)" >&2; exit 1; }
  SUDO="sudo"
fi
command -v apt-get >/dev/null || { echo "ERROR: $CHROMIUM is missing and there is no apt-get to install it" >&2; exit 1; }
echo "Chromium is missing; installing Debian's chromium package"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
[ -x "$CHROMIUM" ] || { echo "ERROR: apt installed chromium but $CHROMIUM is still missing" >&2; exit 1; }
echo "Chromium: $("$CHROMIUM" --version 2>/dev/null)"
