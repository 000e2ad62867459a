//! The delivery formats: streaming (44.1 kHz, 24-bit), CD (44.1 kHz, 16-bit with TPDF
//! dither) and broadcast (48 kHz, 24-bit), each a WAV file named after its track.

use std::fmt;
use std::str::FromStr;

use mixgraph_engine::{Dither, OutputFormat, SampleFormat};
use serde::{Deserialize, Serialize};

use super::error::MasterError;

/// One delivery format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Deliverable {
    /// Streaming master: WAV, 44.1 kHz, 24-bit.
    Streaming,
    /// CD master: WAV, 44.1 kHz, 16-bit, TPDF dither.
    Cd,
    /// Broadcast and video: WAV, 48 kHz, 24-bit.
    Broadcast,
}

impl Deliverable {
    /// Every deliverable, in the order they are listed.
    pub const ALL: [Deliverable; 3] = [
        Deliverable::Streaming,
        Deliverable::Cd,
        Deliverable::Broadcast,
    ];

    /// The name used on the command line, in file names and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Deliverable::Streaming => "streaming",
            Deliverable::Cd => "cd",
            Deliverable::Broadcast => "broadcast",
        }
    }

    /// The file's sample rate, in Hz.
    pub fn sample_rate(self) -> u32 {
        match self {
            Deliverable::Streaming | Deliverable::Cd => 44_100,
            Deliverable::Broadcast => 48_000,
        }
    }

    /// The file's sample format.
    pub fn sample_format(self) -> SampleFormat {
        match self {
            Deliverable::Cd => SampleFormat::Pcm16,
            Deliverable::Streaming | Deliverable::Broadcast => SampleFormat::Pcm24,
        }
    }

    /// The dither applied when quantizing: TPDF for 16 bits, none for 24.
    pub fn dither(self) -> Dither {
        match self {
            Deliverable::Cd => Dither::Tpdf,
            Deliverable::Streaming | Deliverable::Broadcast => Dither::None,
        }
    }

    /// How the renderer writes it.
    pub fn output_format(self) -> OutputFormat {
        OutputFormat::new(self.sample_format())
            .with_sample_rate(self.sample_rate())
            .with_dither(self.dither())
    }

    /// The file name for a track: `<stem>-<name>.wav`.
    pub fn file_name(self, stem: &str) -> String {
        format!("{stem}-{}.wav", self.name())
    }

    /// Parses a comma-separated list (`streaming,cd,broadcast`), keeping the given order and
    /// dropping repeats.
    ///
    /// # Errors
    /// [`MasterError::UnknownDeliverable`] for a name that is not a deliverable, and
    /// [`MasterError::NoDeliverable`] for an empty list.
    pub fn parse_list(list: &str) -> Result<Vec<Deliverable>, MasterError> {
        let mut out = Vec::new();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let d: Deliverable = name.parse()?;
            if !out.contains(&d) {
                out.push(d);
            }
        }
        if out.is_empty() {
            return Err(MasterError::NoDeliverable);
        }
        Ok(out)
    }
}

impl FromStr for Deliverable {
    type Err = MasterError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Deliverable::ALL
            .into_iter()
            .find(|d| d.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| MasterError::UnknownDeliverable {
                name: s.to_string(),
            })
    }
}

impl fmt::Display for Deliverable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({:.1} kHz, {}-bit{})",
            self.name(),
            f64::from(self.sample_rate()) / 1000.0,
            self.sample_format().bits(),
            match self.dither() {
                Dither::None => "",
                _ => ", TPDF dither",
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_follow_the_delivery_table() {
        let f = Deliverable::Streaming.output_format();
        assert_eq!(
            (f.sample_rate, f.format, f.dither),
            (Some(44_100), SampleFormat::Pcm24, Dither::None)
        );
        let f = Deliverable::Cd.output_format();
        assert_eq!(
            (f.sample_rate, f.format, f.dither),
            (Some(44_100), SampleFormat::Pcm16, Dither::Tpdf)
        );
        let f = Deliverable::Broadcast.output_format();
        assert_eq!(
            (f.sample_rate, f.format, f.dither),
            (Some(48_000), SampleFormat::Pcm24, Dither::None)
        );
        assert_eq!(Deliverable::Cd.file_name("song"), "song-cd.wav");
        assert_eq!(
            Deliverable::Cd.to_string(),
            "cd (44.1 kHz, 16-bit, TPDF dither)"
        );
    }

    #[test]
    fn lists_parse_in_order_without_repeats() {
        assert_eq!(
            Deliverable::parse_list("broadcast, streaming,broadcast").unwrap(),
            [Deliverable::Broadcast, Deliverable::Streaming]
        );
        assert!(matches!(
            Deliverable::parse_list(" , "),
            Err(MasterError::NoDeliverable)
        ));
        let err = Deliverable::parse_list("streaming,vinyl").unwrap_err();
        assert!(err.to_string().contains("`vinyl`"), "{err}");
        assert!(
            err.to_string().contains("streaming, cd, broadcast"),
            "{err}"
        );
    }
}
