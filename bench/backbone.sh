#!/usr/bin/env bash
# Issue 2's figures: pass-through render vs sox, 16 stems with gain and pan into 4 buses vs
# `sox -m`, and peak memory of a 60-minute render vs a 3-minute one.
source "$(dirname "$0")/common.sh"
machine

make_input "$WORK/in3.wav" 180
cat > "$WORK/thru.ron" <<'RON'
Chain(inputs: ["in"], outputs: ["out"], connections: [["in", "out"]])
RON
time_pair pass-through \
  -n "mixgraph render (pass-through, 24-bit)" "$MIXGRAPH render $WORK/thru.ron --input in=$WORK/in3.wav --output out=$WORK/out-mg.wav" \
  -n "sox in.wav -b 24 out.wav" "sox $WORK/in3.wav -b 24 $WORK/out-sox.wav"

# 16 stems, each gain + pan, four per bus, buses summed to a stereo mix.
inputs=() ; nodes="" ; paths="" ; soxin=()
for i in $(seq 1 16); do
  make_input "$WORK/stem$i.wav" 180
  bus=$(( (i - 1) / 4 + 1 ))
  inputs+=(--input "s$i=$WORK/stem$i.wav")
  soxin+=("$WORK/stem$i.wav")
  nodes+="Node(name: \"g$i\", kind: \"gain\", params: {\"gain\": -12.0}), Node(name: \"p$i\", kind: \"pan\", params: {\"pan\": $(awk "BEGIN{print ($i-8.5)/8}")}),"
  paths+="[\"s$i\", \"g$i\", \"p$i\", \"bus$bus\"],"
done
names=$(for i in $(seq 1 16); do printf '"s%d",' "$i"; done)
cat > "$WORK/stems16.ron" <<RON
Chain(inputs: [$names], outputs: [Output(name: "mix", from: "sum", format: Pcm24)],
  nodes: [$nodes Node(name: "bus1", kind: "sum"), Node(name: "bus2", kind: "sum"), Node(name: "bus3", kind: "sum"), Node(name: "bus4", kind: "sum"), Node(name: "sum", kind: "sum")],
  connections: [$paths ["bus1", "sum"], ["bus2", "sum"], ["bus3", "sum"], ["bus4", "sum"]])
RON
time_pair stems16 \
  -n "mixgraph render (16 stems, gain+pan, 4 buses)" "$MIXGRAPH render $WORK/stems16.ron ${inputs[*]} --output mix=$WORK/mix-mg.wav" \
  -n "sox -m (16 files)" "sox -m ${soxin[*]} -b 24 $WORK/mix-sox.wav"

make_input "$WORK/in60.wav" 3600
m3=$(peak_rss_kb "$MIXGRAPH" render "$WORK/thru.ron" --input "in=$WORK/in3.wav" --output "out=$WORK/out3.wav")
m60=$(peak_rss_kb "$MIXGRAPH" render "$WORK/thru.ron" --input "in=$WORK/in60.wav" --output "out=$WORK/out60.wav")
echo "### peak memory (pass-through render)"
echo "| input | peak RSS |"
echo "|---|---|"
echo "| 3 min 44.1 kHz stereo 24-bit | ${m3} KiB |"
echo "| 60 min 44.1 kHz stereo 24-bit | ${m60} KiB |"
echo "ratio 60 min / 3 min: $(awk "BEGIN{printf \"%.3f\", $m60/$m3}")"
rm -f "$WORK/out60.wav"
