//! BS.1770 gating: integrated loudness from 400 ms gating-block energies, used for albums
//! (the blocks of every track gated together).

/// Absolute gate of BS.1770, in LUFS.
const ABSOLUTE_GATE_LUFS: f64 = -70.0;
/// Relative gate of BS.1770, in LU below the absolutely gated loudness.
const RELATIVE_GATE_LU: f64 = -10.0;

/// Loudness in LUFS of a mean-square K-weighted energy (channel weights applied).
pub(crate) fn energy_to_lufs(energy: f64) -> f64 {
    10.0 * energy.log10() - 0.691
}

/// The energy whose loudness is `lufs`.
pub(crate) fn lufs_to_energy(lufs: f64) -> f64 {
    10f64.powf((lufs + 0.691) / 10.0)
}

/// Integrated loudness in LUFS of the given gating-block energies: blocks below -70 LUFS are
/// dropped, then blocks more than 10 LU below the loudness of the rest, and the remaining
/// energies are averaged. `-inf` when no block passes the gates.
pub(crate) fn gated_loudness<'a>(blocks: impl Iterator<Item = &'a f64> + Clone) -> f64 {
    let absolute = lufs_to_energy(ABSOLUTE_GATE_LUFS);
    let (count, sum) = mean_parts(blocks.clone().filter(|&&e| e >= absolute));
    if count == 0 {
        return f64::NEG_INFINITY;
    }
    let relative = sum / count as f64 * 10f64.powf(RELATIVE_GATE_LU / 10.0);
    let (count, sum) = mean_parts(blocks.filter(|&&e| e >= absolute && e >= relative));
    if count == 0 {
        return f64::NEG_INFINITY;
    }
    energy_to_lufs(sum / count as f64)
}

/// Count and sum of the energies.
fn mean_parts<'a>(energies: impl Iterator<Item = &'a f64>) -> (usize, f64) {
    energies.fold((0, 0.0), |(n, s), e| (n + 1, s + e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn energy_and_loudness_are_inverse() {
        for lufs in [-70.0, -23.0, -0.691, 3.0] {
            assert!((energy_to_lufs(lufs_to_energy(lufs)) - lufs).abs() < 1e-12);
        }
        // A mean square of 1 on one channel is -0.691 LUFS by definition.
        assert_eq!(energy_to_lufs(1.0), -0.691);
    }

    #[test]
    fn blocks_below_the_absolute_gate_are_ignored() {
        let loud = lufs_to_energy(-20.0);
        let blocks = [loud, loud, lufs_to_energy(-80.0), 0.0];
        assert!((gated_loudness(blocks.iter()) - -20.0).abs() < 1e-12);
        assert_eq!(
            gated_loudness([0.0, lufs_to_energy(-71.0)].iter()),
            f64::NEG_INFINITY
        );
        assert_eq!(gated_loudness([].iter()), f64::NEG_INFINITY);
    }

    #[test]
    fn relative_gate_drops_blocks_10_lu_below_the_mean() {
        // Two blocks at -20 and one at -40: the first mean is 10*log10((2*e20 + e40)/3),
        // about -21.7 LUFS, so the gate is at -31.7 and the -40 block is dropped.
        let blocks = [
            lufs_to_energy(-20.0),
            lufs_to_energy(-20.0),
            lufs_to_energy(-40.0),
        ];
        assert!((gated_loudness(blocks.iter()) - -20.0).abs() < 1e-12);
        // A block at -25 is within the gate and is averaged in energy.
        let blocks = [lufs_to_energy(-20.0), lufs_to_energy(-25.0)];
        let expected = energy_to_lufs((lufs_to_energy(-20.0) + lufs_to_energy(-25.0)) / 2.0);
        assert!((gated_loudness(blocks.iter()) - expected).abs() < 1e-12);
    }
}
