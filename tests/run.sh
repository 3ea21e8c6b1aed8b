#!/usr/bin/env bash
# Runs every test of the workspace. This is the README's test command; CI runs it too.
# Later issues add services here (the local AWS emulator), started and stopped by this script.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --all-targets "$@"
