#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium for the browser test of the HTML reports
# (tests/tests/report_render.rs), plus one font so text renders (and a screenshot is not
# blank for want of glyphs).
#
# Idempotent: a no-op when /usr/bin/chromium is already there. Runs `apt-get update` only
# when the package lists do not know `chromium` yet. Needs root (or sudo).
#
# Usage: scripts/install-browser.sh
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "install-browser: $(/usr/bin/chromium --version 2>/dev/null || echo chromium) already installed"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: apt-get not found; install Chromium as /usr/bin/chromium by hand" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install-browser: needs root (or sudo) to install chromium" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
# A fresh machine has empty lists: apt-cache then knows no candidate for chromium.
if ! apt-cache policy chromium 2>/dev/null | grep -q 'Candidate: [0-9]'; then
  $SUDO apt-get update -qq
fi
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core

/usr/bin/chromium --version
