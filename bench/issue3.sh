#!/usr/bin/env bash
# Issue 3's whole-process figures, each side by side with its peer in the same hyperfine run:
# (i) a mastering chain (high-pass 25 Hz, peak EQ 100 Hz -1.5 dB Q 0.7 and 3 kHz +1 dB Q 1,
# 2:1 compressor, true-peak limiter at -1 dBTP) on a 3-minute 44.1 kHz stereo 24-bit file vs
# sox's closest chain (target: mixgraph <= 0.5x sox's time; sox limits sample peaks only);
# (ii) 16 stems of 3 minutes, each with a peak EQ band, a compressor and a pan, summed, then
# the same mastering chain, vs ffmpeg doing the same in one -filter_complex (target: <= 0.1x).
source "$(dirname "$0")/common.sh"
need ffmpeg ffmpeg
machine

# mean_ratio LABEL: mean time of the first command of a time_pair over the second's.
mean_ratio() {
  awk -F'|' 'NR == 3 { split($3, a, " "); mg = a[1] } NR == 4 { split($3, b, " "); peer = b[1] }
    END { printf "%.3f", mg / peer }' "$WORK/$1.md"
}

make_input "$WORK/in3.wav" 180

# (i) The mastering chain. The compressor matches sox's compand transfer (2:1 above -18 dB,
# 6 dB soft knee, 10 ms attack, 100 ms release).
# master_nodes ATTACK_MS RELEASE_MS: the chain's nodes, named hp, low, presence, comp, limiter.
master_nodes() {
  cat <<RON
Node(name: "hp", kind: "highpass", params: {"frequency": 25.0, "slope": "12"}),
    Node(name: "low", kind: "peak", params: {"frequency": 100.0, "q": 0.7, "gain": -1.5}),
    Node(name: "presence", kind: "peak", params: {"frequency": 3000.0, "q": 1.0, "gain": 1.0}),
    Node(name: "comp", kind: "compressor", params: {"threshold": -18.0, "ratio": 2.0, "knee": 6.0, "attack": $1, "release": $2}),
    Node(name: "limiter", kind: "limiter", params: {"ceiling": -1.0})
RON
}
cat > "$WORK/master3.ron" <<RON
Chain(inputs: ["in"], outputs: [Output(name: "out", format: Pcm24)], series: [$(master_nodes 10.0 100.0)])
RON
time_pair master \
  -n "mixgraph render (hp, 2 peak EQ, compressor, true-peak limiter)" \
     "$MIXGRAPH render $WORK/master3.ron --input in=$WORK/in3.wav --output out=$WORK/master-mg.wav" \
  -n "sox (highpass, 2 equalizer, compand, gain -l)" \
     "sox $WORK/in3.wav -b 24 $WORK/master-sox.wav highpass 25 equalizer 100 0.7q -1.5 equalizer 3000 1q 1 compand 0.01,0.1 6:-70,-70,-18,-18,0,-9 0 gain -l -1"
echo "mastering chain: mixgraph / sox = $(mean_ratio master) (target <= 0.5)"
echo

# (ii) 16 stems -> peak EQ 1 kHz +2 dB Q 1, compressor (ffmpeg acompressor's defaults: 2:1 above
# -18 dB, 20 ms attack, 250 ms release), pan -> sum -> the mastering chain (its compressor at
# the same acompressor defaults, as ffmpeg's master chain uses them).
STEM_COMP='"threshold": -18.0, "ratio": 2.0, "knee": 6.0, "attack": 20.0, "release": 250.0'
inputs=() ; nodes="" ; paths="" ; ffin=() ; ffgraph="" ; fflabels=""
for i in $(seq 1 16); do
  make_input "$WORK/stem$i.wav" 180
  inputs+=(--input "s$i=$WORK/stem$i.wav")
  ffin+=(-i "$WORK/stem$i.wav")
  nodes+="Node(name: \"eq$i\", kind: \"peak\", params: {\"frequency\": 1000.0, \"q\": 1.0, \"gain\": 2.0}),
    Node(name: \"comp$i\", kind: \"compressor\", params: {$STEM_COMP}),
    Node(name: \"pan$i\", kind: \"pan\", params: {\"pan\": $(awk "BEGIN{print ($i-8.5)/8}")}),
    "
  paths+="[\"s$i\", \"eq$i\", \"comp$i\", \"pan$i\", \"sum\"], "
  ffgraph+="[$((i - 1)):a]equalizer=f=1000:t=q:w=1:g=2,acompressor,pan=stereo|c0=c0|c1=c1[s$i];"
  fflabels+="[s$i]"
done
names=$(for i in $(seq 1 16); do printf '"s%d",' "$i"; done)
cat > "$WORK/stems-master16.ron" <<RON
Chain(inputs: [$names], outputs: [Output(name: "out", from: "limiter", format: Pcm24)],
  nodes: [$nodes
    Node(name: "sum", kind: "sum"),
    $(master_nodes 20.0 250.0)],
  connections: [$paths ["sum", "hp", "low", "presence", "comp", "limiter"]])
RON
ffgraph+="${fflabels}amix=inputs=16:normalize=0,highpass=f=25,equalizer=f=100:t=q:w=0.7:g=-1.5,equalizer=f=3000:t=q:w=1:g=1,acompressor,alimiter=limit=0.89[out]"
time_pair stems-master16 \
  -n "mixgraph render (16 stems: peak EQ, compressor, pan; sum; mastering chain)" \
     "$MIXGRAPH render $WORK/stems-master16.ron ${inputs[*]} --output out=$WORK/stems-master-mg.wav" \
  -n "ffmpeg -filter_complex (16 x equalizer,acompressor,pan; amix; master chain)" \
     "ffmpeg -nostdin -hide_banner -loglevel error -y ${ffin[*]} -filter_complex '$ffgraph' -map \"[out]\" -c:a pcm_s24le $WORK/stems-master-ff.wav"
echo "stems to master: mixgraph / ffmpeg = $(mean_ratio stems-master16) (target <= 0.1)"
