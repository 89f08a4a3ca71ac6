# Shared by the bench scripts (sourced after setting $root, and the defaults $runs and $doc): command-line parsing,
# the model filter, the launcher, median of numbers on stdin, and one timed run of a command in $work.

log() { echo "[bench] $*" >&2; }

# [--runs N] [--out FILE] [NAME...]: sets runs, doc and want (the model names asked for; empty: all)
bench_args() {
  want=()
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --runs) runs="$2"; shift 2 ;;
      --out) doc="$2"; shift 2 ;;
      -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
      -*) echo "unknown option: $1" >&2; exit 2 ;;
      *) want+=("$1"); shift ;;
    esac
  done
}

# true when model $1 was asked for (or no name was given)
wanted() {
  [[ ${#want[@]} -eq 0 ]] && return 0
  local w
  for w in "${want[@]}"; do [[ "$w" == "$1" ]] && return 0; done
  return 1
}

# the launcher ($ONNXPORT, default bin/onnxport), building cli/target/onnxport.jar when it is missing
launcher() {
  onnxport="${ONNXPORT:-$root/bin/onnxport}"
  if [[ ! -x "$onnxport" ]]; then log "no launcher at $onnxport (set ONNXPORT)"; exit 2; fi
  if [[ -z "${ONNXPORT:-}" && ! -f "$root/cli/target/onnxport.jar" ]]; then
    log "building cli/target/onnxport.jar"
    mvn -B -q -DskipTests package
  fi
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# one timed run of "$@"; prints "<exit> <wall seconds> <max rss KiB>"
timed() {
  local t="$work/time.txt" rc=0
  /usr/bin/time -v -o "$t" "$@" </dev/null >"$work/stdout.txt" 2>"$work/stderr.txt" || rc=$?
  local wall rss
  wall="$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$t" |
          awk -F: '{s=0; for (i=1; i<=NF; i++) s=s*60+$i; printf "%.3f", s}')"
  rss="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$t")"
  echo "$rc $wall $rss"
}

# installs Debian's time when /usr/bin/time is missing
need_time() {
  if [[ ! -x /usr/bin/time ]]; then
    echo "[bench] /usr/bin/time is missing: installing Debian package 'time'" >&2
    if [[ $(id -u) -eq 0 ]]; then apt-get update -qq && apt-get install -y -qq time >/dev/null
    else sudo apt-get update -qq && sudo apt-get install -y -qq time >/dev/null; fi
  fi
}

# $runs timed runs of the launcher with "$@" (output folder $work/out emptied before each), one line per run in
# $work/runs.txt; sets codes (the distinct exit statuses, "0" when all succeeded). $label names the runs in the log.
timed_runs() {
  : >"$work/runs.txt"
  local i r
  for i in $(seq "$runs"); do
    rm -rf "$work/out"
    r="$(timed "$onnxport" "$@")"
    echo "$r" >>"$work/runs.txt"
    log "$label run $i: exit ${r%% *}, $(echo "$r" | cut -d' ' -f2) s, $(echo "$r" | cut -d' ' -f3) KiB"
  done
  codes="$(cut -d' ' -f1 "$work/runs.txt" | sort -u | tr '\n' ' ' | sed 's/ $//')"
}
