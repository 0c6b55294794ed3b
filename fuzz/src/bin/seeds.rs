//! Writes the seed inputs of each fuzz target into `<dir>/<target>/`: valid sync requests
//! and documents, so the fuzzer starts from inputs that reach deep into the checks.
//!
//! Usage: `seeds <dir>`.

#[path = "../../../client-core/tests/support/fuzz_harness.rs"]
mod harness;

fn main() -> std::io::Result<()> {
    let dir = std::env::args_os()
        .nth(1)
        .map(std::path::PathBuf::from)
        .ok_or_else(|| std::io::Error::other("usage: seeds <dir>"))?;
    for (target, seeds) in [
        ("sync_push", harness::push_seeds()),
        ("store_load", harness::store_seeds()),
    ] {
        let out = dir.join(target);
        std::fs::create_dir_all(&out)?;
        for (name, bytes) in seeds {
            std::fs::write(out.join(format!("seed-{name}")), bytes)?;
        }
    }
    Ok(())
}
