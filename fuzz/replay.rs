//! The committed inputs of a fuzz target, replayed on stable Rust (CI has
//! no nightly). Shared by the three smoke tests that stand in for the
//! cargo-fuzz targets — `drivers/tests/parser_smoke.rs`,
//! `sync/tests/envelope_smoke.rs`, `firmware/kiosk/tests/config_smoke.rs` —
//! which include this file with `#[path]`; see docs/fuzzing.md.

use std::panic::RefUnwindSafe;
use std::path::{Path, PathBuf};

/// Every input of `target` in the given folders of `fuzz` (`regressions`,
/// `corpus`, `seeds`), in name order, with the file each came from.
pub fn committed_inputs(fuzz: &Path, target: &str, folders: &[&str]) -> Vec<(PathBuf, Vec<u8>)> {
    let mut inputs = Vec::new();
    for folder in folders {
        let Ok(entries) = std::fs::read_dir(fuzz.join(folder).join(target)) else {
            continue;
        };
        let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for path in paths {
            if let Ok(data) = std::fs::read(&path) {
                inputs.push((path, data));
            }
        }
    }
    inputs
}

/// Runs `harness` on every committed input of `target`: the inputs that
/// once crashed it (`regressions/`), the corpus the fuzzer built
/// (`corpus/`, minimised) and the seeds. Fails when the target has no
/// committed corpus, so the replay never passes vacuously, and names the
/// file of the first input the harness panics on.
pub fn replay_committed(fuzz: &Path, target: &str, harness: impl Fn(&[u8]) + RefUnwindSafe) {
    let corpus = committed_inputs(fuzz, target, &["corpus"]);
    assert!(!corpus.is_empty(), "no committed corpus for {target}");
    for (path, data) in committed_inputs(fuzz, target, &["regressions", "corpus", "seeds"]) {
        let replay = std::panic::catch_unwind(|| harness(&data));
        assert!(replay.is_ok(), "{target}: {} fails", path.display());
    }
}
