-- podcast.lua: spoken word, levelled and delivered at podcast loudness.
--
--   mixgraph render podcast.lua --input voice=raw.wav --output episode=episode.wav
--
-- Input `voice`, output `episode`. High-pass (rumble, plosives), leveling (a slow
-- compression computed from the loudness over time, as gain automation), de-esser, a
-- compressor for what still sticks out, a gain to the loudness target and a true-peak
-- limiter. The
-- target is -16 LUFS at -1 dBTP (common podcast practice) unless the command line gives one
-- (`--target`, `--lufs`).
-- `--set highpass=100` moves the high-pass; `--set ratio=4` levels harder.

chain.description("Podcast voice: high-pass, de-esser, leveling compression, true-peak limiter at podcast loudness")

local t = target()
local lufs, ceiling = t.lufs, t.true_peak
if t.default then
  lufs, ceiling = -16, -1
end
local highpass = arg("highpass", 80)
local ratio = arg("ratio", 3.0)
local voice = analyze("voice")
if voice.integrated == -math.huge then
  error("the voice is silent (no loudness to measure): check the file bound with --input voice=...")
end

local function clamp(x, lo, hi)
  return math.max(lo, math.min(hi, x))
end

-- Leveling: a slow compressor computed ahead of time from the loudness over time. The
-- momentary loudness (400 ms windows every 100 ms, the blocks BS.1770 gates) says how loud
-- each moment is; above the threshold, 6 dB under the speech's level while speaking (its
-- active RMS, moved into LUFS by this voice's own offset between loudness and RMS), the gain
-- comes down by (1 - 1/ratio) of the excess, smoothed over a second so it follows phrases,
-- not syllables. As the gain is known in advance, so is the loudness it leaves: the gated
-- mean (-70 LUFS absolute, -10 LU relative) of the readings after leveling.
local threshold = clamp(voice.active_rms - 6, -60, 0)
local threshold_lufs = threshold + (voice.integrated - voice.active_rms)
local function gated_mean(levels)
  local function mean_above(gate)
    local sum, n = 0, 0
    for _, level in ipairs(levels) do
      if level > gate then
        sum, n = sum + 10 ^ (level / 10), n + 1
      end
    end
    return n > 0 and 10 * math.log(sum / n, 10) or -math.huge
  end
  return mean_above(math.max(-70, mean_above(-70) - 10))
end

local momentary = voice.momentary
local count = #momentary
local cut = {}
for i = 1, count do
  local level = momentary[i]
  cut[i] = level > threshold_lufs and (level - threshold_lufs) * (1 - 1 / ratio) or 0
end

-- The gain at each reading: minus the cut averaged over a second around it (a running sum).
local SMOOTH = 5 -- readings either side
local gains, leveled = {}, {}
local sum = 0
for j = 1, math.min(count, SMOOTH) do
  sum = sum + cut[j]
end
for i = 1, count do
  local enter, leave = i + SMOOTH, i - SMOOTH - 1
  if enter <= count then sum = sum + cut[enter] end
  if leave >= 1 then sum = sum - cut[leave] end
  local n = math.min(count, i + SMOOTH) - math.max(1, i - SMOOTH) + 1
  gains[i] = -sum / n
  leveled[i] = momentary[i] + gains[i]
end

-- Breakpoints at the windows' centres; where the gain holds still (quiet passages and
-- pauses, where nothing is cut), only the ends of the stretch are kept.
local ride = {}
for i = 1, count do
  local g = gains[i]
  local flat_before = i > 1 and math.abs(g - gains[i - 1]) < 1e-9
  local flat_after = i < count and math.abs(gains[i + 1] - g) < 1e-9
  if not (flat_before and flat_after) then
    ride[#ride + 1] = {0.2 + (i - 1) * 0.1, g}
  end
end
local leveling_change = 0
if count > 0 then
  leveling_change = gated_mean(leveled) - gated_mean(voice.momentary)
else
  ride = {{0, 0}} -- shorter than one window: nothing to level
end
log(string.format(
  "leveling: speech at %.1f LUFS (%.1f dB RMS while speaking), loudness range %.1f LU; %.1f:1 above %.1f dB, %.1f dB of loudness",
  voice.integrated, voice.active_rms, voice.lra, ratio, threshold, leveling_change))

-- De-essing, after the leveling: the sibilance band is turned down when its peaks rise 12 dB
-- over the voice's average level in the highs (sibilants stand 10 to 20 dB over voiced
-- speech there), moved by what the leveling took off.
local highs = math.max(voice.bands.high_mid, voice.bands.high)
local deess_threshold = clamp(highs + 12 + leveling_change, -60, 0)
log(string.format("de-esser: sibilance around 6.5 kHz above %.1f dB", deess_threshold))

-- After the leveling, a compressor only for what sticks out (shouts, laughs): 2:1 from 8 dB
-- over the levelled speech.
local peaks = clamp(voice.active_rms + leveling_change + 8, -60, 0)

-- The gain to the target. The peak compressor and the limiter take some loudness back when
-- they work: speech peaks in every syllable, and the loudness drops by about a quarter of
-- the peak excess over the ceiling (a rule of thumb; the result lands within about 1 LU).
local PEAK_SHARE = 1 / 4
local levelled = voice.integrated + leveling_change
local gain = lufs - levelled
local excess = math.max(0, voice.true_peak + leveling_change + gain - ceiling)
gain = clamp(gain + PEAK_SHARE * excess, -48, 48)
log(string.format(
  "loudness: %+.1f dB toward %.1f LUFS (%.1f dB for the peaks %.1f dB over the ceiling), limiter at %.1f dBTP",
  gain, lufs, PEAK_SHARE * excess, excess, ceiling))

local leveler = chain.node("gain", {gain = 0}, {name = "leveler"})
leveler:automate("gain", ride)

chain.series(
  chain.input("voice"),
  chain.node("highpass", {frequency = highpass, slope = "24"}, {name = "rumble"}),
  leveler,
  chain.node("deesser", {frequency = 6500, threshold = deess_threshold, ratio = 4, range = 8}),
  chain.node("compressor", {
    threshold = peaks, ratio = 2, knee = 6, attack = 10, release = 200, detection = "rms",
  }, {name = "peaks"}),
  chain.node("gain", {gain = gain}, {name = "loudness"}),
  chain.node("limiter", {ceiling = ceiling, release = 60}),
  chain.output("episode", nil, {format = "pcm24"}))
