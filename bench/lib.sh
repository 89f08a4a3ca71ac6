# Shared by the bench scripts (sourced): median of numbers on stdin, and one timed run of a command.
# The caller sets $work (a temporary folder).

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
