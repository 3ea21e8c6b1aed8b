#!/usr/bin/env bash
# Builds the three Lambda functions (create-instance, poll, deliver) as they are deployed: arm64
# (Graviton) binaries named `bootstrap`, zipped by cargo-lambda; then checks each zip against the
# 8 MiB budget of issue 6, so a dependency that bloats a function fails CI.
#   infra/lambda-build.sh   -> target/lambda/<function>/bootstrap.zip; prints each size and
#                              writes one machine-readable line to target/lambda/zip-sizes.txt:
#                              `lambda-zip-bytes create-instance=N poll=N deliver=N`
# Installs cargo-lambda into ./.venv (infra/install-cargo-lambda.sh) and the aarch64 Rust target
# if missing. Exits 1 naming every function whose zip is over the budget.
set -euo pipefail
cd "$(dirname "$0")/.."
functions=(create-instance poll deliver)
limit_bytes=$((8 * 1024 * 1024))
target=aarch64-unknown-linux-gnu
lambda_dir=${CARGO_TARGET_DIR:-target}/lambda

# `cargo lambda` needs cargo-lambda and zig (the ziglang package, run by the venv's python).
PATH="$(bash infra/install-cargo-lambda.sh):$PATH"
export PATH
if ! rustup target list --installed | grep -qx "$target"; then
  rustup target add "$target"
fi

packages=()
for f in "${functions[@]}"; do packages+=(-p "$f"); done
# The lambda-release profile (root Cargo.toml): release optimized for size with thin LTO; plain
# --release (what `sam build` runs) gives 8.7 MiB for create-instance, over the budget.
cargo lambda build --profile lambda-release --arm64 --output-format zip \
  --lambda-dir "$lambda_dir" "${packages[@]}"

line=lambda-zip-bytes
over=()
for f in "${functions[@]}"; do
  zip=$lambda_dir/$f/bootstrap.zip
  if [ ! -f "$zip" ]; then
    echo "lambda-build: $zip was not produced" >&2
    exit 1
  fi
  bytes=$(stat -c %s "$zip")
  mib=$(awk -v b="$bytes" 'BEGIN { printf "%.2f", b / 1048576 }')
  echo "$f: $zip $bytes bytes ($mib MiB)"
  line+=" $f=$bytes"
  if [ "$bytes" -gt "$limit_bytes" ]; then
    over+=("$f ($mib MiB)")
  fi
done
echo "$line" | tee "$lambda_dir/zip-sizes.txt"

if [ "${#over[@]}" -gt 0 ]; then
  for o in "${over[@]}"; do echo "lambda-build: $o is over the 8 MiB budget" >&2; done
  exit 1
fi
