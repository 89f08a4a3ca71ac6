#!/usr/bin/env bash
# Installs what the test suite needs and is missing, idempotently: Debian packages libonnx-testdata (the older ONNX
# node suite), time (/usr/bin/time for bench/run.sh) and python3-venv (the LiteRT oracle's venv), as root or through
# sudo; then the real models into the model cache (models/fetch-models.sh --max-mb 100: all 12).
# Maven and Java 17 are assumed present.
#
# Usage: scripts/setup.sh [--strict]
#   --strict   fail when a package cannot be installed or a model cannot be fetched (CI); without it, warn and go on
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
strict=0
[[ "${1:-}" == "--strict" ]] && strict=1
warn() { echo "[setup] $*" >&2; if [[ $strict -eq 1 ]]; then exit 1; fi; }

missing=()
for p in libonnx-testdata time python3-venv; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo); else sudo=(none); fi
  fi
  if [[ "${sudo[*]:-}" == "none" ]]; then
    warn "missing Debian packages ${missing[*]} (run as root: apt-get install ${missing[*]})"
  else
    echo "[setup] installing ${missing[*]}" >&2
    if ! { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
           "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; }; then
      warn "could not install ${missing[*]}"
    fi
  fi
fi

# the tests look for shared/data beside the checkout or beside any folder above it (TestData.shared())
found=0
d="$root"
while [[ "$d" != "/" ]]; do
  if [[ -d "$(dirname "$d")/shared/data" ]]; then found=1; break; fi
  d="$(dirname "$d")"
done
if [[ -z "${ONNXPORT_SHARED:-}" && $found -eq 0 ]]; then
  warn "no ../shared/data beside the checkout and ONNXPORT_SHARED is unset: the node tests need it"
fi

"$root/models/fetch-models.sh" --max-mb 100 || warn "some real models could not be fetched (their tests are skipped)"
