#!/usr/bin/env bash
# Runs every test of the workspace. This is the README's test command; CI runs it too.
# It starts the local AWS emulator (moto server, installed into ./.venv on first use) on
# 127.0.0.1 for the AWS adapters' tests, and stops it afterwards. Then the web console's
# browser tests (tests/browser) in Debian's headless Chromium, with Playwright and pytest in
# ./.venv (infra/install-browser-tests.sh installs what is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
bash infra/cfn-lint.sh
endpoint=$(bash infra/local-aws.sh start)
trap 'bash infra/local-aws.sh stop' EXIT
export POLLHOOK_AWS_ENDPOINT="$endpoint"
# The functions run under `cargo lambda watch` in tests/lambda (cargo-lambda from PyPI).
export PATH="$(bash infra/install-cargo-lambda.sh):$PATH"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
# Plain binaries first: the lambda_init bench's smoke starts target/debug/{create-instance,poll,
# deliver}, and the browser tests and Schemathesis run target/debug/pollhook of this tree.
cargo build --workspace --all-targets --features pollhook-core/aws
cargo test --workspace --all-targets --features pollhook-core/aws "$@"
# Schema-driven fuzzing: Schemathesis (./.venv) against a live `pollhook serve`, fixed seed.
POLLHOOK_BIN="$PWD/target/debug/pollhook" bash tests/schemathesis.sh
python=$(bash infra/install-browser-tests.sh)
POLLHOOK_BIN="$PWD/target/debug/pollhook" "$python" -m pytest tests/browser
