//! Tracks that share one gain (one track, or an album) and what the limiter model predicts
//! for them: loudness gated over all their tracks together, and the largest gain reduction.

use super::master_chain::MasterChain;
use super::settings::RenderSettings;
use super::track::Track;
use crate::analysis::{AlbumAnalysis, Analysis, gated_loudness};

/// Tracks that share one gain: one track, or an album.
pub(super) struct Group {
    /// The track's stem, or `album`.
    pub(super) name: String,
    /// Indices of its tracks.
    pub(super) tracks: Vec<usize>,
}

/// What the limiter model predicts for a group.
pub(super) struct GroupPrediction {
    /// Integrated loudness of the tracks together, in LUFS.
    pub(super) integrated_lufs: f64,
    /// The largest gain reduction of any track, in dB.
    pub(super) max_reduction_db: f64,
}

impl Group {
    pub(super) fn members<'a>(
        &'a self,
        tracks: &'a [Track],
    ) -> impl Iterator<Item = &'a Track> + Clone + 'a {
        self.tracks.iter().filter_map(|&i| tracks.get(i))
    }

    /// Integrated loudness of the group's pre-limiter audio (all tracks gated together).
    pub(super) fn pre_loudness(&self, tracks: &[Track]) -> f64 {
        gated_loudness(
            self.members(tracks)
                .flat_map(|t| t.pre.gating_energies.iter()),
        )
    }

    /// Whether the limiter would leave every track untouched.
    pub(super) fn idle(
        &self,
        tracks: &[Track],
        gain_db: f64,
        ceiling_dbtp: f64,
        chain: &MasterChain,
    ) -> bool {
        self.members(tracks)
            .all(|t| t.limiter_idle(gain_db, ceiling_dbtp, chain))
    }

    /// The loudness and gain reduction the settings are expected to give; exact without
    /// limiting, the limiter model's estimate with it.
    pub(super) fn predict(
        &self,
        tracks: &[Track],
        settings: &RenderSettings,
        chain: &MasterChain,
    ) -> GroupPrediction {
        let gain_power = 10f64.powf(settings.gain_db / 10.0);
        let mut limiter = chain.limiter_settings();
        limiter.ceiling_dbtp = settings.ceiling_dbtp;
        let mut energies = Vec::new();
        let mut max_reduction_db: f64 = 0.0;
        for t in self.members(tracks) {
            if settings.limiting {
                let p = t.profile.predict(settings.gain_db, &limiter);
                max_reduction_db = max_reduction_db.max(p.max_reduction_db);
                energies.extend(p.gating_energies);
            } else {
                energies.extend(t.pre.gating_energies.iter().map(|e| e * gain_power));
            }
        }
        GroupPrediction {
            integrated_lufs: gated_loudness(energies.iter()),
            max_reduction_db,
        }
    }
}

/// Integrated loudness of tracks gated together (of the one track, for one).
pub(super) fn group_loudness(analyses: &[&Analysis]) -> f64 {
    match analyses {
        [one] => one.integrated_lufs,
        many => AlbumAnalysis::from_tracks(many).map_or(f64::NEG_INFINITY, |a| a.integrated_lufs),
    }
}
