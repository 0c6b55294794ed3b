//! Rapport's device library, embedded by the phone apps and the `rapport` CLI.
//!
//! - [`model`]: the records of the key-account method as Automerge documents;
//! - [`protocol`]: the wire types of the sync server's API;
//! - [`verify`]: the server's checks on a push that need no database (decode, bound,
//!   verify and merge a document's changes), shared so they can be fuzzed;
//! - `store` (feature `store`, part of `device`): the offline SQLite store, with no HTTP
//!   client, so it also builds for the web (wasm32, see docs/web-app.md);
//! - `local` (feature `store`): `Local`, the store and every operation that needs no
//!   server (records, lists, due list, status), and the facade's `Error`;
//! - `sync` (feature `store`): sign-in, token refresh and sync without I/O — requests built
//!   as bytes, answers applied from bytes — driven natively by `api` and in the browser by
//!   the web worker's `fetch`;
//! - `api` (feature `device`): the native app facade ([`Client`]): a `Local` plus the ureq
//!   transport that drives `sync` (native only);
//! - `ffi` (feature `ffi`): the mobile bindings, exported with uniffi to Kotlin, Swift and
//!   Python (see docs/mobile.md).
//!
//! The server builds this crate without default features: it shares the model and the
//! protocol, and nothing of SQLite or HTTP.

pub mod model;
pub mod protocol;
pub mod verify;

#[cfg(feature = "device")]
pub mod api;
#[cfg(feature = "store")]
pub mod local;
#[cfg(feature = "store")]
pub mod store;
#[cfg(feature = "store")]
pub mod sync;

#[cfg(feature = "ffi")]
pub mod ffi;

// uniffi's scaffolding must sit at the crate root: the exported items name `crate::UniFfiTag`.
#[cfg(feature = "ffi")]
uniffi::setup_scaffolding!();

#[cfg(feature = "device")]
pub use api::Client;
#[cfg(feature = "store")]
pub use local::{Due, DueItem, Error, Item, Local, Status, SyncReport};
