//! The staging folder: every file of a mastering run is written into a hidden folder inside
//! the output folder and moved into place only when all deliverables passed, so a run that
//! fails leaves no deliverable behind.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::error::MasterError;

/// A hidden folder next to the deliverables, removed with everything in it unless committed.
#[derive(Debug)]
pub struct Staging {
    out_dir: PathBuf,
    /// Whether the output folder was made for this run (and is removed again if the run
    /// fails and leaves it empty).
    made_out_dir: bool,
    dir: PathBuf,
    /// Files to move into `out_dir` on commit, by name.
    finals: Vec<String>,
}

impl Staging {
    /// Creates `out_dir` if needed and a fresh staging folder inside it.
    ///
    /// # Errors
    /// [`MasterError::File`] when a folder cannot be created.
    pub fn create(out_dir: &Path) -> Result<Self, MasterError> {
        static SERIAL: AtomicU64 = AtomicU64::new(0);
        let file_error = |action, path: &Path| {
            let path = path.to_path_buf();
            move |source| MasterError::File {
                action,
                path,
                source,
            }
        };
        let made_out_dir = !out_dir.exists();
        std::fs::create_dir_all(out_dir).map_err(file_error("create the folder", out_dir))?;
        let serial = SERIAL.fetch_add(1, Ordering::Relaxed);
        let dir = out_dir.join(format!(".mixgraph-master-{}-{serial}", std::process::id()));
        std::fs::create_dir(&dir).map_err(file_error("create the staging folder", &dir))?;
        Ok(Self {
            out_dir: out_dir.to_path_buf(),
            made_out_dir,
            dir,
            finals: Vec::new(),
        })
    }

    /// Where a working file (removed at the end) is written.
    pub fn scratch(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Where a file that is delivered on commit is written; `name` is its final name in the
    /// output folder.
    pub fn deliver(&mut self, name: &str) -> PathBuf {
        if !self.finals.iter().any(|n| n == name) {
            self.finals.push(name.to_string());
        }
        self.dir.join(name)
    }

    /// The final place of a delivered file.
    pub fn final_path(&self, name: &str) -> PathBuf {
        self.out_dir.join(name)
    }

    /// Moves every delivered file into the output folder and removes the staging folder.
    ///
    /// # Errors
    /// [`MasterError::File`] when a file cannot be moved.
    pub fn commit(mut self) -> Result<Vec<PathBuf>, MasterError> {
        self.made_out_dir = false;
        let mut moved = Vec::with_capacity(self.finals.len());
        for name in &self.finals {
            let (from, to) = (self.dir.join(name), self.out_dir.join(name));
            std::fs::rename(&from, &to).map_err(|source| MasterError::File {
                action: "move into place",
                path: to.clone(),
                source,
            })?;
            moved.push(to);
        }
        Ok(moved)
        // `self` drops here and removes the staging folder with the scratch files.
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // A destructor cannot report; the folder is hidden and named after the process.
        std::fs::remove_dir_all(&self.dir).ok();
        if self.made_out_dir {
            // Only succeeds while the folder is empty.
            std::fs::remove_dir(&self.out_dir).ok();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_committed_files_appear_and_nothing_else_is_left() {
        let out = tempfile::tempdir().unwrap();
        let mut staging = Staging::create(out.path()).unwrap();
        std::fs::write(staging.deliver("a.wav"), b"a").unwrap();
        std::fs::write(staging.scratch("pre.wav"), b"scratch").unwrap();
        assert_eq!(staging.final_path("a.wav"), out.path().join("a.wav"));
        assert!(!out.path().join("a.wav").exists(), "nothing before commit");
        let moved = staging.commit().unwrap();
        assert_eq!(moved, [out.path().join("a.wav")]);
        let names: Vec<String> = std::fs::read_dir(out.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.wav"]);
    }

    #[test]
    fn a_dropped_staging_leaves_the_folder_as_it_was() {
        let out = tempfile::tempdir().unwrap();
        let target = out.path().join("new");
        {
            let mut staging = Staging::create(&target).unwrap();
            std::fs::write(staging.deliver("a.wav"), b"a").unwrap();
        }
        assert!(!target.exists(), "the folder made for the run is gone");
        // A folder that existed stays, empty as it was.
        let existing = out.path().join("existing");
        std::fs::create_dir(&existing).unwrap();
        drop(Staging::create(&existing).unwrap());
        assert_eq!(std::fs::read_dir(&existing).unwrap().count(), 0);
    }
}
