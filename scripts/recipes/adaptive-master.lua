-- adaptive-master.lua: measure the mix, then decide the master chain.
--
--   mixgraph render adaptive-master.lua --input mix=song.wav --output master=master.wav --target apple
--
-- Input `mix`, output `master`. It decides three things and logs each with its reason:
--   1. EQ tilt, from the band energies: the mix's spectral slope is compared with a reference
--      balance, and half of the difference is corrected (at most `max_tilt` dB/octave);
--   2. compression, from the crest factor: a dense mix is left alone, a peaky one gets a
--      ratio up to `max_ratio`;
--   3. the gain into the limiter, from the target: the distance from the mix's loudness
--      (after the EQ and compression above) to the target's, with the limiter's ceiling at
--      the target's true-peak limit.
-- `--set max_tilt=0.5`, `--set max_ratio=2` make it gentler.

chain.description("Adaptive master: EQ tilt from the band balance, compression from the crest factor, limiter gain from the target")

local t = target()
local max_tilt = arg("max_tilt", 1.0)
local max_ratio = arg("max_ratio", 3.0)
local mix = analyze("mix")
if mix.integrated == -math.huge then
  error("the mix is silent (no loudness to measure): check the file bound with --input mix=...")
end

local function clamp(x, lo, hi)
  return math.max(lo, math.min(hi, x))
end

local function log2(x)
  return math.log(x, 2)
end

local function power(db)
  return 10 ^ (db / 10)
end

-- 1. Tonal balance --------------------------------------------------------------------------
-- Each band's level per octave, placed at the band's centre (log scale): pink noise (equal
-- energy per octave) is flat, so its slope is 0 dB/octave. Finished masters usually fall a
-- little faster than pink: the reference is -1.5 dB/octave.
local REFERENCE_SLOPE = -1.5
local PIVOT = 1000
local bands = {
  {name = "low", level = mix.bands.low, lo = 20, hi = 250},
  {name = "low-mid", level = mix.bands.low_mid, lo = 250, hi = 2000},
  {name = "high-mid", level = mix.bands.high_mid, lo = 2000, hi = 6000},
  {name = "high", level = mix.bands.high, lo = 6000, hi = 20000},
}
local xs, ys = {}, {}
for _, b in ipairs(bands) do
  b.centre = math.sqrt(b.lo * b.hi)
  if b.level > -math.huge then
    xs[#xs + 1] = log2(b.centre / PIVOT)
    ys[#ys + 1] = b.level - 10 * math.log(log2(b.hi / b.lo), 10)
  end
end

local slope
if #xs >= 2 then
  local mx, my = 0, 0
  for i = 1, #xs do mx, my = mx + xs[i], my + ys[i] end
  mx, my = mx / #xs, my / #ys
  local sxy, sxx = 0, 0
  for i = 1, #xs do
    sxy = sxy + (xs[i] - mx) * (ys[i] - my)
    sxx = sxx + (xs[i] - mx) ^ 2
  end
  slope = sxy / sxx
end

local tilt = 0
if slope then
  tilt = clamp((REFERENCE_SLOPE - slope) / 2, -max_tilt, max_tilt)
  local mood = tilt > 0.05 and "brighten" or tilt < -0.05 and "darken" or "leave"
  log(string.format(
    "EQ: the mix falls %.2f dB/octave (pink noise 0, reference %.1f): %s it with a tilt of %+.2f dB/octave around %d Hz",
    slope, REFERENCE_SLOPE, mood, tilt, PIVOT))
else
  log("EQ: not enough bands with signal to judge the balance; no tilt")
end

-- How the tilt moves the loudness: each band's power, weighted as the loudness meter weighs
-- it (K-weighting: lows a little down, highs up to 4 dB up), gains tilt * octaves from the
-- pivot at the frequency where the band's loudness sits (the low band's toward its top, as
-- K-weighting rolls off the deep lows).
local LOUDNESS = {
  low = {hz = 120, weight_db = -0.8},
  ["low-mid"] = {hz = 700, weight_db = 0},
  ["high-mid"] = {hz = 3500, weight_db = 3.5},
  high = {hz = 11000, weight_db = 4},
}
local before, after = 0, 0
for _, b in ipairs(bands) do
  if b.level > -math.huge then
    local k = LOUDNESS[b.name]
    before = before + power(b.level + k.weight_db)
    after = after + power(b.level + k.weight_db + tilt * log2(k.hz / PIVOT))
  end
end
local tilt_change = before > 0 and 10 * math.log(after / before, 10) or 0

-- 2. Dynamics -------------------------------------------------------------------------------
-- Crest factor (peak minus RMS): a limited master has 6 to 9 dB, an untreated mix 12 dB or
-- more. Below 8 dB there is nothing to gain from compression; above, the ratio grows with
-- the crest up to max_ratio at 16 dB. The threshold sits 6 dB over the RMS level, so the
-- body of the mix passes and the peaks are tamed.
local DENSE, PEAKY = 8, 16
local ratio = clamp(1 + (mix.crest - DENSE) / (PEAKY - DENSE) * (max_ratio - 1), 1, max_ratio)
local threshold = clamp(mix.rms + tilt_change + 6, -60, 0)
local comp_change = 0
if ratio > 1.05 then
  -- The reduction lands on the peaks; loudness, carried by the body, drops by about a
  -- quarter of the reduction at the level of the peaks' average (half-way to the peak).
  local over = math.max(0, (mix.sample_peak + tilt_change - threshold) / 2)
  comp_change = -over * (1 - 1 / ratio) / 4
  log(string.format(
    "compression: crest factor %.1f dB (dense below %d, peaky above %d): ratio %.2f:1 from %.1f dB, about %.1f dB of loudness",
    mix.crest, DENSE, PEAKY, ratio, threshold, comp_change))
else
  log(string.format("compression: crest factor %.1f dB, already dense: no compressor", mix.crest))
end

-- 3. Loudness -------------------------------------------------------------------------------
local expected = mix.integrated + tilt_change + comp_change
local gain = clamp(t.lufs - expected, -48, 48)
log(string.format(
  "limiter: the mix reads %.1f LUFS, %.1f after EQ and compression; target %s %.1f LUFS: %+.1f dB into a limiter at %.1f dBTP",
  mix.integrated, expected, t.name, t.lufs, gain, t.true_peak))

-- The chain ---------------------------------------------------------------------------------
local steps = {chain.input("mix")}
steps[#steps + 1] = chain.node("highpass", {frequency = 25, slope = "24"}, {name = "subsonic"})
if math.abs(tilt) > 0.05 then
  steps[#steps + 1] = chain.node("tilt", {slope = tilt, pivot = PIVOT})
end
if ratio > 1.05 then
  steps[#steps + 1] = chain.node("compressor", {
    threshold = threshold, ratio = ratio, knee = 6, attack = 20, release = 150, detection = "rms",
  }, {name = "glue"})
end
steps[#steps + 1] = chain.node("gain", {gain = gain}, {name = "drive"})
steps[#steps + 1] = chain.node("limiter", {ceiling = t.true_peak, release = 80})
steps[#steps + 1] = chain.output("master", nil, {format = "pcm24"})
chain.series(table.unpack(steps))
