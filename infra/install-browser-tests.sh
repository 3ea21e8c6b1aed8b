#!/usr/bin/env bash
# Installs what the browser tests (tests/browser) need, only what is missing:
#   - Chromium from Debian's `chromium` package (/usr/bin/chromium) and a font, with apt-get
#     (CI is a fresh Debian machine, running as root); Playwright never downloads a browser;
#   - Playwright for Python and pytest into ./.venv, the same venv infra/local-aws.sh uses.
# axe-core is vendored (tests/browser/vendor/axe.min.js): nothing is fetched from npm.
# Prints the venv's python, to run pytest with.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-browser-tests: /usr/bin/chromium is missing; install Debian's chromium package (apt-get install chromium) as root" >&2
    exit 1
  fi
  echo "install-browser-tests: installing Debian's chromium package" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core >&2
fi
[ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
if ! "$venv/bin/python" -c 'import playwright, pytest' 2>/dev/null; then
  # Major versions pinned: a new major may change the API the tests use.
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'playwright>=1.40,<2' 'pytest>=8,<10' >&2
fi
echo "$PWD/$venv/bin/python"
