#!/usr/bin/env bash
# Lints the SAM template with cfn-lint, as CI does (tests/run.sh calls this first).
#   infra/cfn-lint.sh [extra cfn-lint args]
# Installs cfn-lint into ./.venv if needed (the same venv infra/local-aws.sh puts moto in), runs
# `cfn-lint template.yaml`, and checks that the dashboard inlined in the template is still
# infra/dashboard.json (CloudFormation cannot read local files, so the body is a copy).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv

install() {
  if [ ! -x "$venv/bin/cfn-lint" ]; then
    python3 -m venv "$venv"
    # Major version pinned: a new major may change rules and fail CI on an unchanged template.
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'cfn-lint>=1.58,<2'
  fi
}

dashboard_matches() {
  "$venv/bin/python" - <<'PY'
import json, sys
from cfnlint.decode import decode

template, errors = decode("template.yaml")
if errors:
    sys.exit("template.yaml does not parse")
body = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
with open("infra/dashboard.json") as f:
    wanted = json.load(f)
if json.loads(body) != wanted:
    sys.exit("template.yaml: Dashboard's DashboardBody differs from infra/dashboard.json; "
             "copy the file's JSON into the template")
PY
}

install
"$venv/bin/cfn-lint" template.yaml "$@"
dashboard_matches
