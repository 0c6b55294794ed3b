//! Arbitrary bytes as a sync request body: decoded and checked as the server does, then
//! every document verified and merged, as a new document and over a stored visit. It
//! must never panic, and never take unbounded time or memory.

#![no_main]

#[path = "../../client-core/tests/support/fuzz_harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = harness::sync_push(data);
});
