//! Arbitrary bytes as a document in the device store, and as a snapshot or a change in a
//! sync response the store applies: each is refused with an error, never a panic.

#![no_main]

#[path = "../../client-core/tests/support/fuzz_harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = harness::store_load(data);
});
