#!/usr/bin/env bash
# Times `bin/onnxport convert MODEL --to tflite` on every real model of models/models.tsv that is in the model cache
# (models/fetch-models.sh fetches them): wall time and peak RSS from /usr/bin/time -v, RUNS runs each, median
# reported; writes docs/BENCHMARKS.md. Failed conversions are timed too and marked with their exit status.
#
# Usage: bench/run.sh [--runs N] [--out FILE] [NAME...]
# Environment: ONNXPORT (launcher, default bin/onnxport), ONNXPORT_MODELS (model cache, default
# ~/.cache/onnxport/models), JAVA_OPTS (passed on by the launcher).
# Builds cli/target/onnxport.jar (mvn -B -q -DskipTests package) when it is missing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
runs=3
doc="$root/docs/BENCHMARKS.md"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
bench_args "$@"
cache="${ONNXPORT_MODELS:-$HOME/.cache/onnxport/models}"
need_time
launcher

# Input shapes for models with symbolic dims (the same as RealModelTest's table); the Silero models also get their
# sample-rate input pinned to 16000 (--pin-input), which folds away the If on it.
declare -A SHAPES=(
  [ppocr-mobile-v2-cls]="x:1,3,48,192"
  [pplcnet-orientation]="x:1,3,224,224"
  [magika-standard-v3-3]="bytes:1,2048"
  [yolov8n-nudenet-320]="images:1,3,320,320"
  [mtcnn-onet]="input_3:1,48,48,3"
  [ppocrv4-det]="x:1,3,640,640"
  [ppocrv4-rec]="x:1,3,48,320"
  [minilm-l6-v2]="input_ids:1,16 attention_mask:1,16 token_type_ids:1,16"
  [silero-vad-v5]="input:1,512 state:2,1,128"
  [silero-vad-v6-op18]="input:1,512 state:2,1,128"
)
declare -A PINS=(
  [silero-vad-v5]="sr=16000"
  [silero-vad-v6-op18]="sr=16000"
)

work="$(mktemp -d "${TMPDIR:-/tmp}/onnxport-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT

rows=()
load="$(cut -d' ' -f1-3 /proc/loadavg)"
# JVM start-up and argument parsing alone
for _ in $(seq "$runs"); do timed "$onnxport" --version >>"$work/base.txt"; done
baseline="$(cut -d' ' -f2 "$work/base.txt" | median) s, $(cut -d' ' -f3 "$work/base.txt" | median | awk '{printf "%.0f", $1/1024}') MiB"

while IFS=$'\t' read -r name family _ _ _ _ _; do
  [[ "$name" == "name" || -z "$name" ]] && continue
  wanted "$name" || continue
  model="$cache/$name.onnx"
  if [[ ! -f "$model" ]]; then log "skip $name: not in $cache"; continue; fi
  args=(convert "$model" --to tflite -o "$work/out" -q)
  for s in ${SHAPES[$name]:-}; do args+=(--input-shape "$s"); done
  for p in ${PINS[$name]:-}; do args+=(--pin-input "$p"); done
  label="$name"
  timed_runs "${args[@]}"
  if [[ "$codes" == "0" ]]; then
    status="ok"
    out_kb="$(du -k "$work/out"/*.tflite 2>/dev/null | awk '{s+=$1} END {printf "%.1f", s/1024}')"
  else
    # first error line without the file name, and the op types that have no conversion
    why="$(awk 'NF {print; exit}' "$work/stderr.txt" | sed -e "s/^onnxport: error: //" -e "s/^file '[^']*': //" | cut -c1-160)"
    ops="$( (grep -o 'op [^ ]* has no TFLite conversion' "$work/stderr.txt" || true) | awk '{print $2}' | sort | uniq -c |
           sort -k1,1nr -k2 | awk '{printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1}')"
    if [[ -n "$ops" ]]; then why="$why (no conversion: $ops)"; fi
    why="${why//|/\\|}"
    status="exit $codes: $why"
    out_kb="–"
  fi
  wall="$(cut -d' ' -f2 "$work/runs.txt" | median)"
  wmin="$(awk 'NR == 1 || $2 < m {m = $2} END {print m}' "$work/runs.txt")"
  wmax="$(awk 'NR == 1 || $2 > m {m = $2} END {print m}' "$work/runs.txt")"
  rss="$(cut -d' ' -f3 "$work/runs.txt" | median | awk '{printf "%.0f", $1/1024}')"
  size="$(du -k "$model" | awk '{printf "%.1f", $1/1024}')"
  shapes="${SHAPES[$name]:-}${PINS[$name]:+ (pinned: ${PINS[$name]})}"
  rows+=("| $name | $family | $size | ${shapes:-(static)} | $wall ($wmin–$wmax) | $rss | $out_kb | $status |")
done <"$root/models/models.tsv"

java_version="$(java -version 2>&1 || true)"
cpu="$(lscpu 2>/dev/null | awk -F': *' '/^Model name/ {print $2; exit}')"
mem="$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
mkdir -p "$(dirname "$doc")"
{
  echo "# Benchmarks"
  echo
  echo "Conversion time and memory of \`bin/onnxport convert MODEL --to tflite\` on the real models of"
  echo "\`models/models.tsv\` (those in the model cache). Wall time and peak RSS (the whole JVM process) from"
  echo "\`/usr/bin/time -v\`; median of $runs runs (min–max in brackets). The time includes JVM start-up:"
  echo "\`bin/onnxport --version\` alone takes $baseline (median). A conversion that fails is timed up to its failure"
  echo "and shows its exit status and first error line."
  echo "Quantized conversions (\`--int8\`, \`--int16-activations\`, with calibration): [BENCHMARKS-INT8.md](BENCHMARKS-INT8.md)."
  echo
  echo "| model | family | ONNX MiB | --input-shape (--pin-input) | wall s | peak RSS MiB | .tflite MiB | result |"
  echo "| --- | --- | ---: | --- | ---: | ---: | ---: | --- |"
  if [[ ${#rows[@]} -eq 0 ]]; then echo "| (no model in $cache) | | | | | | | |"; else printf '%s\n' "${rows[@]}"; fi
  echo
  echo "## Machine"
  echo
  echo "* CPU: ${cpu:-unknown}, nproc $(nproc)"
  echo "* memory: $mem"
  echo "* load average before the runs: $load (other processes share the machine; times are noisy)"
  echo "* onnxport commit $commit, launcher ${onnxport#$root/}; JAVA_OPTS='${JAVA_OPTS:-}'"
  echo
  echo '```'
  echo "$ java -version"
  echo "$java_version"
  echo '```'
  echo
  echo "## Command"
  echo
  echo '```'
  echo "bench/run.sh --runs $runs${want:+ ${want[*]}}"
  echo "# per model, $runs times:"
  echo "/usr/bin/time -v bin/onnxport convert \$ONNXPORT_MODELS/<name>.onnx --to tflite -o <tmp> -q [--input-shape NAME:DIMS ...]"
  echo '```'
} >"$doc"
log "wrote ${doc#$root/}"
