//! Loudness range (EBU Tech 3342) from the short-term (3 s) energies taken every second:
//! absolute gate at -70 LUFS, relative gate 20 LU under their mean, then the spread between
//! the 10th and 95th percentiles, computed as libebur128 does (the nearest-rank index
//! `(n - 1) * p + 0.5` into the sorted energies).

use super::gating::{ABSOLUTE_GATE_LUFS, energy_to_lufs, lufs_to_energy};

/// Relative gate of the loudness range, in LU below the absolutely gated mean.
const RELATIVE_GATE_LU: f64 = -20.0;
/// The percentiles whose difference is the range.
const LOW_PERCENTILE: f64 = 0.1;
const HIGH_PERCENTILE: f64 = 0.95;

/// The loudness range of the short-term energies, in LU; 0 when none passes the gates.
pub(crate) fn loudness_range(short_term_energies: &[f64]) -> f64 {
    let absolute = lufs_to_energy(ABSOLUTE_GATE_LUFS);
    let mut gated: Vec<f64> = short_term_energies
        .iter()
        .copied()
        .filter(|&e| e >= absolute)
        .collect();
    if gated.is_empty() {
        return 0.0;
    }
    gated.sort_by(f64::total_cmp);
    let mean = gated.iter().sum::<f64>() / gated.len() as f64;
    let relative = mean * 10f64.powf(RELATIVE_GATE_LU / 10.0);
    let kept = gated.get(gated.partition_point(|&e| e < relative)..);
    let Some((kept, last)) = kept.and_then(|k| Some((k, k.len().checked_sub(1)?))) else {
        return 0.0;
    };
    let at = |p: f64| kept.get((last as f64 * p + 0.5) as usize).copied();
    match (at(LOW_PERCENTILE), at(HIGH_PERCENTILE)) {
        (Some(low), Some(high)) => energy_to_lufs(high) - energy_to_lufs(low),
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_is_the_spread_of_the_10th_to_95th_percentile() {
        // 21 readings from -30 to -10 LUFS, 1 LU apart: the relative gate (20 LU under the
        // mean energy, about -36.5 LUFS) keeps them all; index 0.5 + 20 * 0.1 = 2 is -28,
        // index 0.5 + 20 * 0.95 = 19 is -11: 17 LU.
        let energies: Vec<f64> = (0..=20)
            .rev()
            .map(|k| lufs_to_energy(-30.0 + f64::from(k)))
            .collect();
        assert!((loudness_range(&energies) - 17.0).abs() < 1e-9);
    }

    #[test]
    fn quiet_readings_are_gated_out() {
        // Below -70 LUFS: ignored. 30 LU under the rest: under the relative gate.
        let mut energies = vec![lufs_to_energy(-20.0); 10];
        energies.extend([lufs_to_energy(-80.0), lufs_to_energy(-50.0), 0.0]);
        assert_eq!(loudness_range(&energies), 0.0);
        energies.push(lufs_to_energy(-25.0));
        // Eleven kept readings, the -25 one lowest: the percentiles' ranks 0.5 + 10 * 0.1
        // and 0.5 + 10 * 0.95 are 1 and 10, both -20: still 0.
        assert_eq!(loudness_range(&energies), 0.0);
        energies.extend([lufs_to_energy(-25.0); 3]);
        // Fourteen: index 0.5 + 13 * 0.1 = 1 is -25, index 12 is -20: 5 LU.
        assert!((loudness_range(&energies) - 5.0).abs() < 1e-9);
        assert_eq!(loudness_range(&[]), 0.0);
    }
}
