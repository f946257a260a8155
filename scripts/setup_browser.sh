#!/usr/bin/env bash
# Install the headless browser the end-to-end tests drive: Debian's chromium (the test tool's
# own browser download is not used). Needs root (or sudo) for apt-get; fails loudly otherwise.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
        echo "chromium is missing and this user cannot install it: run 'apt-get install chromium' as root." >&2
        exit 1
    fi
fi
echo "Installing chromium (Debian package) for the browser tests ..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
test -x /usr/bin/chromium
