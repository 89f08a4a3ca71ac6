#!/usr/bin/env bash
# The project's test command (README, .ci/run):
#   1. scripts/setup.sh: installs what is missing (Debian packages when run as root or with sudo; the real models);
#      skipped with ONNXPORT_NO_SETUP=1
#   2. mvn -B -q verify: the whole build with every test (unit tests, ONNX node cases through the TFLite 2.6 JNI
#      interpreter and the ONNX round trip, the real models in the model cache)
#   3. conformance/run.sh: the LiteRT check of the converted files and docs/CONFORMANCE.md
# Steps 2 and 3 always both run; the exit status is non-zero when either failed.
#
# Usage: scripts/test.sh [extra Maven arguments, e.g. -o]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [[ "${ONNXPORT_NO_SETUP:-}" != 1 ]]; then scripts/setup.sh; fi

# results of an earlier run must not reach this run's report
rm -f conformance/target/conformance/results-*.jsonl
rm -rf cli/target/int8 cli/target/int16   # the int8 / 16x8 files and manifests the LiteRT check reads

export ONNXPORT_REPORT_COMMANDS="scripts/test.sh${*:+ $*}
# which runs, from the repository root:
mvn -B -q verify${*:+ $*}
conformance/run.sh   # venv from conformance/requirements.txt, then litert_check.py and report.py"

mvn_rc=0
mvn -B -q verify "$@" || mvn_rc=$?
conf_rc=0
conformance/run.sh || conf_rc=$?

# one plain closing line over every module's surefire reports: "N passed, N failed, N skipped"
python3 - <<'PY' || true
import glob, xml.etree.ElementTree as ET
t = f = e = s = 0
for p in glob.glob("*/target/surefire-reports/TEST-*.xml"):
    r = ET.parse(p).getroot()
    t += int(r.get("tests", 0)); f += int(r.get("failures", 0)); e += int(r.get("errors", 0)); s += int(r.get("skipped", 0))
print(f"tests: {t - f - e - s} passed, {f + e} failed, {s} skipped")
PY
echo "[test] mvn verify: exit $mvn_rc; conformance/run.sh: exit $conf_rc; report: docs/CONFORMANCE.md" >&2
if [[ $mvn_rc -ne 0 || $conf_rc -ne 0 ]]; then exit 1; fi
