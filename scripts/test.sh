#!/usr/bin/env bash
# The project's test command: the whole Maven build with every test (unit tests, ONNX node cases through the TFLite
# 2.6 JNI interpreter and the ONNX round trip, real models when they are in the model cache), then the conformance
# script (LiteRT check of the converted files, docs/CONFORMANCE.md). Both always run; the exit status is non-zero
# when either failed.
#
# Usage: scripts/test.sh [extra Maven arguments, e.g. -o]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# results of an earlier run must not reach this run's report
rm -f conformance/target/conformance/results-*.jsonl

export ONNXPORT_REPORT_COMMANDS="scripts/test.sh${*:+ $*}
# which runs, from the repository root:
mvn -B -q verify${*:+ $*}
conformance/run.sh   # venv from conformance/requirements.txt, then litert_check.py and report.py"

mvn_rc=0
mvn -B -q verify "$@" || mvn_rc=$?
conf_rc=0
conformance/run.sh || conf_rc=$?

echo "[test] mvn verify: exit $mvn_rc; conformance/run.sh: exit $conf_rc; report: docs/CONFORMANCE.md" >&2
if [[ $mvn_rc -ne 0 || $conf_rc -ne 0 ]]; then exit 1; fi
