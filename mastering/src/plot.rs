//! The analysis plot, a PNG a person can read at a glance: short-term and momentary loudness
//! over time with the target and the true-peak overs marked, and the average spectrum on a
//! logarithmic frequency axis. Text is drawn with the embedded DejaVu Sans font, so nothing
//! depends on the fonts installed on the machine.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::analysis::{Analysis, LevelPoint};
use crate::error::PlotError;
use crate::targets::Target;

/// Image size in pixels.
const SIZE: (u32, u32) = (1400, 960);
/// The family name every text style uses (plotters' default for axis labels too).
const FONT: &str = "sans-serif";
/// DejaVu Sans 2.37 (Bitstream Vera license, see assets/LICENSE-DejaVuSans.txt).
static FONT_BYTES: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
/// Width of one true-peak reading, in seconds.
const PEAK_INTERVAL_S: f64 = 0.1;
/// Frequencies drawn in the spectrum panel.
const SPECTRUM_POINTS: usize = 480;

const SHORT_TERM_COLOUR: RGBColor = RGBColor(31, 84, 160);
const MOMENTARY_COLOUR: RGBColor = RGBColor(140, 175, 220);
const TARGET_COLOUR: RGBColor = RGBColor(30, 140, 60);
const INTEGRATED_COLOUR: RGBColor = RGBColor(90, 90, 90);
const OVER_COLOUR: RGBColor = RGBColor(210, 30, 30);
const GRID_COLOUR: RGBColor = RGBColor(232, 232, 232);

/// Draws the analysis into a PNG at `path`, written to a temporary file next to it and
/// renamed into place when complete. True-peak overs are the 100 ms intervals above the
/// target's ceiling (above 0 dBTP without a target).
///
/// # Errors
/// [`PlotError::Draw`] when drawing or encoding fails (for instance, the folder does not
/// exist), [`PlotError::Write`] when the image cannot be moved into place; no partial file is
/// left behind.
pub fn plot_analysis(
    analysis: &Analysis,
    target: Option<&Target>,
    path: &Path,
) -> Result<(), PlotError> {
    register_font()?;
    let temp = TempImage::new(path);
    draw(analysis, target, &temp.temp).map_err(|message| PlotError::Draw {
        path: path.to_path_buf(),
        message,
    })?;
    temp.commit()
}

/// Registers the embedded font with plotters, once per process.
fn register_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok()
    });
    if *ok { Ok(()) } else { Err(PlotError::Font) }
}

/// A temporary `.png` next to the target (the encoder picks the format from the extension),
/// removed unless committed.
struct TempImage {
    target: PathBuf,
    temp: PathBuf,
    committed: bool,
}

impl TempImage {
    fn new(target: &Path) -> Self {
        static SERIAL: AtomicU64 = AtomicU64::new(0);
        let name = target
            .file_name()
            .map_or_else(|| "plot".into(), |n| n.to_string_lossy());
        let serial = SERIAL.fetch_add(1, Ordering::Relaxed);
        let temp_name = format!(".{name}.tmp-{}-{serial}.png", std::process::id());
        Self {
            target: target.to_path_buf(),
            temp: target.with_file_name(temp_name),
            committed: false,
        }
    }

    fn commit(mut self) -> Result<(), PlotError> {
        std::fs::rename(&self.temp, &self.target).map_err(|source| PlotError::Write {
            path: self.target.clone(),
            source,
        })?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for TempImage {
    fn drop(&mut self) {
        if !self.committed {
            // A destructor cannot report; the file may also never have been created.
            std::fs::remove_file(&self.temp).ok();
        }
    }
}

/// Turns a drawing error into its message.
fn message(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// A sample of a series' line or fill, for the key.
enum Mark {
    Line(RGBColor, u32),
    Dashed(RGBColor),
    Block(RGBColor),
}

/// One entry of the key.
struct KeyEntry {
    mark: Mark,
    label: String,
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

fn draw(analysis: &Analysis, target: Option<&Target>, file: &Path) -> Result<(), String> {
    let root = BitMapBackend::new(file, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(message)?;
    let (header, body) = root.split_vertically(HEADER_HEIGHT);
    draw_header(&header, analysis, target)?;
    let (charts, side) = body.split_horizontally(SIZE.0 - SIDE_WIDTH);
    let (upper, lower) = charts.split_vertically((SIZE.1 - HEADER_HEIGHT) * 58 / 100);
    let ceiling = target.map_or(0.0, |t| t.true_peak_dbtp);
    let key = draw_loudness(&upper, analysis, target, ceiling)?;
    draw_spectrum(&lower, analysis)?;
    draw_side(&side, &key, analysis)?;
    root.present().map_err(message)
}

/// Height of the header lines, in pixels.
const HEADER_HEIGHT: u32 = 64;
/// Width of the column with the key and the figures, in pixels.
const SIDE_WIDTH: u32 = 310;

/// The two header lines: what the audio is, and how it compares with the target.
fn draw_header(
    area: &Area<'_>,
    analysis: &Analysis,
    target: Option<&Target>,
) -> Result<(), String> {
    let title = format!(
        "Analysis: {:.1} kHz, {} channel{}, {}",
        f64::from(analysis.sample_rate) / 1000.0,
        analysis.channel_count(),
        if analysis.channel_count() == 1 {
            ""
        } else {
            "s"
        },
        clock(analysis.duration_s()),
    );
    area.draw(&Text::new(title, (16, 8), (FONT, 22).into_font()))
        .map_err(message)?;
    let (verdict, colour) = match target {
        Some(t) => verdict(t, analysis),
        None => (
            "No target given; true-peak overs are marked above 0 dBTP".to_string(),
            BLACK,
        ),
    };
    area.draw(&Text::new(
        verdict,
        (16, 36),
        (FONT, 17).into_font().color(&colour),
    ))
    .map_err(message)
}

/// The sentence comparing the analysis with the target, and its colour.
fn verdict(target: &Target, analysis: &Analysis) -> (String, RGBColor) {
    let check = target.check(analysis);
    let aim = format!(
        "Target {}: {} LUFS ±{} LU, true peak ≤ {} dBTP",
        target.name, target.integrated_lufs, target.tolerance_lu, target.true_peak_dbtp
    );
    if check.passes() {
        return (format!("{aim}: on target"), TARGET_COLOUR);
    }
    let mut problems = Vec::new();
    match check.loudness_deviation_lu {
        Some(d) if !check.loudness_ok => {
            let side = if d > 0.0 { "too loud" } else { "too quiet" };
            problems.push(format!("{:.1} LU {side}", d.abs()));
        }
        None => problems.push("silent".to_string()),
        Some(_) => {}
    }
    if !check.true_peak_ok {
        problems.push(format!(
            "true peak {:.1} dB over",
            check.true_peak_margin_db
        ));
    }
    (
        format!("{aim}: off target ({})", problems.join(", ")),
        OVER_COLOUR,
    )
}

/// `m:ss.s` for a duration in seconds.
fn clock(seconds: f64) -> String {
    let minutes = (seconds / 60.0).floor();
    format!("{}:{:04.1}", minutes as u64, seconds - minutes * 60.0)
}

/// The loudness axis range: from a little under the quietest short-term reading to a little
/// over the loudest momentary reading, the target included, in steps of 5 LU.
fn loudness_axis(analysis: &Analysis, target: Option<&Target>) -> (f64, f64) {
    let finite = |points: &[LevelPoint]| -> Vec<f64> {
        points
            .iter()
            .map(|p| p.level)
            .filter(|l| l.is_finite())
            .collect()
    };
    let momentary = finite(&analysis.momentary_lufs);
    let mut short_term = finite(&analysis.short_term_lufs);
    if short_term.is_empty() {
        short_term.clone_from(&momentary);
    }
    let mut top = momentary.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut bottom = short_term.iter().copied().fold(f64::INFINITY, f64::min);
    if let Some(t) = target {
        top = top.max(t.integrated_lufs);
        bottom = bottom.min(t.integrated_lufs - 6.0);
    }
    if !top.is_finite() {
        top = -10.0;
    }
    if !bottom.is_finite() || bottom > top - 10.0 {
        bottom = top - 10.0;
    }
    let hi = ((top + 2.0) / 5.0).ceil() * 5.0;
    let lo = ((bottom - 3.0) / 5.0).floor() * 5.0;
    (lo.max(hi - 60.0), hi)
}

/// Time axis labels: `m:ss` from two minutes on, seconds otherwise.
fn time_label(duration_s: f64) -> impl Fn(&f64) -> String {
    move |t: &f64| {
        if duration_s >= 120.0 {
            let minutes = (t / 60.0).floor();
            format!("{}:{:02.0}", minutes as u64, t - minutes * 60.0)
        } else if duration_s >= 10.0 {
            format!("{t:.0}")
        } else {
            format!("{t:.1}")
        }
    }
}

/// Whole-number axis labels.
fn whole(v: &f64) -> String {
    format!("{v:.0}")
}

/// The loudness panel; returns the key of what it drew.
fn draw_loudness(
    area: &Area<'_>,
    analysis: &Analysis,
    target: Option<&Target>,
    ceiling: f64,
) -> Result<Vec<KeyEntry>, String> {
    let (lo, hi) = loudness_axis(analysis, target);
    let end = analysis.duration_s().max(1.0);
    let mut chart = ChartBuilder::on(area)
        .caption("Loudness over time", (FONT, 20))
        .margin(14)
        .x_label_area_size(42)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..end, lo..hi)
        .map_err(message)?;
    let time_label = time_label(end);
    chart
        .configure_mesh()
        .x_desc(if end >= 120.0 {
            "time (m:ss)"
        } else {
            "time (s)"
        })
        .y_desc("loudness (LUFS)")
        .x_label_formatter(&time_label)
        .y_label_formatter(&whole)
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16))
        .light_line_style(GRID_COLOUR)
        .bold_line_style(GRID_COLOUR)
        .max_light_lines(1)
        .draw()
        .map_err(message)?;

    let mut key = Vec::new();
    let overs: Vec<&LevelPoint> = analysis.true_peak_overs(ceiling).collect();
    if !overs.is_empty() {
        let band = (hi - lo) * 0.04;
        chart
            .draw_series(overs.iter().flat_map(|p| {
                let start = (p.time_s - PEAK_INTERVAL_S).max(0.0);
                [
                    Rectangle::new(
                        [(start, lo), (p.time_s, hi)],
                        OVER_COLOUR.mix(0.07).filled(),
                    ),
                    Rectangle::new([(start, hi - band), (p.time_s, hi)], OVER_COLOUR.filled()),
                ]
            }))
            .map_err(message)?;
        key.push(KeyEntry {
            mark: Mark::Block(OVER_COLOUR),
            label: format!("true peak > {ceiling} dBTP ({} x 100 ms)", overs.len()),
        });
    }
    if let Some(t) = target {
        let (low, high) = (
            t.integrated_lufs - t.tolerance_lu,
            t.integrated_lufs + t.tolerance_lu,
        );
        chart
            .draw_series([Rectangle::new(
                [(0.0, low), (end, high)],
                TARGET_COLOUR.mix(0.10).filled(),
            )])
            .map_err(message)?;
        chart
            .draw_series(DashedLineSeries::new(
                [(0.0, t.integrated_lufs), (end, t.integrated_lufs)],
                10,
                6,
                TARGET_COLOUR.stroke_width(2),
            ))
            .map_err(message)?;
        key.push(KeyEntry {
            mark: Mark::Dashed(TARGET_COLOUR),
            label: format!("target {} LUFS ±{} LU", t.integrated_lufs, t.tolerance_lu),
        });
    }
    let clamp = |p: &LevelPoint| (p.time_s, p.level.clamp(lo, hi));
    chart
        .draw_series(LineSeries::new(
            analysis.momentary_lufs.iter().map(clamp),
            MOMENTARY_COLOUR,
        ))
        .map_err(message)?;
    key.push(KeyEntry {
        mark: Mark::Line(MOMENTARY_COLOUR, 1),
        label: "momentary (400 ms)".into(),
    });
    chart
        .draw_series(LineSeries::new(
            analysis.short_term_lufs.iter().map(clamp),
            SHORT_TERM_COLOUR.stroke_width(2),
        ))
        .map_err(message)?;
    key.push(KeyEntry {
        mark: Mark::Line(SHORT_TERM_COLOUR, 2),
        label: "short-term (3 s)".into(),
    });
    if analysis.integrated_lufs.is_finite() {
        let level = analysis.integrated_lufs.clamp(lo, hi);
        chart
            .draw_series(DashedLineSeries::new(
                [(0.0, level), (end, level)],
                4,
                4,
                INTEGRATED_COLOUR.stroke_width(1),
            ))
            .map_err(message)?;
        key.push(KeyEntry {
            mark: Mark::Dashed(INTEGRATED_COLOUR),
            label: format!("integrated {:.1} LUFS", analysis.integrated_lufs),
        });
    }
    Ok(key)
}

fn draw_spectrum(area: &Area<'_>, analysis: &Analysis) -> Result<(), String> {
    let top_hz = (f64::from(analysis.sample_rate) / 2.0).min(20_000.0);
    let from_hz = 20.0f64.min(top_hz / 10.0);
    let points = analysis
        .spectrum
        .smoothed(6.0, from_hz, top_hz, SPECTRUM_POINTS);
    let loudest = points
        .iter()
        .map(|p| p.1)
        .filter(|l| l.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    let hi = if loudest.is_finite() {
        ((loudest + 6.0) / 10.0).ceil() * 10.0
    } else {
        0.0
    };
    let lo = hi - 100.0;
    let mut chart = ChartBuilder::on(area)
        .caption("Average spectrum (1/6-octave smoothed)", (FONT, 20))
        .margin(14)
        .x_label_area_size(42)
        .y_label_area_size(56)
        .build_cartesian_2d((from_hz..top_hz).log_scale(), lo..hi)
        .map_err(message)?;
    let hz_label = |hz: &f64| {
        if *hz >= 1000.0 {
            format!("{}k", hz / 1000.0)
        } else {
            format!("{hz}")
        }
    };
    chart
        .configure_mesh()
        .x_desc("frequency (Hz)")
        .y_desc("level (dB; full-scale sine = 0)")
        .x_label_formatter(&hz_label)
        .y_label_formatter(&whole)
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16))
        .light_line_style(GRID_COLOUR)
        .bold_line_style(GRID_COLOUR)
        .y_max_light_lines(1)
        .draw()
        .map_err(message)?;
    let curve = points.iter().map(|&(hz, db)| (hz, db.clamp(lo, hi)));
    let under_curve: Vec<(f64, f64)> = curve.clone().chain([(top_hz, lo), (from_hz, lo)]).collect();
    chart
        .draw_series([Polygon::new(
            under_curve,
            SHORT_TERM_COLOUR.mix(0.15).filled(),
        )])
        .map_err(message)?;
    chart
        .draw_series(LineSeries::new(curve, SHORT_TERM_COLOUR.stroke_width(2)))
        .map_err(message)?;
    Ok(())
}

/// The right-hand column: the key of the loudness panel, then the figures.
fn draw_side(area: &Area<'_>, key: &[KeyEntry], analysis: &Analysis) -> Result<(), String> {
    let x = 8;
    let mut y = 52;
    area.draw(&Text::new("Key", (x, y), (FONT, 17).into_font()))
        .map_err(message)?;
    y += 28;
    for entry in key {
        let mid = y + 8;
        match entry.mark {
            Mark::Line(colour, width) => area.draw(&PathElement::new(
                [(x, mid), (x + 26, mid)],
                colour.stroke_width(width),
            )),
            Mark::Dashed(colour) => [0, 10, 20].iter().try_for_each(|dx| {
                area.draw(&PathElement::new(
                    [(x + dx, mid), (x + dx + 6, mid)],
                    colour.stroke_width(2),
                ))
            }),
            Mark::Block(colour) => area.draw(&Rectangle::new(
                [(x, mid - 6), (x + 26, mid + 6)],
                colour.filled(),
            )),
        }
        .map_err(message)?;
        area.draw(&Text::new(
            entry.label.as_str(),
            (x + 36, y),
            (FONT, 14).into_font(),
        ))
        .map_err(message)?;
        y += 24;
    }
    y += 24;
    area.draw(&Text::new("Measurements", (x, y), (FONT, 17).into_font()))
        .map_err(message)?;
    y += 30;
    let right = SIDE_WIDTH as i32 - 20;
    let value_style = (FONT, 15)
        .into_font()
        .into_text_style(area)
        .pos(Pos::new(HPos::Right, VPos::Top));
    for (name, value) in figures(analysis) {
        area.draw(&Text::new(name, (x, y), (FONT, 15).into_font()))
            .map_err(message)?;
        area.draw(&Text::new(value, (right, y), value_style.clone()))
            .map_err(message)?;
        y += 23;
    }
    Ok(())
}

/// The figures listed beside the charts, as (name, value with unit).
fn figures(analysis: &Analysis) -> Vec<(&'static str, String)> {
    let level = |x: f64, unit: &str| {
        if x.is_finite() {
            format!("{x:.1} {unit}")
        } else {
            format!("-inf {unit}")
        }
    };
    let optional =
        |x: Option<f64>, unit: &str| x.map_or_else(|| "-".to_string(), |x| level(x, unit));
    let dc = analysis
        .channels
        .iter()
        .map(|c| c.dc_offset.abs())
        .fold(0.0, f64::max);
    let mut rows = vec![
        ("Integrated", level(analysis.integrated_lufs, "LUFS")),
        (
            "Max momentary",
            optional(analysis.max_momentary_lufs, "LUFS"),
        ),
        (
            "Max short-term",
            optional(analysis.max_short_term_lufs, "LUFS"),
        ),
        (
            "Loudness range",
            format!("{:.1} LU", analysis.loudness_range_lu),
        ),
        ("True peak", level(analysis.true_peak_dbtp, "dBTP")),
        ("Sample peak", level(analysis.sample_peak_dbfs, "dBFS")),
        ("PLR", optional(analysis.plr_db(), "dB")),
        (
            "Clipped runs",
            format!(
                "{} ({} samples)",
                analysis.clipped_runs(),
                analysis.clipped_samples()
            ),
        ),
        ("DC offset (max)", level(20.0 * dc.log10(), "dBFS")),
        ("Head silence", format!("{:.2} s", analysis.head_silence_s)),
        ("Tail silence", format!("{:.2} s", analysis.tail_silence_s)),
    ];
    if let Some(p) = &analysis.phase_correlation {
        rows.push(("Correlation", format!("{:+.2}", p.overall)));
        if let Some(w) = p.worst_window {
            rows.push((
                "Worst 400 ms",
                format!("{:+.2} at {}", w.correlation, clock(w.end_s)),
            ));
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{analyse_blocks, analyse_stereo_sine, sine};

    /// Width and height from a PNG's IHDR chunk.
    fn png_size(bytes: &[u8]) -> (u32, u32) {
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
        assert_eq!(&bytes[12..16], b"IHDR");
        let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
        (word(16), word(20))
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// A programme with a quiet and a loud passage and a few true-peak overs.
    fn programme() -> Analysis {
        let mut tone = sine(48_000, 220.0, 0.1, 4.0);
        tone.extend(sine(48_000, 220.0, 0.6, 4.0));
        for at in [5.0, 6.5] {
            tone[(at * 48_000.0) as usize] = 0.99;
        }
        let right: Vec<f32> = tone.iter().map(|x| x * 0.8).collect();
        analyse_blocks(48_000, &[tone, right], 4096)
    }

    #[test]
    fn writes_a_png_in_place_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("analysis.png");
        let analysis = programme();
        let target = Target::by_name("spotify").unwrap();
        assert!(analysis.true_peak_overs(target.true_peak_dbtp).count() >= 2);
        plot_analysis(&analysis, Some(&target), &path).unwrap();
        assert_eq!(png_size(&std::fs::read(&path).unwrap()), SIZE);
        // Writing again replaces the file; without a target too.
        plot_analysis(&analysis, None, &path).unwrap();
        assert_eq!(entries(dir.path()), ["analysis.png"]);
    }

    #[test]
    fn silence_and_very_short_audio_still_plot() {
        let dir = tempfile::tempdir().unwrap();
        let silent = analyse_stereo_sine(0.0, 2.0);
        plot_analysis(
            &silent,
            Some(&Target::by_name("apple").unwrap()),
            &dir.path().join("s.png"),
        )
        .unwrap();
        let short = analyse_stereo_sine(0.5, 0.05);
        plot_analysis(&short, None, &dir.path().join("t.png")).unwrap();
        assert_eq!(entries(dir.path()), ["s.png", "t.png"]);
    }

    #[test]
    fn a_missing_folder_fails_without_leaving_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("plot.png");
        let err = plot_analysis(&analyse_stereo_sine(0.5, 1.0), None, &path).unwrap_err();
        assert!(matches!(err, PlotError::Draw { .. }), "{err:?}");
        assert!(err.to_string().contains("plot.png"), "{err}");
        assert_eq!(entries(dir.path()), Vec::<String>::new());
    }

    #[test]
    fn loudness_axis_holds_the_readings_and_the_target() {
        let analysis = programme();
        let (lo, hi) = loudness_axis(&analysis, None);
        let max = analysis.max_momentary_lufs.unwrap();
        let quietest = analysis
            .short_term_lufs
            .iter()
            .map(|p| p.level)
            .fold(f64::INFINITY, f64::min);
        assert!(
            lo < quietest && max < hi,
            "{lo}..{hi} for {quietest}..{max}"
        );
        assert_eq!((lo % 5.0, hi % 5.0), (0.0, 0.0));
        let (lo, hi) = loudness_axis(&analysis, Some(&Target::by_name("ebu-r128").unwrap()));
        assert!(lo <= -29.0 && hi > max);
        let (lo, hi) = loudness_axis(&analyse_stereo_sine(0.0, 1.0), None);
        assert!(lo < hi);
    }

    #[test]
    fn durations_print_as_minutes_and_seconds() {
        assert_eq!(clock(3.25), "0:03.2");
        assert_eq!(clock(185.0), "3:05.0");
    }
}
