#!/usr/bin/env bash
# Regenerates the SimpleDateFormat vectors with the machine's Java (17 expected) into this folder.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
javac -d "$work" "$here/GenerateDatePatternVectors.java"
java -cp "$work" -Duser.timezone=UTC GenerateDatePatternVectors "$here"
