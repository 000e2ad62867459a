//! Reading chains: RON text becomes a [`ChainSpec`], or a [`ChainError::Syntax`] with the
//! file, line and column where the parser stopped.

use std::io::Read;
use std::path::Path;

use ron::extensions::Extensions;

use crate::error::{ChainError, Position};
use crate::limits::MAX_FILE_BYTES;
use crate::origin::Origin;
use crate::spec::ChainSpec;

/// Reads a chain file. Relative subchain and parameter paths in it are resolved against the
/// file's folder.
///
/// # Errors
/// [`ChainError::Io`] when the file cannot be read, [`ChainError::FileTooLarge`] beyond
/// [`MAX_FILE_BYTES`], [`ChainError::Syntax`] when it is not a chain in RON.
pub fn load_file(path: impl AsRef<Path>) -> Result<ChainSpec, ChainError> {
    let path = path.as_ref();
    let origin = Origin::file(path);
    let text = read_file(path, &origin)?;
    load_str(&text, origin)
}

/// Reads a chain from RON text; `origin` names it in errors and says where relative paths
/// start (see [`Origin::file`], [`Origin::named`]).
///
/// Optional values can be written bare (`sample_rate: 48000`) or as `Some(48000)`.
///
/// # Errors
/// [`ChainError::FileTooLarge`] beyond [`MAX_FILE_BYTES`], [`ChainError::Syntax`] when the
/// text is not a chain in RON (including unknown fields).
pub fn load_str(text: &str, origin: Origin) -> Result<ChainSpec, ChainError> {
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(ChainError::FileTooLarge {
            file: origin.name().to_string(),
            limit: MAX_FILE_BYTES,
        });
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let options = ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME);
    match options.from_str::<ChainSpec>(text) {
        Ok(mut spec) => {
            spec.origin = origin.with_text(text);
            Ok(spec)
        }
        Err(e) => Err(ChainError::Syntax {
            at: origin.at(e.span.start.line, e.span.start.col),
            message: e.code.to_string(),
        }),
    }
}

/// Reads a whole file as UTF-8 text, refusing files over the size limit (without reading
/// more than the limit, whatever the file claims to be).
pub(crate) fn read_file(path: &Path, origin: &Origin) -> Result<String, ChainError> {
    let io = |source| ChainError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ChainError::FileTooLarge {
            file: origin.name().to_string(),
            limit: MAX_FILE_BYTES,
        });
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = e
            .as_bytes()
            .get(..e.utf8_error().valid_up_to())
            .unwrap_or_default();
        let position = end_of(&String::from_utf8_lossy(valid));
        ChainError::Syntax {
            at: origin.at(position.line, position.column),
            message: "the file is not UTF-8 text (an invalid byte is here)".to_string(),
        }
    })
}

/// The position just after the end of a text.
fn end_of(text: &str) -> Position {
    let line = 1 + text.matches('\n').count();
    let column = 1 + text.rsplit('\n').next().map_or(0, |l| l.chars().count());
    Position { line, column }
}
