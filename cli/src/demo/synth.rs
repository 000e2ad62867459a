//! Synthesizes a short multitrack session in code: drums, bass, chords and a lead line in
//! A minor at 120 BPM, so the demo needs no audio files. Each stem is stereo.

use std::f64::consts::PI;

/// One synthesized stem: its name and its stereo channels.
pub struct Stem {
    /// Stem name (`drums`, `bass`, `chords`, `lead`).
    pub name: &'static str,
    /// Left and right channels.
    pub channels: [Vec<f32>; 2],
}

/// Tempo of the demo song.
const BPM: f64 = 120.0;
/// Bars in the demo song (4/4).
const BARS: usize = 4;
/// Chord roots per bar as MIDI notes: Am, F, C, G.
const ROOTS: [i32; 4] = [57, 53, 48, 55];
/// The lead melody: (start in beats, length in beats, MIDI note).
const MELODY: [(f64, f64, i32); 12] = [
    (0.0, 1.0, 76),
    (1.0, 0.5, 74),
    (1.5, 0.5, 72),
    (2.0, 2.0, 69),
    (4.0, 1.0, 72),
    (5.0, 1.0, 74),
    (6.0, 2.0, 77),
    (8.0, 1.5, 76),
    (9.5, 0.5, 74),
    (10.0, 2.0, 72),
    (12.0, 2.0, 71),
    (14.0, 2.0, 69),
];

fn midi_hz(note: i32) -> f64 {
    440.0 * 2f64.powf(f64::from(note - 69) / 12.0)
}

/// Length of the song plus a short tail, in frames.
pub fn length(sample_rate: f64) -> usize {
    ((BARS as f64 * 4.0 + 1.0) * 60.0 / BPM * sample_rate) as usize
}

/// A tiny deterministic noise source.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

/// All four stems at `sample_rate`.
pub fn session(sample_rate: f64) -> Vec<Stem> {
    vec![
        drums(sample_rate),
        bass(sample_rate),
        chords(sample_rate),
        lead(sample_rate),
    ]
}

fn beat_frames(sample_rate: f64) -> f64 {
    60.0 / BPM * sample_rate
}

fn drums(sr: f64) -> Stem {
    let len = length(sr);
    let beat = beat_frames(sr);
    let mut l = vec![0.0f32; len];
    let mut r = vec![0.0f32; len];
    let mut noise = Noise(0x5eed);
    let beats = BARS * 4;
    for b in 0..beats {
        let start = (b as f64 * beat) as usize;
        // Kick on 1 and 3: a pitch-swept sine with a fast decay.
        if b % 2 == 0 {
            let mut phase = 0.0;
            for n in 0..(0.4 * sr) as usize {
                let t = n as f64 / sr;
                let f = 45.0 + 110.0 * (-t * 30.0).exp();
                phase += 2.0 * PI * f / sr;
                let v = 0.6 * phase.sin() * (-t * 9.0).exp();
                add(&mut l, &mut r, start + n, v, 0.0);
            }
        }
        // Snare on 2 and 4: a tone plus a noise burst, slightly right.
        if b % 2 == 1 {
            for n in 0..(0.25 * sr) as usize {
                let t = n as f64 / sr;
                let v = 0.25 * (2.0 * PI * 190.0 * t).sin() * (-t * 25.0).exp()
                    + 0.28 * noise.next() * (-t * 18.0).exp();
                add(&mut l, &mut r, start + n, v, 0.15);
            }
        }
        // Hi-hats on every eighth: differentiated noise (bright), left of centre.
        for half in 0..2 {
            let s = start + (half as f64 * beat / 2.0) as usize;
            let mut prev = 0.0;
            for n in 0..(0.05 * sr) as usize {
                let t = n as f64 / sr;
                let x = noise.next();
                let v = 0.1 * (x - prev) * (-t * 70.0).exp();
                prev = x;
                add(&mut l, &mut r, s + n, v, -0.35);
            }
        }
    }
    Stem {
        name: "drums",
        channels: [l, r],
    }
}

fn bass(sr: f64) -> Stem {
    let len = length(sr);
    let beat = beat_frames(sr);
    let mut out = vec![0.0f32; len];
    let mut lp = 0.0;
    for (bar, root) in ROOTS.iter().enumerate().take(BARS) {
        let f = midi_hz(root - 24);
        for eighth in 0..8 {
            let start = ((bar * 4) as f64 * beat + eighth as f64 * beat / 2.0) as usize;
            let dur = (beat / 2.0 * 0.9) as usize;
            for n in 0..dur {
                let t = n as f64 / sr;
                // A band-limited-ish saw (first 8 harmonics) through a one-pole low-pass.
                let saw: f64 = (1..=8)
                    .map(|k| (2.0 * PI * f * k as f64 * t).sin() / k as f64)
                    .sum();
                let env = (1.0 - (-t * 200.0).exp()) * (-t * 3.0).exp();
                lp += 0.15 * (saw * env * 0.35 - lp);
                if let Some(o) = out.get_mut(start + n) {
                    *o += lp as f32;
                }
            }
        }
    }
    Stem {
        name: "bass",
        channels: [out.clone(), out],
    }
}

fn chords(sr: f64) -> Stem {
    let len = length(sr);
    let bar_len = beat_frames(sr) * 4.0;
    let mut l = vec![0.0f32; len];
    let mut r = vec![0.0f32; len];
    for (bar, root) in ROOTS.iter().enumerate() {
        let minor = bar == 0;
        let third = if minor { 3 } else { 4 };
        let notes = [*root, root + third, root + 7, root + 12];
        let start = (bar as f64 * bar_len) as usize;
        for n in 0..(bar_len * 1.05) as usize {
            let t = n as f64 / sr;
            let env = (t / 0.08).min(1.0) * (-t * 0.6).exp();
            let (mut vl, mut vr) = (0.0, 0.0);
            for (i, note) in notes.iter().enumerate() {
                let f = midi_hz(*note);
                // Two slightly detuned partial stacks, one per side: a wide pad.
                let a = (1..=4)
                    .map(|k| {
                        (2.0 * PI * f * 1.002 * k as f64 * t + i as f64).sin() / (k * k) as f64
                    })
                    .sum::<f64>();
                let b = (1..=4)
                    .map(|k| (2.0 * PI * f * 0.998 * k as f64 * t).sin() / (k * k) as f64)
                    .sum::<f64>();
                vl += a;
                vr += b;
            }
            if let (Some(x), Some(y)) = (l.get_mut(start + n), r.get_mut(start + n)) {
                *x += (0.07 * vl * env) as f32;
                *y += (0.07 * vr * env) as f32;
            }
        }
    }
    Stem {
        name: "chords",
        channels: [l, r],
    }
}

fn lead(sr: f64) -> Stem {
    let len = length(sr);
    let beat = beat_frames(sr);
    let mut out = vec![0.0f32; len];
    for &(at, dur, note) in &MELODY {
        let f = midi_hz(note);
        let start = (at * beat) as usize;
        let frames = (dur * beat) as usize;
        let mut phase = 0.0;
        for n in 0..frames {
            let t = n as f64 / sr;
            let vibrato = 1.0 + 0.004 * (2.0 * PI * 5.5 * t).sin() * (t * 2.0).min(1.0);
            phase += 2.0 * PI * f * vibrato / sr;
            let tone = phase.sin() + 0.3 * (2.0 * phase).sin() + 0.12 * (3.0 * phase).sin();
            let release = ((frames - n) as f64 / (0.03 * sr)).min(1.0);
            let env = (t / 0.02).min(1.0) * release * (0.8 + 0.2 * (-t * 4.0).exp());
            if let Some(o) = out.get_mut(start + n) {
                *o += (0.22 * tone * env) as f32;
            }
        }
    }
    Stem {
        name: "lead",
        channels: [out.clone(), out],
    }
}

/// Adds `v` to both channels at frame `n`, panned by `pan` (-1 left .. 1 right).
fn add(l: &mut [f32], r: &mut [f32], n: usize, v: f64, pan: f64) {
    let angle = (pan + 1.0) * PI / 4.0;
    if let (Some(x), Some(y)) = (l.get_mut(n), r.get_mut(n)) {
        *x += (v * angle.cos() * std::f64::consts::SQRT_2) as f32;
        *y += (v * angle.sin() * std::f64::consts::SQRT_2) as f32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stem_has_sound_and_no_clipping() {
        for rate in [44_100.0, 48_000.0] {
            for stem in session(rate) {
                for ch in &stem.channels {
                    assert_eq!(ch.len(), length(rate));
                    let peak = ch.iter().fold(0f32, |m, x| m.max(x.abs()));
                    let rms = (ch.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>()
                        / ch.len() as f64)
                        .sqrt();
                    assert!(peak < 1.0, "{} peaks at {peak}", stem.name);
                    assert!(rms > 0.01, "{} is nearly silent (rms {rms})", stem.name);
                }
            }
        }
    }
}
