#!/usr/bin/env bash
# Issue 4's figures: `mixgraph master` with three deliverables (streaming, CD, broadcast) on a
# 3-minute 44.1 kHz stereo file against ffmpeg's one-pass `loudnorm` on the same file in the
# same hyperfine run, where each lands (both measured by `mixgraph analyze` on the written
# files), and `mixgraph analyze` pinned to one core.
source "$(dirname "$0")/common.sh"
need ffmpeg ffmpeg
need jq jq
machine

make_input "$WORK/in3.wav" 180
SECONDS_OF_AUDIO=180
OUT="$WORK/master-out"

# mean_s LABEL: the mean wall time of the first command of hyperfine's JSON export.
mean_s() { jq -r ".results[$2].mean" "$WORK/$1.json"; }

hyperfine --warmup 1 --runs "$RUNS" --style basic \
  --export-markdown "$WORK/master.md" --export-json "$WORK/master.json" \
  -n "mixgraph master (spotify; streaming, cd, broadcast)" \
  "$MIXGRAPH master $WORK/in3.wav --target spotify --deliver streaming,cd,broadcast --out $OUT" \
  -n "ffmpeg -af loudnorm=I=-14:TP=-1" \
  "ffmpeg -loglevel error -y -i $WORK/in3.wav -af loudnorm=I=-14:TP=-1 $WORK/loudnorm.wav" >/dev/null
echo "### master vs loudnorm (3 min, 44.1 kHz stereo)"; cat "$WORK/master.md"; echo
ours=$(mean_s master 0); theirs=$(mean_s master 1)
echo "ratio mixgraph / ffmpeg: $(awk "BEGIN{printf \"%.2f\", $ours/$theirs}") (goal: 0.20 or less)"
echo

echo "### where each lands (measured by mixgraph analyze on the written files; target -14 LUFS, <= -1 dBTP)"
echo "| file | integrated (LUFS) | true peak (dBTP) | sample rate | on target (+-0.1 LU, TP <= -1) |"
echo "|---|---|---|---|---|"
for f in "$WORK/loudnorm.wav" "$OUT/in3-streaming.wav" "$OUT/in3-cd.wav" "$OUT/in3-broadcast.wav"; do
  "$MIXGRAPH" --json analyze "$f" --lufs -14 --tp -1 \
    | jq -r --arg f "$(basename "$f")" '.files[0] as $x | "| \($f) | \($x.integrated_lufs*10000|round/10000) | \($x.true_peak_dbtp*10000|round/10000) | \($x.format.sample_rate_hz) | \(if (($x.integrated_lufs + 14)|fabs) <= 0.1 and $x.true_peak_dbtp <= -1 then "yes" else "no" end) |"'
done
echo
jq -r '.tracks[0].deliverables[] | "\(.deliverable): \(.processing), gain \(.gain_db*100|round/100) dB, limiter at most \(.max_gain_reduction_db // 0 |.*100|round/100) dB, \(.attempts|length) render(s)"' "$OUT/master-report.json"
echo

hyperfine --warmup 1 --runs "$RUNS" --style basic \
  --export-markdown "$WORK/analyze.md" --export-json "$WORK/analyze.json" \
  -n "taskset -c 0 mixgraph analyze (3 min, 44.1 kHz stereo)" \
  "taskset -c 0 $MIXGRAPH analyze $WORK/in3.wav" >/dev/null
echo "### analyze on one core"; cat "$WORK/analyze.md"; echo
echo "analyze: $(awk "BEGIN{printf \"%.0f\", $SECONDS_OF_AUDIO/$(mean_s analyze 0)}")x realtime on one core (goal: 300x or more)"
