#!/usr/bin/env bash
# Schema-driven fuzzing of the API (issue 8, part 2): Schemathesis reads the OpenAPI document a
# live `pollhook serve` serves at /openapi.json and throws generated requests at every operation:
# the examples, the coverage and fuzzing phases, and stateful sequences that follow the
# document's links (register an instance, then read, patch, poll, list its events and polls,
# rotate its secret, delete it). Any 5xx, any answer that breaks its documented schema, status,
# content type or headers, any accepted request that the schema says is invalid, a resource
# still there after its DELETE, or a route that ignores the Authorization header fails the run.
#
#   tests/schemathesis.sh            -> exits non-zero on any failure; the report is in
#                                       target/schemathesis/ (JUnit XML and the server's log)
#
# POLLHOOK_BIN names the pollhook binary (default: builds target/debug/pollhook). A fixed seed
# and a bounded number of examples per operation keep the run reproducible and short (about a
# minute on 2 cores); POLLHOOK_ST_SEED and POLLHOOK_ST_MAX_EXAMPLES change them for a longer hunt.
#
# The server and Schemathesis run in a network namespace of their own with only a loopback
# interface: fuzzed instances name arbitrary vendor hosts and callback URLs, and the server's
# polls and deliveries to them must never leave the machine. Creating the namespace needs root
# (CI runs as root); without it the script refuses to run rather than fuzz with a network.
#
# Installs Schemathesis and openapi-spec-validator into ./.venv (the venv infra/local-aws.sh
# uses) when missing, before the namespace is entered.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv
out=target/schemathesis
seed=${POLLHOOK_ST_SEED:-20261125}
max_examples=${POLLHOOK_ST_MAX_EXAMPLES:-50}

if [ -z "${POLLHOOK_ST_IN_NETNS:-}" ]; then
  if [ ! -x "$venv/bin/st" ] || ! "$venv/bin/python" -c 'import openapi_spec_validator' 2>/dev/null; then
    [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
    # Major versions pinned: Schemathesis 4 changed the CLI's flags from 3.
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
      'schemathesis>=4.3,<5' 'openapi-spec-validator>=0.7,<1' >&2
  fi
  if [ -z "${POLLHOOK_BIN:-}" ]; then
    cargo build -p pollhook >&2
    POLLHOOK_BIN=$PWD/target/debug/pollhook
  fi
  if ! command -v ip >/dev/null; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "schemathesis.sh: 'ip' (iproute2) is missing; install Debian's iproute2 package as root" >&2
      exit 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends iproute2 >&2
  fi
  if ! unshare --net --mount true 2>/dev/null; then
    echo "schemathesis.sh: cannot create a network namespace (unshare --net needs root): refusing to fuzz a server that could reach the network" >&2
    exit 1
  fi
  mkdir -p "$out"
  # A mount namespace too, for the resolv.conf below.
  exec unshare --net --mount env POLLHOOK_ST_IN_NETNS=1 POLLHOOK_BIN="$POLLHOOK_BIN" bash "$0" "$@"
fi

# Inside the namespaces: only loopback, and it starts down. No name server either, so a vendor
# or callback host name fails at once instead of after a DNS timeout.
ip link set lo up
: >"$PWD/$out/resolv.conf"
mount --bind "$PWD/$out/resolv.conf" /etc/resolv.conf

organization=st-organization-secret
user=st-user-secret
dir=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

# `POST /instances/{id}/poll` answers once the poll is done: one attempt per vendor call (no
# backoff between retries) keeps a poll of a vendor that cannot be reached short.
POLLHOOK_ORGANIZATION_SECRET=$organization POLLHOOK_USER_SECRET=$user \
  POLLHOOK_SECRET_KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= RUST_LOG=warn \
  "$POLLHOOK_BIN" serve --listen 127.0.0.1:0 --db "$dir/pollhook.db" \
  --vendor-timeout-secs 5 --vendor-attempts 1 --delivery-timeout-secs 5 \
  >"$dir/stdout" 2>"$out/server.log" &
server_pid=$!
base=
for _ in $(seq 1 100); do
  base=$(sed -n 's/^pollhook listening on \(http:\/\/[0-9.:]*\)$/\1/p' "$dir/stdout")
  [ -n "$base" ] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
  sleep 0.1
done
if [ -z "$base" ]; then
  echo "schemathesis.sh: pollhook serve did not start; its log:" >&2
  cat "$out/server.log" >&2
  exit 1
fi

# The document is valid OpenAPI 3.1, and the seed bodies fit its instance body schema.
"$venv/bin/python" - "$base/openapi.json" tests/fixtures/sagecrm-seed.json tests/fixtures/sageone-seed.json <<'PY'
import json, sys, urllib.request
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator

with urllib.request.urlopen(sys.argv[1]) as answer:
    spec = json.load(answer)
if spec.get("openapi", "").split(".")[:2] != ["3", "1"]:
    sys.exit(f"openapi.json: expected OpenAPI 3.1, got {spec.get('openapi')!r}")
validate(spec, cls=OpenAPIV31SpecValidator)
body = Draft202012Validator(
    {"$ref": "#/components/schemas/NewInstance", "components": spec["components"]}
)
for path in sys.argv[2:]:
    with open(path) as f:
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in body.iter_errors(json.load(f))]
    if errors:
        sys.exit(f"{path} does not fit NewInstance:\n  " + "\n  ".join(errors))
print(f"openapi.json: valid OpenAPI {spec['openapi']}, {len(spec['paths'])} paths; the seed bodies fit NewInstance")
PY

started=$(date +%s)
status=0
# `positive_data_acceptance` is left out: a schema cannot say everything registration checks
# (which keys an element requires, whether a date pattern or a URL template parses), so a body
# that fits the schema may still be refused, with a 400 naming the field.
"$venv/bin/st" run "$base/openapi.json" \
  --header "Authorization: User $user, Organization $organization" \
  --checks all --exclude-checks positive_data_acceptance \
  --seed "$seed" --max-examples "$max_examples" \
  --request-timeout 30 \
  --report junit --report-dir "$out" \
  --no-color || status=$?
echo "schemathesis.sh: $(( $(date +%s) - started ))s, seed $seed, at most $max_examples examples per operation, exit $status"
if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "schemathesis.sh: pollhook serve died during the run; its log is in $out/server.log" >&2
  exit 1
fi
exit "$status"
