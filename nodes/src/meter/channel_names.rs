//! Reading names for per-channel values (`sample_peak_ch1`...), which must be `'static`.

/// How many channels get a reading of their own; further channels count in the totals only.
pub(crate) const NAMED_CHANNELS: usize = 16;

/// The names `<prefix>_ch1` to `<prefix>_ch16`.
macro_rules! per_channel {
    ($prefix:literal) => {
        [
            concat!($prefix, "_ch1"),
            concat!($prefix, "_ch2"),
            concat!($prefix, "_ch3"),
            concat!($prefix, "_ch4"),
            concat!($prefix, "_ch5"),
            concat!($prefix, "_ch6"),
            concat!($prefix, "_ch7"),
            concat!($prefix, "_ch8"),
            concat!($prefix, "_ch9"),
            concat!($prefix, "_ch10"),
            concat!($prefix, "_ch11"),
            concat!($prefix, "_ch12"),
            concat!($prefix, "_ch13"),
            concat!($prefix, "_ch14"),
            concat!($prefix, "_ch15"),
            concat!($prefix, "_ch16"),
        ]
    };
}
pub(crate) use per_channel;

/// Per-channel names, `NAMED_CHANNELS` of them.
pub(crate) type ChannelNames = [&'static str; NAMED_CHANNELS];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_count_channels_from_one() {
        const NAMES: ChannelNames = per_channel!("peak");
        assert_eq!(NAMES[0], "peak_ch1");
        assert_eq!(NAMES[15], "peak_ch16");
    }
}
