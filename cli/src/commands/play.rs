//! `mixgraph play CHAIN --input NAME=FILE...`: files through the chain to an output device,
//! with a meter line on the terminal (peak, short-term loudness, underruns). Stops at the end
//! of the input once the chain's tail has played, or on Ctrl-C. With `--watch`, edits of the
//! chain file are swapped in while it plays. Also home of the monitoring loop `live` shares.

use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use mixgraph_chains::ValidChain;
use mixgraph_engine::CompileConfig;
use mixgraph_engine::live::{
    ChainWatcher, Controller, FileSource, HotReload, LiveError, LiveSession, MeterReading,
    PlayInput, PlayOptions, ReloadEvent, ReloadOutcome, SessionInfo, Status,
};
use serde_json::json;

use super::render::ScriptFlags;
use crate::chain_file::{self, ScriptArgs, parse_binding};
use crate::exit::BadInput;

/// How often the meter line and the chain file are looked at.
const TICK: Duration = Duration::from_millis(50);

/// Arguments of `mixgraph play`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The chain: a .ron preset, a .lua recipe, or a shipped preset's name.
    pub chain: String,
    /// Binds a chain input to a file (repeatable).
    #[arg(short, long = "input", value_name = "NAME=FILE", value_parser = parse_binding)]
    pub inputs: Vec<(String, String)>,
    /// Output device name or id (see `mixgraph devices`); the default device otherwise.
    #[arg(long)]
    pub device: Option<String>,
    /// Audio host (see `mixgraph devices`); the first available otherwise.
    #[arg(long)]
    pub host: Option<String>,
    /// Largest processing block (the device keeps its default buffer size, which favours
    /// glitch-free playback).
    #[arg(long, default_value_t = 256)]
    pub block: usize,
    /// Session sample rate (default: the chain's, else the first input's; inputs and chain
    /// are converted when the device cannot run at it).
    #[arg(long)]
    pub sample_rate: Option<u32>,
    /// The chain output to play (default: the first).
    #[arg(long = "play-output", value_name = "NAME")]
    pub output: Option<String>,
    /// Swap in edits of the chain file while playing.
    #[arg(long)]
    pub watch: bool,
    /// Length of the fade when an edited chain is swapped in, in milliseconds.
    #[arg(long, default_value_t = 20.0)]
    pub fade_ms: f64,
    #[command(flatten)]
    pub script: ScriptFlags,
}

/// Plays the inputs through the chain.
pub fn run(args: &Args, json_output: bool) -> Result<()> {
    check_block(args.block)?;
    let mut script = ScriptArgs::from(&args.script);
    script.inputs = args
        .inputs
        .iter()
        .map(|(n, f)| (n.clone(), PathBuf::from(f)))
        .collect();
    let chain = chain_file::load(&args.chain, &script)?;
    let mut inputs = Vec::new();
    for (name, file) in &args.inputs {
        let source = FileSource::open(file)
            .map_err(|e| live_error(&chain, e))
            .with_context(|| format!("--input {name}={file}"))?;
        inputs.push(PlayInput {
            name: name.clone(),
            source: Box::new(source),
        });
    }
    let options = PlayOptions {
        host: args.host.clone(),
        device: args.device.clone(),
        block: args.block,
        sample_rate: args.sample_rate.or(chain.sample_rate()),
        output: args.output.clone(),
        fade_ms: args.fade_ms,
        ..PlayOptions::default()
    };
    let session =
        LiveSession::play(chain.graph(), inputs, &options).map_err(|e| live_error(&chain, e))?;
    let reloader = Reloader::new(args.watch, &args.chain, script, session.info())?;
    let summary = monitor(session, reloader, json_output, Until::End)?;
    print_summary(&args.chain, &summary, json_output)
}

/// `--block` in the engine's range.
pub fn check_block(block: usize) -> Result<()> {
    if block == 0 || block > 65_536 {
        return Err(BadInput(format!("--block must be 1 to 65536 frames, found {block}")).into());
    }
    Ok(())
}

/// A live error as the command line reports it: graph errors placed in the chain file,
/// what the user can fix as bad input (exit status 2), the rest as failures.
pub fn live_error(chain: &ValidChain, e: LiveError) -> anyhow::Error {
    match e {
        LiveError::Graph(g) => chain.explain(g).into(),
        LiveError::Audio(io) => io.into(),
        LiveError::UnknownHost { .. }
        | LiveError::UnknownDevice { .. }
        | LiveError::AmbiguousDevice { .. }
        | LiveError::UnboundInput { .. }
        | LiveError::UnknownInput { .. }
        | LiveError::UnknownOutput { .. }
        | LiveError::NoOutput
        | LiveError::InputChannels { .. }
        | LiveError::TooManyChannels { .. }
        | LiveError::RateMismatch { .. }
        | LiveError::UnsupportedStream { .. }
        | LiveError::Config(_) => BadInput(e.to_string()).into(),
        other => other.into(),
    }
}

/// Rebuilds the chain when its file changes (`--watch`).
pub struct Reloader {
    hot: Option<HotReload>,
    chain: String,
    script: ScriptArgs,
    config: CompileConfig,
}

impl Reloader {
    /// A reloader for `chain`, or one that never reloads when `watch` is off.
    pub fn new(
        watch: bool,
        chain: &str,
        script: ScriptArgs,
        info: &SessionInfo,
    ) -> Result<Reloader> {
        let hot = if watch {
            if !Path::new(chain).is_file() {
                return Err(BadInput(format!("--watch needs a chain file; `{chain}` is a shipped preset (copy it to a file to edit it)")).into());
            }
            Some(HotReload::new(ChainWatcher::new(chain)))
        } else {
            None
        };
        let config = CompileConfig::new(f64::from(info.sample_rate), info.block);
        Ok(Reloader {
            hot,
            chain: chain.to_string(),
            script,
            config,
        })
    }

    /// Swaps in an edit of the chain file, if there is one.
    fn poll(&mut self, controller: &mut Controller) -> Option<ReloadEvent> {
        let hot = self.hot.as_mut()?;
        let (chain, script, config) = (&self.chain, &self.script, &self.config);
        hot.poll(controller, || {
            let valid = chain_file::load(chain, script).map_err(|e| format!("{e:#}"))?;
            // Compile once here so an error is reported with its place in the file.
            valid.compile(config).map_err(|e| e.to_string())?;
            Ok(valid.graph().clone())
        })
    }
}

/// When monitoring ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// At the end of the inputs (once the tail has played), or on Ctrl-C.
    End,
    /// Only on Ctrl-C.
    Interrupted,
}

/// What a session did.
pub struct Summary {
    /// What was opened.
    pub info: SessionInfo,
    /// The final counters.
    pub status: Status,
    /// The highest sample peak per channel over the session, in dBFS.
    pub peak_dbfs: Vec<f64>,
    /// The last meter reading.
    pub last: Option<MeterReading>,
    /// One line per reload.
    pub reloads: Vec<String>,
    /// Whether Ctrl-C stopped it.
    pub interrupted: bool,
}

/// Runs the session's control loop: meter line, hot reload, end of input, Ctrl-C.
pub fn monitor(
    mut session: LiveSession,
    mut reloader: Reloader,
    json_output: bool,
    until: Until,
) -> Result<Summary> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .context("cannot catch Ctrl-C")?;
    let info = session.info().clone();
    let mut line = MeterLine::new(!json_output && std::io::stderr().is_terminal());
    if !json_output {
        eprintln!(
            "{} through {} at {} Hz ({} ch {}); Ctrl-C stops",
            if until == Until::End {
                "playing"
            } else {
                "monitoring"
            },
            info.output_device,
            info.sample_rate,
            info.output_stream.channels,
            info.output_stream.format
        );
        for name in &info.resampled_inputs {
            eprintln!("input `{name}` is converted to {} Hz", info.sample_rate);
        }
    }
    let mut peak_dbfs: Vec<f64> = Vec::new();
    let mut last;
    let mut reloads = Vec::new();
    let interrupted = loop {
        std::thread::sleep(TICK);
        if let Err(e) = session.check() {
            line.clear();
            return Err(anyhow::Error::from(e).context("playback stopped"));
        }
        let reading = session.controller().meter();
        let status = session.controller().status();
        peak_dbfs.resize(reading.peak_dbfs.len(), f64::NEG_INFINITY);
        for (p, r) in peak_dbfs.iter_mut().zip(&reading.peak_dbfs) {
            *p = p.max(*r);
        }
        line.show(&reading, &status, info.sample_rate);
        last = reading;
        if let Some(event) = reloader.poll(session.controller()) {
            let text = describe_reload(&event);
            line.clear();
            if !json_output {
                eprintln!("{text}");
            }
            reloads.push(text);
        }
        if stop.load(Ordering::SeqCst) {
            break true;
        }
        if until == Until::End && session.is_finished() {
            std::thread::sleep(session.drain_time());
            break false;
        }
    };
    line.clear();
    let status = session.stop().context("playback stopped")?;
    Ok(Summary {
        info,
        status,
        peak_dbfs,
        last: Some(last),
        reloads,
        interrupted,
    })
}

fn describe_reload(event: &ReloadEvent) -> String {
    match event {
        ReloadEvent::Applied(ReloadOutcome::Unchanged) => "reloaded: nothing changed".to_string(),
        ReloadEvent::Applied(ReloadOutcome::Parameters { changed }) => {
            format!("reloaded: {changed} parameter(s) changed, applied smoothly")
        }
        ReloadEvent::Applied(ReloadOutcome::Swapped {
            generation,
            carried,
            fresh,
            crossfade,
        }) => format!(
            "reloaded (chain #{generation}): {carried} node(s) kept their state, {fresh} started fresh, {}",
            if *crossfade {
                "crossfaded"
            } else {
                "faded out and in"
            }
        ),
        ReloadEvent::Applied(other) => format!("reloaded: {other:?}"),
        ReloadEvent::Failed(e) => format!("reload failed, the previous chain keeps playing:\n{e}"),
    }
}

/// The meter line on a terminal, rewritten in place.
struct MeterLine {
    enabled: bool,
    shown: bool,
}

impl MeterLine {
    fn new(enabled: bool) -> Self {
        MeterLine {
            enabled,
            shown: false,
        }
    }

    fn show(&mut self, reading: &MeterReading, status: &Status, rate: u32) {
        if !self.enabled {
            return;
        }
        let text = meter_text(reading, status, rate);
        let mut err = std::io::stderr().lock();
        // A terminal that went away is no reason to stop the music.
        if write!(err, "\r\x1b[2K{text}")
            .and_then(|()| err.flush())
            .is_ok()
        {
            self.shown = true;
        }
    }

    fn clear(&mut self) {
        if self.shown {
            eprint!("\r\x1b[2K");
            self.shown = false;
        }
    }
}

fn db(x: f64) -> String {
    if x.is_finite() {
        format!("{x:6.1}")
    } else {
        "  -inf".to_string()
    }
}

/// "peak  -3.2  -4.0 dBFS | short-term -14.1 LUFS | underruns 0 | 0:12.3".
fn meter_text(reading: &MeterReading, status: &Status, rate: u32) -> String {
    let peaks: Vec<String> = reading.peak_dbfs.iter().map(|p| db(*p)).collect();
    let seconds = status.frames_played as f64 / f64::from(rate.max(1));
    format!(
        "peak {} dBFS | short-term {} LUFS | underruns {} | {}:{:04.1}",
        peaks.join(" "),
        db(reading.short_term_lufs),
        status.underruns,
        (seconds / 60.0).floor() as u64,
        seconds % 60.0
    )
}

/// Prints what the session did.
pub fn print_summary(chain: &str, s: &Summary, json_output: bool) -> Result<()> {
    let seconds = s.status.frames_played as f64 / f64::from(s.info.sample_rate.max(1));
    if json_output {
        let value = json!({
            "chain": chain,
            "session": s.info,
            "status": s.status,
            "seconds": seconds,
            "peak_dbfs": s.peak_dbfs,
            "short_term_lufs": s.last.as_ref().map(|m| m.short_term_lufs),
            "reloads": s.reloads,
            "stopped_by": if s.interrupted { "ctrl-c" } else { "end" },
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    let peaks: Vec<String> = s
        .peak_dbfs
        .iter()
        .map(|p| db(*p).trim().to_string())
        .collect();
    println!(
        "{} {:.1} s at {} Hz; peak {} dBFS; underruns {}; device errors {}; reloads {}",
        if s.interrupted {
            "stopped after"
        } else {
            "played"
        },
        seconds,
        s.info.sample_rate,
        peaks.join(" / "),
        s.status.underruns,
        s.status.device_errors,
        s.reloads.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_meter_line_shows_peaks_loudness_underruns_and_time() {
        let reading = MeterReading {
            peak_dbfs: vec![-3.24, f64::NEG_INFINITY],
            momentary_lufs: -12.0,
            short_term_lufs: -14.06,
        };
        let status = Status {
            frames_played: 48_000 * 72 + 24_000,
            underruns: 2,
            ..Status::default()
        };
        assert_eq!(
            meter_text(&reading, &status, 48_000),
            "peak   -3.2   -inf dBFS | short-term  -14.1 LUFS | underruns 2 | 1:12.5"
        );
    }
}
