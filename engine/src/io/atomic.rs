//! Safe output files: an output is written to a temporary file next to its target and
//! renamed onto it only when complete (a failed render leaves nothing behind), and an output
//! path that names an input is refused before anything is written.

use std::fs::{File, OpenOptions};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::io::error::AudioIoError;

/// The absolute, symlink-free form of a path, also for a file that does not exist yet (its
/// folder is resolved and the file name appended). Falls back to a lexically cleaned
/// absolute path when even the folder does not exist.
pub fn resolve(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let cleaned = clean(&absolute);
    match (cleaned.parent(), cleaned.file_name()) {
        (Some(parent), Some(name)) => match parent.canonicalize() {
            Ok(p) => p.join(name),
            Err(_) => cleaned,
        },
        _ => cleaned,
    }
}

/// Removes `.` and resolves `..` without touching the file system.
fn clean(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Whether two paths name the same file: the same resolved path, or (on Unix, both
/// existing) the same device and inode, which also catches hard links.
pub fn same_file(a: &Path, b: &Path) -> bool {
    if resolve(a) == resolve(b) {
        return true;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        if let (Ok(ma), Ok(mb)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return ma.dev() == mb.dev() && ma.ino() == mb.ino();
        }
    }
    false
}

/// Refuses an output path that names any of the inputs.
///
/// # Errors
/// [`AudioIoError::OutputIsInput`] with the output path.
pub fn check_not_input<P: AsRef<Path>>(
    output: &Path,
    inputs: impl IntoIterator<Item = P>,
) -> Result<(), AudioIoError> {
    if inputs
        .into_iter()
        .any(|input| same_file(output, input.as_ref()))
    {
        return Err(AudioIoError::OutputIsInput {
            path: output.to_path_buf(),
        });
    }
    Ok(())
}

/// Distinguishes temporary files of one process writing the same target twice.
static SERIAL: AtomicU64 = AtomicU64::new(0);

/// A temporary file in the target's folder (`.name.tmp-<pid>-<n>`), renamed onto the
/// target by [`AtomicFile::commit`] and removed when dropped uncommitted.
#[derive(Debug)]
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    committed: bool,
}

impl AtomicFile {
    /// Creates the temporary file for `target` and returns it open for writing.
    ///
    /// # Errors
    /// [`AudioIoError::Io`] when the folder does not exist or cannot be written.
    pub fn create(target: &Path) -> Result<(AtomicFile, File), AudioIoError> {
        let name = target.file_name().ok_or_else(|| AudioIoError::Io {
            path: target.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the output path has no file name",
            ),
        })?;
        let serial = SERIAL.fetch_add(1, Ordering::Relaxed);
        let temp_name = format!(
            ".{}.tmp-{}-{serial}",
            name.to_string_lossy(),
            std::process::id()
        );
        let temp = target.with_file_name(temp_name);
        let file = OpenOptions::new()
            .write(true)
            .read(true)
            .create_new(true)
            .open(&temp)
            .map_err(|source| AudioIoError::Io {
                path: target.to_path_buf(),
                source,
            })?;
        Ok((
            AtomicFile {
                target: target.to_path_buf(),
                temp,
                committed: false,
            },
            file,
        ))
    }

    /// The final path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The temporary path being written.
    pub fn temp(&self) -> &Path {
        &self.temp
    }

    /// Flushes the temporary file to disk and renames it onto the target.
    ///
    /// # Errors
    /// [`AudioIoError::Io`] when syncing or renaming fails (the temporary file is then removed).
    pub fn commit(mut self) -> Result<PathBuf, AudioIoError> {
        let io = |source| AudioIoError::Io {
            path: self.target.clone(),
            source,
        };
        File::open(&self.temp)
            .and_then(|f| f.sync_all())
            .map_err(io)?;
        std::fs::rename(&self.temp, &self.target).map_err(io)?;
        self.committed = true;
        Ok(self.target.clone())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            // Nothing can report a failure from a destructor; a leftover temporary file is
            // hidden (dot name) and ignored by later renders.
            std::fs::remove_file(&self.temp).ok();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_does_not_exist_yet_resolves_through_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().canonicalize().unwrap();
        let out = dir.path().join("sub").join("..").join("new.wav");
        assert_eq!(resolve(&out), real.join("new.wav"));
        std::fs::write(dir.path().join("in.wav"), b"x").unwrap();
        let in_via_dot = dir.path().join(".").join("in.wav");
        assert!(same_file(&in_via_dot, &dir.path().join("in.wav")));
        assert!(!same_file(&out, &dir.path().join("in.wav")));
    }

    #[test]
    fn output_equal_to_an_input_is_refused_even_through_another_spelling() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("mix.wav");
        std::fs::write(&input, b"x").unwrap();
        let other = dir.path().join("other.wav");
        let spelled = dir.path().join(".").join("mix.wav");
        assert!(matches!(
            check_not_input(&spelled, [&other, &input]),
            Err(AudioIoError::OutputIsInput { path }) if path == spelled
        ));
        assert!(check_not_input(&dir.path().join("out.wav"), [&input]).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_to_an_input_is_the_input() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("mix.wav");
        std::fs::write(&input, b"x").unwrap();
        let link = dir.path().join("link.wav");
        std::os::unix::fs::symlink(&input, &link).unwrap();
        assert!(same_file(&link, &input));
    }

    #[test]
    fn uncommitted_temporary_files_are_removed_and_committed_ones_renamed() {
        use std::io::Write as _;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.wav");
        let (tmp, mut f) = AtomicFile::create(&target).unwrap();
        f.write_all(b"data").unwrap();
        let temp = tmp.temp().to_path_buf();
        assert!(temp.exists());
        assert!(
            temp.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".out.wav.tmp-")
        );
        drop(tmp);
        assert!(!temp.exists());
        assert!(!target.exists());

        let (tmp, mut f) = AtomicFile::create(&target).unwrap();
        f.write_all(b"data").unwrap();
        drop(f);
        tmp.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"data");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
    }

    #[test]
    fn a_missing_folder_is_an_io_error_naming_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("nope").join("out.wav");
        assert!(
            matches!(AtomicFile::create(&target), Err(AudioIoError::Io { path, .. }) if path == target)
        );
    }
}
