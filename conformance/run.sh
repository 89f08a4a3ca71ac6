#!/usr/bin/env bash
# Checks the TFLite files the JVM conformance tests left in conformance/target/conformance/ in current LiteRT and
# writes docs/CONFORMANCE.md. Run the JVM tests first (scripts/test.sh does both).
#
# Creates (or reuses) a venv at conformance/.venv from conformance/requirements.txt; needs only python3 with venv
# and pip, and PyPI. Python is an oracle for the report only, never part of the product.
#
# Environment: PYTHON (default python3) creates the venv; ONNXPORT_REPORT_COMMANDS is the command text the report
# shows (scripts/test.sh sets it).
# Exit status: non-zero when the LiteRT check finds a failure the JVM tests did not (see litert_check.py).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
req="$here/requirements.txt"
py="${PYTHON:-python3}"

# (re)create the venv when it is missing, broken, or older than requirements.txt
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import sys' 2>/dev/null \
   || [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "[conformance] setting up $venv from $req" >&2
  rm -rf "$venv"
  "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
  echo "$want" >"$stamp"
fi

rc=0
"$venv/bin/python" "$here/litert_check.py" || rc=$?
"$venv/bin/python" "$here/report.py"
exit "$rc"
