-- stems-bus.lua: stems grouped into buses by name, the music ducked under the vocals, and a
-- master chain on the sum.
--
--   mixgraph render stems-bus.lua --input kick=kick.wav --input bass=bass.wav \
--       --input keys=keys.wav --input lead-vox=vox.wav --output mix=mix.wav
--
-- Every `--input` is a stem. Its name decides its bus:
--   drums  : drum, kick, snare, hat, tom, cymbal, overhead, perc, room
--   bass   : bass, sub
--   vocals : vocal, vox, voice, lead, sing, choir, bv, backing
--   music  : everything else (keys, guitar, synth, pad, piano, strings, music...)
-- The music bus goes through a compressor keyed by the vocals bus (its sidechain), so it
-- ducks by about `--set duck=4` dB while someone sings. The buses are summed and fed to a
-- master chain: the shipped `master-streaming` preset when it exists, else (or with
-- `--set master=built`) one built here. Output `mix`.

chain.description("Stems grouped into drum, bass, music and vocal buses; music ducked under the vocals; master chain on the sum")

local duck = arg("duck", 4.0)

local GROUPS = {
  {bus = "drums", words = {"drum", "kick", "snare", "hat", "tom", "cymbal", "overhead", "perc", "room"}},
  {bus = "bass", words = {"bass", "sub"}},
  {bus = "vocals", words = {"vocal", "vox", "voice", "lead", "sing", "choir", "bv", "backing"}},
}

local function group_of(name)
  local lower = name:lower()
  for _, g in ipairs(GROUPS) do
    for _, word in ipairs(g.words) do
      if lower:find(word, 1, true) then
        return g.bus
      end
    end
  end
  return "music"
end

local stems = inputs()
if #stems == 0 then
  error("no stems: bind each with --input NAME=FILE (drums=..., bass=..., keys=..., vocals=...)")
end

-- One sum node per bus that has stems, in a fixed order.
local buses, order = {}, {"drums", "bass", "music", "vocals"}
for _, name in ipairs(stems) do
  local group = group_of(name)
  if not buses[group] then
    buses[group] = {stems = {}}
  end
  table.insert(buses[group].stems, name)
end
for _, group in ipairs(order) do
  local bus = buses[group]
  if bus then
    bus.node = chain.node("sum", {gain = 0}, {name = group .. "-bus"})
    for _, stem in ipairs(bus.stems) do
      chain.connect(chain.input(stem), bus.node)
    end
    log(string.format("%s bus: %s", group, table.concat(bus.stems, ", ")))
  end
end

local mix_bus = chain.node("sum", {gain = -3}, {name = "mix-bus"})

-- The music ducks under the vocals: a compressor on the music, keyed by the vocals. Its
-- threshold sits 10 dB under the vocals' level while they sing (their active RMS, pauses
-- left out), and the ratio turns those 10 dB into `duck` dB of reduction:
-- 10 * (1 - 1/ratio) = duck.
if buses.music and buses.vocals then
  local power = 0
  for _, stem in ipairs(buses.vocals.stems) do
    power = power + 10 ^ (analyze(stem).active_rms / 10)
  end
  local level = 10 * math.log(power, 10)
  local margin = 10
  local depth = math.max(0.5, math.min(duck, margin - 0.5))
  local ratio = margin / (margin - depth)
  local threshold = math.max(-60, math.min(0, level - margin))
  local ducker = chain.node("compressor", {
    threshold = threshold, ratio = ratio, knee = 0, attack = 10, release = 250,
    detection = "rms", sidechain_hpf = 150,
  }, {name = "duck"})
  buses.music.node:to(ducker):to(mix_bus)
  buses.vocals.node:to(ducker:port("sidechain"))
  log(string.format(
    "ducking: music under the vocals (at %.1f dB RMS) by about %.1f dB (threshold %.1f dB, ratio %.2f:1)",
    level, depth, threshold, ratio))
elseif buses.music then
  buses.music.node:to(mix_bus)
  log("ducking: no vocal stem, the music bus is not ducked")
end
for _, group in ipairs({"drums", "bass", "vocals"}) do
  if buses[group] then
    buses[group].node:to(mix_bus)
  end
end

-- The master chain: the shipped master-streaming preset if there is one (and `--set
-- master=built` does not ask otherwise), else a high-pass, a glue compressor and a limiter at
-- the target's ceiling.
local function has_preset(name)
  for _, p in ipairs(chain.presets()) do
    if p == name then
      return true
    end
  end
  return false
end

local out = chain.output("mix", nil, {format = "pcm24"})
if arg("master", "preset") ~= "built" and has_preset("master-streaming") then
  chain.series(mix_bus, chain.preset("master-streaming", {name = "master"}), out)
  log("master: the shipped master-streaming preset")
else
  chain.series(
    mix_bus,
    chain.node("highpass", {frequency = 20, slope = "24"}, {name = "subsonic"}),
    chain.node("compressor", {threshold = -12, ratio = 2, attack = 30, release = 200}, {name = "glue"}),
    chain.node("limiter", {ceiling = target().true_peak}, {name = "limiter"}),
    out)
  log(string.format("master: high-pass, glue compressor and limiter at %.1f dBTP, built here", target().true_peak))
end
