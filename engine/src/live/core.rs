//! The audio callback's body. [`AudioCore::render`] is exactly what the device callback
//! calls (and what the tests and the benchmark call directly): it applies queued parameter
//! changes, takes a new chain when one is waiting, pulls input frames from the rings, runs
//! the schedule in blocks of at most `max_block` frames (the device picks the callback size),
//! mixes old and new chain during a handover, meters, and writes interleaved samples in the
//! device's format. It never allocates, locks, waits, does I/O or panics: old chains go back
//! to the control thread to be dropped there.

use std::sync::Arc;

use cpal::{FromSample, Sample};
use rtrb::{Consumer, Producer};

use super::fade::{FadeCurves, Phase};
use super::live_graph::{LiveGraph, ParamChange};
use super::meter::MeterTap;
use super::ring::RingReader;
use super::status::SharedStatus;
use crate::denormal::DenormalGuard;

/// The audio-thread half of a live session.
pub struct AudioCore {
    pub(crate) current: Option<Box<LiveGraph>>,
    pub(crate) incoming: Option<Box<LiveGraph>>,
    pub(crate) phase: Phase,
    pub(crate) fades: FadeCurves,
    pub(crate) swaps: Consumer<Box<LiveGraph>>,
    pub(crate) retired: Producer<Box<LiveGraph>>,
    /// A retired chain waiting for room in `retired` (never dropped here).
    pub(crate) graveyard: Option<Box<LiveGraph>>,
    pub(crate) params: Consumer<ParamChange>,
    pub(crate) rings: Box<[RingReader]>,
    /// Per ring: the frames pulled for the block being run.
    pub(crate) staging: Box<[Staging]>,
    /// Per chain-output channel: the block sent to the device.
    pub(crate) mix: Box<[Box<[f32]>]>,
    /// Per device channel: the chain-output channel it plays (`None`: silence).
    pub(crate) device_map: Box<[Option<usize>]>,
    pub(crate) meter: MeterTap,
    pub(crate) status: Arc<SharedStatus>,
    pub(crate) max_block: usize,
    /// Frames run since every input ended.
    pub(crate) after_end: u64,
    /// Output faults of chains already retired.
    pub(crate) retired_faults: u64,
}

/// One input's frames for the block being run, one buffer per channel.
pub(crate) type Staging = Box<[Box<[f32]>]>;

/// How a chain's output goes into the mix.
#[derive(Clone, Copy)]
enum Blend<'a> {
    /// Replace the mix.
    Set,
    /// Replace the mix, scaled per frame.
    SetScaled(&'a [f32]),
    /// Add to the mix, scaled per frame.
    AddScaled(&'a [f32]),
}

impl AudioCore {
    /// Fills one device buffer of interleaved frames (`data.len()` a multiple of the device's
    /// channel count). This is the whole audio callback.
    pub fn render<T>(&mut self, data: &mut [T])
    where
        T: Sample + FromSample<f32>,
    {
        let channels = self.device_map.len().max(1);
        let frames = data.len() / channels;
        if self.status.is_finished() {
            data.fill(T::EQUILIBRIUM);
            self.status.add_frames(frames as u64);
            return;
        }
        let _ftz = DenormalGuard::new();
        self.bury();
        self.apply_param_changes();
        self.begin_handover();
        let mut underrun = false;
        let mut done = 0;
        while done < frames {
            let n = (frames - done)
                .min(self.max_block)
                .min(self.phase.remaining(self.fades.len()));
            underrun |= self.pull_inputs(n);
            self.run_chains(n);
            self.meter.measure(&self.mix, n);
            write_frames(
                &self.mix,
                &self.device_map,
                &mut data[done * channels..(done + n) * channels],
            );
            done += n;
        }
        data[frames * channels..].fill(T::EQUILIBRIUM);
        self.meter.flush();
        if underrun {
            self.status.add_underrun();
        }
        self.status.add_frames(frames as u64);
        let live_faults = [&self.current, &self.incoming]
            .iter()
            .filter_map(|g| g.as_ref())
            .map(|g| g.schedule.faults())
            .sum::<u64>();
        self.status.set_faults(self.retired_faults + live_faults);
    }

    /// Retries handing a retired chain back to the control thread.
    fn bury(&mut self) {
        if let Some(old) = self.graveyard.take() {
            self.retire_now(old);
        }
    }

    /// Sends a chain that no longer plays back to the control thread.
    fn retire(&mut self, old: Option<Box<LiveGraph>>) {
        if let Some(old) = old {
            self.retired_faults += old.schedule.faults();
            self.retire_now(old);
        }
    }

    fn retire_now(&mut self, old: Box<LiveGraph>) {
        if let Err(rtrb::PushError::Full(old)) = self.retired.push(old) {
            self.graveyard = Some(old);
        }
    }

    fn apply_param_changes(&mut self) {
        while let Ok(c) = self.params.pop() {
            for g in [&mut self.current, &mut self.incoming]
                .into_iter()
                .flatten()
            {
                if g.generation == c.generation {
                    g.schedule
                        .set_param(c.node as usize, c.param as usize, c.value);
                }
            }
        }
    }

    /// Takes a waiting chain when no handover is under way and the old chain can be sent
    /// back without dropping it here.
    fn begin_handover(&mut self) {
        if self.phase != Phase::Steady || self.graveyard.is_some() || self.retired.slots() == 0 {
            return;
        }
        let Ok(mut new) = self.swaps.pop() else {
            return;
        };
        match self.current.as_mut() {
            None => {
                self.status.swapped_to(new.generation);
                self.current = Some(new);
            }
            Some(old) if new.adopt.is_empty() => {
                new.take_over(old);
                self.incoming = Some(new);
                self.phase = Phase::Crossfade { at: 0 };
            }
            Some(_) => {
                self.incoming = Some(new);
                self.phase = Phase::FadeOut { at: 0 };
            }
        }
    }

    /// Pulls `n` frames of every input into the staging buffers; returns whether an input
    /// ran short before its end.
    fn pull_inputs(&mut self, n: usize) -> bool {
        let mut underrun = false;
        let mut ended = true;
        let mut longest = 0;
        for (ring, stage) in self.rings.iter_mut().zip(self.staging.iter_mut()) {
            let got = ring.pull(stage, n);
            underrun |= got.underrun;
            ended &= got.exhausted;
            longest = longest.max(got.frames);
            if got.skipped > 0 {
                self.status.add_dropped(got.skipped as u64);
            }
        }
        if ended {
            self.after_end += (n - longest) as u64;
            let tail = [&self.current, &self.incoming]
                .iter()
                .filter_map(|g| g.as_ref())
                .map(|g| (g.schedule.latency() + g.schedule.tail()) as u64)
                .max()
                .unwrap_or(0);
            if self.after_end >= tail {
                self.status.finish();
            }
        }
        underrun
    }

    /// Runs the playing chain(s) over `n` staged frames into the mix, and moves the
    /// handover on.
    fn run_chains(&mut self, n: usize) {
        let len = self.fades.len();
        match self.phase {
            Phase::Steady => match self.current.as_mut() {
                Some(g) => run_chain(g, &self.staging, &mut self.mix, Blend::Set, n),
                None => self.mix.iter_mut().for_each(|m| m.fill(0.0)),
            },
            Phase::Crossfade { at } => {
                if let Some(g) = self.current.as_mut() {
                    run_chain(
                        g,
                        &self.staging,
                        &mut self.mix,
                        Blend::SetScaled(self.fades.falling(at, n)),
                        n,
                    );
                }
                if let Some(g) = self.incoming.as_mut() {
                    run_chain(
                        g,
                        &self.staging,
                        &mut self.mix,
                        Blend::AddScaled(self.fades.rising(at, n)),
                        n,
                    );
                }
                self.phase = Phase::Crossfade { at: at + n };
                if at + n >= len {
                    self.promote();
                    self.phase = Phase::Steady;
                }
            }
            Phase::FadeOut { at } => {
                if let Some(g) = self.current.as_mut() {
                    run_chain(
                        g,
                        &self.staging,
                        &mut self.mix,
                        Blend::SetScaled(self.fades.falling(at, n)),
                        n,
                    );
                }
                self.phase = Phase::FadeOut { at: at + n };
                if at + n >= len {
                    if let (Some(new), Some(old)) = (self.incoming.as_mut(), self.current.as_mut())
                    {
                        new.take_over(old);
                    }
                    self.promote();
                    self.phase = Phase::FadeIn { at: 0 };
                }
            }
            Phase::FadeIn { at } => {
                if let Some(g) = self.current.as_mut() {
                    run_chain(
                        g,
                        &self.staging,
                        &mut self.mix,
                        Blend::SetScaled(self.fades.rising(at, n)),
                        n,
                    );
                }
                self.phase = if at + n >= len {
                    Phase::Steady
                } else {
                    Phase::FadeIn { at: at + n }
                };
            }
        }
    }

    /// The incoming chain becomes the playing one; the old one goes back.
    fn promote(&mut self) {
        if let Some(new) = self.incoming.take() {
            self.status.swapped_to(new.generation);
            let old = self.current.replace(new);
            self.retire(old);
        }
    }
}

/// Feeds the staged inputs to one chain, runs it for `n` frames and blends its output into
/// the mix.
fn run_chain(
    g: &mut LiveGraph,
    staging: &[Staging],
    mix: &mut [Box<[f32]>],
    blend: Blend<'_>,
    n: usize,
) {
    for (input, &ring) in g.ring_of_input.iter().enumerate() {
        let Some(stage) = staging.get(ring) else {
            continue;
        };
        for (ch, src) in stage.iter().enumerate() {
            let dst = g.schedule.input_buffer(input, ch);
            let m = n.min(dst.len()).min(src.len());
            dst[..m].copy_from_slice(&src[..m]);
        }
    }
    g.schedule.process(n);
    for (ch, m) in mix.iter_mut().enumerate() {
        let out = g.schedule.output_buffer(g.output, ch);
        let len = n.min(m.len());
        let m = &mut m[..len];
        match blend {
            Blend::Set => {
                for (i, y) in m.iter_mut().enumerate() {
                    *y = out.get(i).copied().unwrap_or(0.0);
                }
            }
            Blend::SetScaled(gains) => {
                for (i, y) in m.iter_mut().enumerate() {
                    *y = out.get(i).copied().unwrap_or(0.0) * gains.get(i).copied().unwrap_or(0.0);
                }
            }
            Blend::AddScaled(gains) => {
                for (i, y) in m.iter_mut().enumerate() {
                    *y += out.get(i).copied().unwrap_or(0.0) * gains.get(i).copied().unwrap_or(0.0);
                }
            }
        }
    }
}

/// Interleaves the mix into device frames in the device's sample format.
fn write_frames<T>(mix: &[Box<[f32]>], device_map: &[Option<usize>], out: &mut [T])
where
    T: Sample + FromSample<f32>,
{
    let channels = device_map.len().max(1);
    for (f, frame) in out.chunks_exact_mut(channels).enumerate() {
        for (s, source) in frame.iter_mut().zip(device_map) {
            *s = match source.and_then(|c| mix.get(c)).and_then(|m| m.get(f)) {
                Some(&x) => T::from_sample(x),
                None => T::EQUILIBRIUM,
            };
        }
    }
}

/// Which chain-output channel each device channel plays: channel for channel, a mono
/// output on the first two device channels, silence on device channels beyond the output.
pub(crate) fn device_map(output_channels: usize, device_channels: usize) -> Box<[Option<usize>]> {
    (0..device_channels)
        .map(|d| {
            if output_channels == 1 {
                (d < 2).then_some(0)
            } else {
                (d < output_channels).then_some(d)
            }
        })
        .collect()
}
