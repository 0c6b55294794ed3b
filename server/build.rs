//! The web app in `app/dist/` is embedded by `rust-embed` (`src/webapp.rs`), which names
//! each file with `include_bytes!`: cargo then notices an edited file, but not a file
//! added or removed by `scripts/build-app`. Watching the directory covers both.

fn main() {
    println!("cargo:rerun-if-changed=../app/dist");
}
