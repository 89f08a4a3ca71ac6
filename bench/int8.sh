#!/usr/bin/env bash
# Times the quantized conversions of the real image models (the options of docs/QUANTIZATION.md's table):
# `bin/onnxport convert MODEL --to tflite --int8 --calib coco20 ...` (int8) and the same with --int16-activations
# (16x8): calibration in onnxruntime over the 20 images, quantization and both files written. Wall time and peak RSS
# (whole JVM process) from /usr/bin/time -v, median of RUNS runs; writes docs/BENCHMARKS-INT8.md.
#
# Usage: bench/int8.sh [--runs N] [--out FILE] [NAME...]
# Environment: ONNXPORT (launcher, default bin/onnxport), ONNXPORT_MODELS (model cache, default
# ~/.cache/onnxport/models), ONNXPORT_DATA (folder holding coco20/, default ../shared/data beside the checkout).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
runs=1
doc="$root/docs/BENCHMARKS-INT8.md"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
bench_args "$@"
cache="${ONNXPORT_MODELS:-$HOME/.cache/onnxport/models}"
export ONNXPORT_DATA="${ONNXPORT_DATA:-$(dirname "$root")/shared/data}"
need_time
launcher
if [[ ! -f "$ONNXPORT_DATA/coco20/coco20_uint8_20x128x128x3.npy" ]]; then log "no coco20 in $ONNXPORT_DATA (set ONNXPORT_DATA)"; exit 2; fi

imagenet="--calib-mean 0.485,0.456,0.406 --calib-std 0.229,0.224,0.225"
declare -A OPTS=(
  [ppocr-mobile-v2-cls]="--input-shape x:1,3,48,192 --calib-mean 0.5 --calib-std 0.5"
  [pplcnet-orientation]="--batch 1 $imagenet"
  [mtcnn-onet]="--batch 1 --calib-mean 0.5 --calib-std 0.50196"
  [yolov8n-nudenet-320]="--input-shape images:1,3,320,320"
  [picodet-layout-cdla]="$imagenet"
  [u2netp]="$imagenet"
)
order=(ppocr-mobile-v2-cls pplcnet-orientation mtcnn-onet yolov8n-nudenet-320 picodet-layout-cdla u2netp)

work="$(mktemp -d "${TMPDIR:-/tmp}/onnxport-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT

rows=()
load="$(cut -d' ' -f1-3 /proc/loadavg)"
for name in "${order[@]}"; do
  wanted "$name" || continue
  model="$cache/$name.onnx"
  if [[ ! -f "$model" ]]; then log "skip $name: not in $cache"; continue; fi
  for variant in int8 16x8; do
    # shellcheck disable=SC2206
    args=(convert "$model" --to tflite -o "$work/out" -q --int8 --calib coco20 ${OPTS[$name]})
    [[ "$variant" == 16x8 ]] && args+=(--int16-activations)
    label="$name $variant"
    timed_runs "${args[@]}"
    if [[ "$codes" == "0" ]]; then
      status="ok"
      q="$(ls "$work/out"/*_full_integer_quant*.tflite 2>/dev/null | head -1)"
      qkb="$(du -k "$q" | awk '{printf "%.2f", $1/1024}')"
      fkb="$(du -k "$work/out"/*_float32.tflite | awk '{printf "%.2f", $1/1024}')"
    else
      status="exit $codes: $(awk 'NF {print; exit}' "$work/stderr.txt" | cut -c1-160 | sed 's/|/\\|/g')"
      qkb="–"; fkb="–"
    fi
    wall="$(cut -d' ' -f2 "$work/runs.txt" | median)"
    rss="$(cut -d' ' -f3 "$work/runs.txt" | median | awk '{printf "%.0f", $1/1024}')"
    rows+=("| $name | $variant | \`${OPTS[$name]}\` | $wall | $rss | $fkb | $qkb | $status |")
  done
done

cpu="$(lscpu 2>/dev/null | awk -F': *' '/^Model name/ {print $2; exit}')"
commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
{
  echo "# Benchmarks: quantized conversion"
  echo
  echo "Time and memory of \`bin/onnxport convert MODEL --to tflite --int8 --calib coco20 [OPTIONS]\` (int8) and of the same"
  echo "with \`--int16-activations\` (16x8) on the real image models: loading, the float32 pipeline and file, calibration of"
  echo "the float model in onnxruntime over the 20 coco20 images (percentile 99.99 for int8, min/max for 16x8; with bias"
  echo "correction's per-channel means), quantization, and both files written. Wall time and peak RSS of the whole JVM"
  echo "process from \`/usr/bin/time -v\`, median of $runs run(s); the float32-only conversion of each model is in"
  echo "[BENCHMARKS.md](BENCHMARKS.md). Accuracy of these files: [QUANTIZATION.md](QUANTIZATION.md)."
  echo
  echo "| model | variant | options | wall s | peak RSS MiB | float32 MiB | quantized MiB | result |"
  echo "| --- | --- | --- | ---: | ---: | ---: | ---: | --- |"
  if [[ ${#rows[@]} -eq 0 ]]; then echo "| (no model in $cache) | | | | | | | |"; else printf '%s\n' "${rows[@]}"; fi
  echo
  echo "Machine: ${cpu:-unknown}, nproc $(nproc), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo);"
  echo "load average before the runs: $load (other processes share the machine; times are noisy); onnxport commit $commit."
  echo
  echo '```'
  echo "bench/int8.sh --runs $runs${want:+ ${want[*]}}"
  echo '```'
} >"$doc"
log "wrote ${doc#$root/}"
