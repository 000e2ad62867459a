# Shared by the whole-process benchmarks: where things are, how inputs are made, how a
# command is timed. Peers (sox, ffmpeg) are used here only, never in tests.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MIXGRAPH="$ROOT/target/release/mixgraph"
WORK=${BENCH_DIR:-/tmp/mixgraph-bench}
RUNS=${RUNS:-5}
mkdir -p "$WORK"

need() { command -v "$1" >/dev/null || { echo "benchmark needs $1 (apt-get install $2)"; exit 1; }; }
need sox sox
need hyperfine hyperfine
[ -x "$MIXGRAPH" ] || (cd "$ROOT" && cargo build --release --locked --bin mixgraph)

# make_input FILE SECONDS [CHANNELS] [RATE]: pink noise with a slow level change, 24-bit.
make_input() {
  local file=$1 secs=$2 ch=${3:-2} rate=${4:-44100}
  [ -f "$file" ] || sox -q -n -r "$rate" -b 24 -c "$ch" "$file" synth "$secs" pinknoise tremolo 0.1 40 vol 0.5
}

# time_pair LABEL CMD_A CMD_B: hyperfine both in the same run; prints the markdown table.
time_pair() {
  local label=$1; shift
  hyperfine --warmup 1 --runs "$RUNS" --style basic --export-markdown "$WORK/$label.md" "$@" >/dev/null
  echo "### $label"; cat "$WORK/$label.md"; echo
}

# peak_rss_kb CMD...: maximum resident set size of a command, in KiB.
peak_rss_kb() {
  /usr/bin/time -f "%M" "$@" 2>&1 >/dev/null | tail -n 1
}

machine() {
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB; $(uname -sr); $(date -u +%Y-%m-%d)"
}
