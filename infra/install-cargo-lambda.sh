#!/usr/bin/env bash
# Installs cargo-lambda (PyPI; it brings zig, the cross linker) into ./.venv if missing, the same
# venv infra/local-aws.sh uses, and prints the directory to put on PATH so `cargo lambda` works.
# Used by the test command (functions under `cargo lambda watch`) and by infra/lambda-build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv
if [ ! -x "$venv/bin/cargo-lambda" ]; then
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
  # Major version pinned: a new major may change flags or the output layout we read.
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'cargo-lambda>=1.9,<2' >&2
fi
echo "$PWD/$venv/bin"
