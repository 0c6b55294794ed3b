//! What the sync server checks in a push, without a database: decoding a sync request,
//! the request-wide checks, and for each document the parse, verify and merge of its
//! changes into the stored document, up to a valid record.
//!
//! It lives here, in the part of the crate the server shares, so that it can be fuzzed
//! and tested without the server: the server's `POST /v1/sync` calls [`decode_request`]
//! and, per document, [`apply_push`], and adds only what needs its tables (who may write
//! the document, which account it is on).
//!
//! Every input is bounded before Automerge sees it. A change chunk may be DEFLATE
//! compressed, and its operation columns are run-length encoded, so a few bytes can
//! stand for gigabytes or billions of operations: [`inspect_change`] reads the chunk
//! header, inflates at most [`MAX_CHANGE_BYTES`], checks the checksum, and counts the
//! operations from the run lengths alone, before Automerge parses anything. A document's
//! whole history is bounded in operations ([`MAX_DOCUMENT_OPS`]) and bytes
//! ([`MAX_HISTORY_BYTES`]), its nesting in depth ([`MAX_DEPTH`]) before it is hydrated,
//! and its snapshot in bytes ([`MAX_DOCUMENT_BYTES`]). A [`Budget`] bounds the work one
//! request may ask for in all.

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::Read;

use automerge::{AutoCommit, ChangeHash, ObjId, ObjType, ReadDoc, Value};
use sha2::{Digest, Sha256};

use crate::model::{self, AnyRecord, DocKind};
use crate::protocol::{self, SyncRequest};

/// Most documents one request may push.
pub const MAX_PUSH_DOCS: usize = 5000;
/// Most changes one document may carry in one request.
pub const MAX_CHANGES_PER_DOC: usize = 10_000;
/// Largest stored record (its saved, compressed form, history included); beyond it
/// edits are refused. Records hold only the fields of their kind (unknown fields are
/// refused), each text at most [`model::limits::TEXT_MAX`]: the largest real records, an
/// opportunity or a contact with every text at its limit, save to about 35 KiB, and such
/// a contact rewritten whole ten times to about 95 KiB (`tests/record_integrity.rs`).
pub const MAX_DOCUMENT_BYTES: usize = 512 * 1024;
/// Largest change, uncompressed: a whole record at every limit, written at once, is
/// about 35 KiB.
pub const MAX_CHANGE_BYTES: usize = 256 * 1024;
/// Most operations in a document's whole history. A real record has a few thousand at
/// most; the bound keeps merging, saving and reading a document cheap.
pub const MAX_DOCUMENT_OPS: u64 = 100_000;
/// Most bytes of changes (uncompressed) in a document's whole history.
pub const MAX_HISTORY_BYTES: usize = 8 * 1024 * 1024;
/// Deepest nesting of maps and lists in a document (the root is depth 0). Records nest
/// a few levels (a list of items, each a map with a list); the bound leaves ample room.
pub const MAX_DEPTH: usize = 32;
/// Most operations one sync request may push, over all its documents.
pub const MAX_REQUEST_OPS: u64 = 1_000_000;
/// Most change bytes (uncompressed) one sync request may push, over all its documents.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024 * 1024;

/// The four bytes every Automerge chunk starts with.
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const CHUNK_CHANGE: u8 = 1;
const CHUNK_COMPRESSED: u8 = 2;
/// The column specification of a change's action column (column 4, unsigned integers,
/// run-length encoded): one entry per operation.
const ACTION_COLUMN: u64 = (4 << 4) | 2;
/// The deflate bit of a column specification.
const COLUMN_DEFLATE: u64 = 0b1000;

/// Why a whole sync request is refused; the server answers it with the status of
/// [`RequestErrorKind`] and changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RequestError {
    pub kind: RequestErrorKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestErrorKind {
    /// Not a sync request, or of a protocol version this server does not speak (400).
    Invalid,
    /// Valid, but asks for more than the server does in one request (413).
    TooLarge,
    /// Well-formed, with content no request may have (422).
    Unprocessable,
}

impl RequestError {
    fn new(kind: RequestErrorKind, message: impl Into<String>) -> RequestError {
        RequestError {
            kind,
            message: message.into(),
        }
    }
}

/// Why one pushed document is rejected: a stable `code` and a sentence for people. The
/// document is rejected whole; nothing of it is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {reason}")]
pub struct Rejection {
    pub code: &'static str,
    pub reason: String,
}

impl Rejection {
    pub fn new(code: &'static str, reason: impl Into<String>) -> Rejection {
        Rejection {
            code,
            reason: reason.into(),
        }
    }
}

fn corrupt(reason: impl Into<String>) -> Rejection {
    Rejection::new("corrupt_change", reason)
}

fn corrupt_r(reason: impl Into<String>) -> Refused {
    Refused::Document(corrupt(reason))
}

/// Why [`apply_push`] stopped: the document is rejected, or the request as a whole
/// asked for more work than its [`Budget`] allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error(transparent)]
    Document(Rejection),
    #[error(transparent)]
    Request(RequestError),
}

impl From<Rejection> for Refused {
    fn from(r: Rejection) -> Self {
        Refused::Document(r)
    }
}

/// What one request may still ask for: operations and uncompressed change bytes, charged
/// for every change inspected, whether its document is then accepted or not.
#[derive(Debug, Clone)]
pub struct Budget {
    ops: u64,
    bytes: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            ops: MAX_REQUEST_OPS,
            bytes: MAX_REQUEST_BYTES,
        }
    }
}

impl Budget {
    /// Charges this budget what `spent`, a budget that started full, has been charged:
    /// a document verified on its own first, then counted against its request's budget.
    pub fn charge_spent(&mut self, spent: &Budget) -> Result<(), RequestError> {
        self.charge(
            MAX_REQUEST_OPS.saturating_sub(spent.ops),
            MAX_REQUEST_BYTES.saturating_sub(spent.bytes),
        )
    }

    /// What this budget was charged since it was `earlier`, as a budget that started full.
    pub fn spent_since(&self, earlier: &Budget) -> Budget {
        Budget {
            ops: MAX_REQUEST_OPS.saturating_sub(earlier.ops.saturating_sub(self.ops)),
            bytes: MAX_REQUEST_BYTES.saturating_sub(earlier.bytes.saturating_sub(self.bytes)),
        }
    }

    fn charge(&mut self, ops: u64, bytes: usize) -> Result<(), RequestError> {
        match (self.ops.checked_sub(ops), self.bytes.checked_sub(bytes)) {
            (Some(o), Some(b)) => {
                self.ops = o;
                self.bytes = b;
                Ok(())
            }
            _ => Err(RequestError::new(
                RequestErrorKind::TooLarge,
                format!(
                    "a sync request may push at most {MAX_REQUEST_OPS} operations and \
                     {MAX_REQUEST_BYTES} bytes of changes; push fewer documents at once"
                ),
            )),
        }
    }
}

/// Decodes a sync request body and applies the checks on the request as a whole: the
/// protocol version, the cursor, the number of documents and of changes per document,
/// every kind and id. A request that fails here changes nothing.
pub fn decode_request(body: &[u8]) -> Result<SyncRequest, RequestError> {
    let (request, rest): (SyncRequest, &[u8]) = postcard::take_from_bytes(body).map_err(|e| {
        RequestError::new(
            RequestErrorKind::Invalid,
            format!("not a sync request: {e}"),
        )
    })?;
    if !rest.is_empty() {
        return Err(RequestError::new(
            RequestErrorKind::Invalid,
            format!("not a sync request: {} trailing bytes after it", rest.len()),
        ));
    }
    if !(protocol::MIN_PROTOCOL_VERSION..=protocol::PROTOCOL_VERSION).contains(&request.version) {
        return Err(RequestError::new(
            RequestErrorKind::Invalid,
            format!(
                "sync protocol version {} is not supported (this server speaks {} to {})",
                request.version,
                protocol::MIN_PROTOCOL_VERSION,
                protocol::PROTOCOL_VERSION
            ),
        ));
    }
    check_request(&request)?;
    Ok(request)
}

/// The checks on a request as a whole (see [`decode_request`]).
pub fn check_request(request: &SyncRequest) -> Result<(), RequestError> {
    use RequestErrorKind::{Invalid, TooLarge, Unprocessable};
    if i64::try_from(request.cursor).is_err() {
        return Err(RequestError::new(Invalid, "cursor out of range"));
    }
    if request.push.len() > MAX_PUSH_DOCS {
        return Err(RequestError::new(
            TooLarge,
            format!("at most {MAX_PUSH_DOCS} documents per sync request"),
        ));
    }
    let mut seen = HashSet::new();
    for doc in &request.push {
        if DocKind::parse(&doc.kind).is_none() {
            return Err(RequestError::new(
                Unprocessable,
                format!(
                    "unknown document kind '{}'",
                    doc.kind.chars().take(40).collect::<String>()
                ),
            ));
        }
        if !model::is_record_id(&doc.doc_id) {
            return Err(RequestError::new(
                Unprocessable,
                "a document id is not a record id (a lower-case hyphenated UUID)",
            ));
        }
        if !seen.insert(doc.doc_id.as_str()) {
            return Err(RequestError::new(
                Unprocessable,
                format!("document {} appears twice in one request", doc.doc_id),
            ));
        }
        if doc.changes.len() > MAX_CHANGES_PER_DOC {
            return Err(RequestError::new(
                TooLarge,
                format!("at most {MAX_CHANGES_PER_DOC} changes per document per request"),
            ));
        }
    }
    Ok(())
}

/// The chunk type of a bundle (several changes packed together). Rapport never writes
/// one, and Automerge 0.12 panics on some malformed bundles instead of refusing them.
const CHUNK_BUNDLE: u8 = 3;

/// Refuses saved documents and changes that hold a bundle chunk, before Automerge parses
/// them: the device store calls it on every document it loads and every change it
/// merges. It walks the chunk headers only; bytes that do not walk as chunks are left to
/// Automerge, which refuses them.
pub fn refuse_bundles(bytes: &[u8]) -> Result<(), String> {
    let mut r = Reader::new(bytes);
    while !r.is_done() {
        let header = (|| {
            let magic = r.take(4)?;
            r.take(4)?;
            let chunk_type = r.byte()?;
            let len = usize::try_from(r.uleb()?).ok()?;
            r.take(len)?;
            Some((magic, chunk_type))
        })();
        match header {
            Some((magic, CHUNK_BUNDLE)) if magic == MAGIC => {
                return Err("bundles of changes are not accepted".into());
            }
            Some((magic, _)) if magic == MAGIC => {}
            _ => return Ok(()),
        }
    }
    Ok(())
}

/// Refuses changes whose operations may refer to an actor the document does not know.
/// Automerge 0.12 looks every actor of a change up while applying it and unwraps the
/// result, so such a change panics instead of failing (the fuzzer found one in a stored
/// document). Known: the authors of the document's changes, and the authors whose first
/// change is among `changes` (Automerge registers those before applying).
pub fn refuse_unknown_actors(
    doc: &mut AutoCommit,
    changes: &[automerge::Change],
) -> Result<(), String> {
    if changes.iter().all(|c| c.other_actor_ids().is_empty()) {
        return Ok(());
    }
    let mut known: HashSet<automerge::ActorId> = changes
        .iter()
        .filter(|c| c.seq() == 1)
        .map(|c| c.actor_id().clone())
        .collect();
    known.extend(doc.get_changes(&[]).iter().map(|c| c.actor_id().clone()));
    for change in changes {
        if change.other_actor_ids().iter().any(|a| !known.contains(a)) {
            return Err("a change refers to an actor the record does not know".into());
        }
    }
    Ok(())
}

/// The chunks of saved Automerge bytes, each as `(chunk type, bytes)`; `None` when the
/// bytes do not walk as whole chunks.
pub fn chunks(bytes: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut r = Reader::new(bytes);
    let mut out = Vec::new();
    while !r.is_done() {
        let start = r.pos;
        let magic = r.take(4)?;
        if magic != MAGIC {
            return None;
        }
        r.take(4)?;
        let chunk_type = r.byte()?;
        let len = usize::try_from(r.uleb()?).ok()?;
        r.take(len)?;
        out.push((chunk_type, bytes.get(start..r.pos)?));
    }
    Some(out)
}

/// A change chunk read far enough to know what it costs, before Automerge parses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspected<'a> {
    /// The change as an uncompressed change chunk (a compressed one, inflated).
    pub bytes: Cow<'a, [u8]>,
    /// How many operations the change declares.
    pub ops: u64,
    /// The size of the change's data, uncompressed.
    pub data_len: usize,
}

/// Reads a change chunk's header and bounds it: only change chunks, plain or compressed;
/// at most [`MAX_CHANGE_BYTES`] once inflated (inflating stops there); a checksum that
/// matches the data; and at most `max_ops` operations, counted from the run lengths of
/// its action column without expanding them. The bytes inflated and the operations
/// declared are charged to `budget` as soon as they are known, whether the change turns
/// out valid or not.
pub fn inspect_change<'a>(
    bytes: &'a [u8],
    max_ops: u64,
    budget: &mut Budget,
) -> Result<Inspected<'a>, Refused> {
    let mut r = Reader::new(bytes);
    let magic = r
        .take(4)
        .ok_or_else(|| corrupt_r("too short to be a change"))?;
    if magic != MAGIC {
        return Err(corrupt_r("not an Automerge change"));
    }
    let checksum = r
        .take(4)
        .ok_or_else(|| corrupt_r("too short to be a change"))?;
    let chunk_type = r
        .byte()
        .ok_or_else(|| corrupt_r("too short to be a change"))?;
    let len = r.uleb().ok_or_else(|| corrupt_r("bad chunk length"))?;
    let header_len = r.pos;
    let data = usize::try_from(len)
        .ok()
        .and_then(|n| r.take(n))
        .ok_or_else(|| corrupt_r("the change is shorter than its header says"))?;
    if !r.is_done() {
        return Err(corrupt_r("bytes after the end of the change"));
    }
    let (data, rebuilt): (Cow<'_, [u8]>, bool) = match chunk_type {
        CHUNK_CHANGE => {
            if data.len() > MAX_CHANGE_BYTES {
                return Err(too_large_change().into());
            }
            (Cow::Borrowed(data), false)
        }
        CHUNK_COMPRESSED => {
            // Inflate one byte past the bound, so that "over" is told from "exactly at".
            let mut inflated = Vec::new();
            flate2::read::DeflateDecoder::new(data)
                .take(MAX_CHANGE_BYTES as u64 + 1)
                .read_to_end(&mut inflated)
                .map_err(|_| corrupt_r("the compressed change does not inflate"))?;
            if inflated.len() > MAX_CHANGE_BYTES {
                return Err(too_large_change().into());
            }
            (Cow::Owned(inflated), true)
        }
        other => return Err(corrupt_r(format!("not a change chunk (type {other})"))),
    };
    budget.charge(0, data.len()).map_err(Refused::Request)?;
    // The checksum is the start of the change's hash: SHA-256 of the (uncompressed)
    // chunk type, length and data.
    let mut hasher = Sha256::new();
    let mut prefix = vec![CHUNK_CHANGE];
    write_uleb(&mut prefix, data.len() as u64);
    hasher.update(&prefix);
    hasher.update(&data);
    if hasher.finalize()[..4] != *checksum {
        return Err(corrupt_r("checksum does not match the change's hash"));
    }
    let ops = count_ops(&data, max_ops)?;
    if ops > max_ops {
        return Err(history_too_long().into());
    }
    budget.charge(ops, 0).map_err(Refused::Request)?;
    let data_len = data.len();
    let bytes = if rebuilt {
        let mut chunk = Vec::with_capacity(header_len + data.len());
        chunk.extend_from_slice(&MAGIC);
        chunk.extend_from_slice(checksum);
        chunk.extend_from_slice(&prefix);
        chunk.extend_from_slice(&data);
        Cow::Owned(chunk)
    } else {
        Cow::Borrowed(bytes)
    };
    Ok(Inspected {
        bytes,
        ops,
        data_len,
    })
}

fn too_large_change() -> Rejection {
    Rejection::new(
        "too_large",
        format!("a change is larger than {MAX_CHANGE_BYTES} bytes"),
    )
}

fn history_too_long() -> Rejection {
    Rejection::new(
        "history_too_long",
        format!(
            "the record's history would exceed {MAX_DOCUMENT_OPS} operations or \
             {MAX_HISTORY_BYTES} bytes"
        ),
    )
}

/// Counts the operations of a change from its action column, stopping past `max`: the
/// sum of its run lengths, read without expanding a run.
fn count_ops(data: &[u8], max: u64) -> Result<u64, Rejection> {
    let bad = || corrupt("the change's header is malformed");
    let mut r = Reader::new(data);
    let deps = r.uleb().ok_or_else(bad)?;
    for _ in 0..deps {
        r.take(32).ok_or_else(bad)?;
    }
    r.bytes_prefixed().ok_or_else(bad)?; // actor
    r.uleb().ok_or_else(bad)?; // seq
    r.uleb().ok_or_else(bad)?; // start op
    r.uleb().ok_or_else(bad)?; // time (signed, same length)
    r.bytes_prefixed().ok_or_else(bad)?; // message
    let others = r.uleb().ok_or_else(bad)?;
    for _ in 0..others {
        r.bytes_prefixed().ok_or_else(bad)?;
    }
    let columns = r.uleb().ok_or_else(bad)?;
    let mut offset: usize = 0;
    let mut action = None;
    for _ in 0..columns {
        let spec = r.uleb().ok_or_else(bad)?;
        let len = usize::try_from(r.uleb().ok_or_else(bad)?).map_err(|_| bad())?;
        if spec & COLUMN_DEFLATE != 0 {
            return Err(corrupt("a change's columns may not be compressed"));
        }
        if spec == ACTION_COLUMN {
            action = Some((offset, len));
        }
        offset = offset.checked_add(len).ok_or_else(bad)?;
    }
    let ops_data = r.take(offset).ok_or_else(bad)?;
    let Some((start, len)) = action else {
        return Ok(0);
    };
    let column = ops_data.get(start..start + len).ok_or_else(bad)?;
    let mut r = Reader::new(column);
    let mut total: u64 = 0;
    while !r.is_done() {
        let count = r.sleb().ok_or_else(bad)?;
        let run = if count > 0 {
            r.uleb().ok_or_else(bad)?; // the repeated value
            count.unsigned_abs()
        } else if count < 0 {
            let n = count.unsigned_abs();
            if total.saturating_add(n) > max {
                return Ok(total.saturating_add(n));
            }
            for _ in 0..n {
                r.uleb().ok_or_else(bad)?;
            }
            n
        } else {
            r.uleb().ok_or_else(bad)? // a run of nulls
        };
        total = total.saturating_add(run);
        if total > max {
            return Ok(total);
        }
    }
    Ok(total)
}

/// A cursor over bytes with the LEB128 reads of Automerge's encoding.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, pos: 0 }
    }

    fn is_done(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let out = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }

    fn uleb(&mut self) -> Option<u64> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    fn sleb(&mut self) -> Option<i64> {
        let mut value: i64 = 0;
        let mut shift = 0u32;
        loop {
            let b = self.byte()?;
            if shift >= 64 {
                return None;
            }
            value |= i64::from(b & 0x7f).checked_shl(shift)?;
            shift += 7;
            if b & 0x80 == 0 {
                if shift < 64 && b & 0x40 != 0 {
                    value |= -1i64 << shift;
                }
                return Some(value);
            }
        }
    }

    fn bytes_prefixed(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.uleb()?).ok()?;
        self.take(n)
    }
}

fn write_uleb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let b = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// The outcome of a push that passed every check that needs no database.
#[derive(Debug)]
pub enum Verified {
    /// Every change is already in the stored document (a retried push): nothing to do.
    Unchanged,
    /// New changes, merged into a document that reads as a valid record.
    Merged(Box<Merged>),
}

#[derive(Debug)]
pub struct Merged {
    /// The stored document with the new changes applied.
    pub doc: AutoCommit,
    /// The changes not stored before, in the order pushed.
    pub fresh: Vec<automerge::Change>,
    /// The merged document read as its kind.
    pub record: AnyRecord,
    /// The merged document saved, at most [`MAX_DOCUMENT_BYTES`].
    pub snapshot: Vec<u8>,
}

/// Parses, verifies and applies one pushed document's changes to the stored document
/// (`None` for a new one): each change inspected and bounded ([`inspect_change`]) and
/// checked against its hash; changes already stored skipped; new ones written by
/// `device_actor` (hex); the merged history within [`MAX_DOCUMENT_OPS`] and
/// [`MAX_HISTORY_BYTES`], with no missing dependency, nested at most [`MAX_DEPTH`]
/// deep, reading as a valid record of `kind`, and saving to at most
/// [`MAX_DOCUMENT_BYTES`]. Every change is charged to `budget`.
pub fn apply_push(
    existing: Option<AutoCommit>,
    kind: DocKind,
    device_actor: &str,
    changes: &[protocol::Change],
    budget: &mut Budget,
) -> Result<Verified, Refused> {
    let is_new = existing.is_none();
    let mut doc = existing.unwrap_or_default();
    let mut pushed_ops: u64 = 0;
    let mut fresh = Vec::new();
    let mut fresh_hashes: HashSet<ChangeHash> = HashSet::new();
    let (mut ops, mut bytes) = (0u64, 0usize);
    for raw in changes {
        // Bounded before Automerge parses it, against what this push has declared so far.
        let inspected =
            inspect_change(&raw.0, MAX_DOCUMENT_OPS.saturating_sub(pushed_ops), budget)?;
        pushed_ops += inspected.ops;
        let change = model::parse_change(&inspected.bytes).map_err(corrupt)?;
        let hash = change.hash();
        if doc.get_change_by_hash(&hash).is_some() || !fresh_hashes.insert(hash) {
            continue; // Already stored: a retry. Nothing to do for this change.
        }
        if change.actor_id().to_hex_string() != device_actor {
            return Err(
                Rejection::new("foreign_actor", "a change was not written by this device").into(),
            );
        }
        ops += change.len() as u64;
        bytes += inspected.data_len;
        fresh.push(change);
    }
    if fresh.is_empty() {
        return if is_new {
            Err(Rejection::new("empty", "a new document must carry its changes").into())
        } else {
            Ok(Verified::Unchanged)
        };
    }
    for stored in doc.get_changes(&[]) {
        ops += stored.len() as u64;
        bytes += stored.raw_bytes().len();
    }
    if ops > MAX_DOCUMENT_OPS || bytes > MAX_HISTORY_BYTES {
        return Err(history_too_long().into());
    }
    refuse_unknown_actors(&mut doc, &fresh).map_err(corrupt)?;
    if let Err(e) = doc.apply_changes(fresh.iter().cloned()) {
        return Err(corrupt(format!("cannot apply changes: {e}")).into());
    }
    if !doc.get_missing_deps(&[]).is_empty() {
        return Err(Rejection::new(
            "missing_dependencies",
            "changes depend on changes the server does not have",
        )
        .into());
    }
    check_depth(&doc)?;
    let record = AnyRecord::read(kind, &doc)
        .map_err(|e| Rejection::new("invalid_document", e.to_string()))?;
    check_known_fields(&doc, &record)?;
    let snapshot = doc.save();
    if snapshot.len() > MAX_DOCUMENT_BYTES {
        return Err(Rejection::new("too_large", "the record has grown too large").into());
    }
    Ok(Verified::Merged(Box::new(Merged {
        doc,
        fresh,
        record,
        snapshot,
    })))
}

/// One pushed document as [`verify_documents`] is to check it: the document pushed, and
/// what to merge it into (`None`: leave it to the caller, who may not let it be written).
#[derive(Debug)]
pub struct ToVerify<'a> {
    pub push: &'a protocol::PushDoc,
    /// `Some(None)`: a new document; `Some(Some(doc))`: merge into this stored document.
    pub base: Option<Option<AutoCommit>>,
}

/// One document's result from [`verify_documents`]: what it charged the request's
/// budget, and whether it merged.
#[derive(Debug)]
pub struct Checked {
    /// What verifying it charged, as a budget that started full (see
    /// [`Budget::charge_spent`]).
    pub spent: Budget,
    pub result: Result<Verified, Rejection>,
}

/// Verifies the documents of one request in order against one budget for the whole
/// request, and stops at the first change that goes past it: the request is then refused
/// whole, and no further document is inflated, parsed or merged. Documents without a base
/// are skipped (`None`) and charge nothing.
pub fn verify_documents(
    docs: Vec<ToVerify<'_>>,
    device_actor: &str,
    budget: &mut Budget,
) -> Result<Vec<Option<Checked>>, RequestError> {
    let mut out = Vec::with_capacity(docs.len());
    for doc in docs {
        let (Some(base), Some(kind)) = (doc.base, DocKind::parse(&doc.push.kind)) else {
            out.push(None);
            continue;
        };
        let before = budget.clone();
        let result = match apply_push(base, kind, device_actor, &doc.push.changes, budget) {
            Ok(verified) => Ok(verified),
            Err(Refused::Document(r)) => Err(r),
            Err(Refused::Request(e)) => return Err(e),
        };
        out.push(Some(Checked {
            spent: budget.spent_since(&before),
            result,
        }));
    }
    Ok(out)
}

/// Refuses a document that holds a field its record does not have, at any depth.
///
/// Reading a document as a record ignores keys the model does not know, so without this
/// check a valid record could carry any amount of other data, stored and sent on to the
/// account team. The record read from the document is written into an empty document,
/// the model's own shape of it, and every map key of the pushed document (walking maps
/// and lists side by side, without recursion) must be found there.
pub fn check_known_fields(doc: &AutoCommit, record: &AnyRecord) -> Result<(), Rejection> {
    let mut shape = AutoCommit::new();
    record
        .write(&mut shape)
        .map_err(|e| Rejection::new("invalid_document", e.to_string()))?;
    let unknown = |path: &str, key: &str| {
        let key: String = key.chars().take(40).collect();
        Rejection::new(
            "unknown_field",
            if path.is_empty() {
                format!("the record has a field '{key}' that this kind of record does not have")
            } else {
                format!(
                    "the record has a field '{path}.{key}' that this kind of record does not have"
                )
            },
        )
    };
    let mut stack: Vec<(ObjId, ObjId, String)> =
        vec![(automerge::ROOT, automerge::ROOT, String::new())];
    while let Some((obj, known, path)) = stack.pop() {
        match (doc.object_type(&obj), shape.object_type(&known)) {
            (Ok(ObjType::Map), Ok(ObjType::Map)) => {
                for key in doc.keys(&obj) {
                    let Ok(Some((known_value, known_id))) = shape.get(&known, key.as_str()) else {
                        return Err(unknown(&path, &key));
                    };
                    if let (Ok(Some((Value::Object(_), id))), Value::Object(_)) =
                        (doc.get(&obj, key.as_str()), known_value)
                    {
                        let child = if path.is_empty() {
                            key.clone()
                        } else {
                            format!("{path}.{key}")
                        };
                        stack.push((id, known_id, child));
                    }
                }
            }
            (Ok(ObjType::List), Ok(ObjType::List)) => {
                for index in 0..doc.length(&obj) {
                    if let (
                        Ok(Some((Value::Object(_), id))),
                        Ok(Some((Value::Object(_), known_id))),
                    ) = (doc.get(&obj, index), shape.get(&known, index))
                    {
                        stack.push((id, known_id, format!("{path}[{index}]")));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Refuses a document whose maps and lists nest deeper than [`MAX_DEPTH`], walking it
/// without recursion before anything hydrates it.
pub fn check_depth(doc: &AutoCommit) -> Result<(), Rejection> {
    let mut stack: Vec<(ObjId, usize)> = vec![(automerge::ROOT, 0)];
    while let Some((obj, depth)) = stack.pop() {
        for (value, id) in doc.values(&obj) {
            if let Value::Object(_) = value {
                if depth + 1 > MAX_DEPTH {
                    return Err(Rejection::new(
                        "too_deep",
                        format!("the record nests deeper than {MAX_DEPTH} levels"),
                    ));
                }
                stack.push((id, depth + 1));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;

    fn code(r: Result<Inspected<'_>, Refused>) -> &'static str {
        match r {
            Err(Refused::Document(r)) => r.code,
            other => panic!("not a rejection: {other:?}"),
        }
    }

    #[test]
    fn a_deflate_bomb_is_cut_off_at_the_bound() {
        use std::io::Write;
        let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..64 {
            enc.write_all(&zeros).expect("deflate");
        }
        let data = enc.finish().expect("deflate");
        let mut chunk = MAGIC.to_vec();
        chunk.extend_from_slice(&[0, 0, 0, 0, CHUNK_COMPRESSED]);
        write_uleb(&mut chunk, data.len() as u64);
        chunk.extend_from_slice(&data);
        assert!(chunk.len() < 128 * 1024);
        let mut budget = Budget::default();
        assert_eq!(
            code(inspect_change(&chunk, MAX_DOCUMENT_OPS, &mut budget)),
            "too_large"
        );
        // A request of such changes runs out of budget, not memory.
        let small = {
            let mut enc =
                flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
            enc.write_all(&zeros[..MAX_CHANGE_BYTES]).expect("deflate");
            let data = enc.finish().expect("deflate");
            let mut chunk = MAGIC.to_vec();
            chunk.extend_from_slice(&[0, 0, 0, 0, CHUNK_COMPRESSED]);
            write_uleb(&mut chunk, data.len() as u64);
            chunk.extend_from_slice(&data);
            chunk
        };
        let mut budget = Budget::default();
        let mut inspected = 0;
        loop {
            match inspect_change(&small, MAX_DOCUMENT_OPS, &mut budget) {
                // Inflated to the bound, then refused for its checksum.
                Err(Refused::Document(r)) => assert_eq!(r.code, "corrupt_change"),
                Err(Refused::Request(e)) => {
                    assert_eq!(e.kind, RequestErrorKind::TooLarge);
                    break;
                }
                Ok(i) => panic!("accepted {i:?}"),
            }
            inspected += 1;
        }
        assert_eq!(inspected, MAX_REQUEST_BYTES / MAX_CHANGE_BYTES);
    }

    #[test]
    fn documents_each_within_the_budget_are_refused_together() {
        // A real change that inflates to nearly the most a change may: one long text,
        // compressed as devices send it. A document may repeat it (a retried change is
        // inflated and parsed before it is found to be known), so each document can ask
        // for almost a whole request's budget.
        let mut doc = AutoCommit::new().with_actor(automerge::ActorId::from(vec![0u8]));
        doc.put(
            automerge::ROOT,
            "purpose",
            "0".repeat(MAX_CHANGE_BYTES - 4096),
        )
        .expect("put");
        doc.commit();
        let mut change = doc.get_changes(&[])[0].clone();
        let inflated = change.raw_bytes().len();
        let compressed = change.bytes().into_owned();
        assert!(compressed.len() < 4096, "{} bytes", compressed.len());
        let per_doc = MAX_REQUEST_BYTES / inflated - 1;
        let push: Vec<protocol::PushDoc> = (0..3)
            .map(|_| protocol::PushDoc {
                doc_id: model::new_id(),
                kind: "visit".into(),
                changes: vec![protocol::Change(compressed.clone()); per_doc],
            })
            .collect();
        fn docs(push: &[protocol::PushDoc]) -> Vec<ToVerify<'_>> {
            push.iter()
                .map(|push| ToVerify {
                    push,
                    base: Some(None),
                })
                .collect()
        }
        // One document alone: every copy inflated and charged; then rejected.
        let mut budget = Budget::default();
        let one = verify_documents(docs(&push[..1]), "00", &mut budget).expect("within budget");
        let checked = one[0].as_ref().expect("verified");
        assert!(checked.result.is_err(), "{:?}", checked.result);
        let mut all = Budget::default();
        all.charge_spent(&checked.spent)
            .expect("what one spent fits");
        assert!(all.bytes < inflated * 2, "{} bytes left", all.bytes);
        // Three together: the request is refused at the first change past its budget.
        let refused = verify_documents(docs(&push), "00", &mut Budget::default())
            .expect_err("over the request's budget");
        assert_eq!(refused.kind, RequestErrorKind::TooLarge);
        // Documents left to the caller charge nothing.
        let skipped: Vec<ToVerify<'_>> = push
            .iter()
            .map(|push| ToVerify { push, base: None })
            .collect();
        let mut budget = Budget::default();
        let out = verify_documents(skipped, "00", &mut budget).expect("nothing verified");
        assert!(out.iter().all(Option::is_none));
        assert_eq!(budget.bytes, MAX_REQUEST_BYTES);
    }

    fn change_bytes(doc: &mut AutoCommit) -> Vec<u8> {
        doc.get_changes(&[])[0].raw_bytes().to_vec()
    }

    #[test]
    fn counts_the_operations_of_real_changes() {
        let mut doc = AutoCommit::new();
        for i in 0..300 {
            doc.put(automerge::ROOT, format!("k{i}"), i as i64)
                .expect("put");
        }
        let list = doc
            .put_object(automerge::ROOT, "list", automerge::ObjType::List)
            .expect("list");
        for i in 0..50 {
            doc.insert(&list, i, "x").expect("insert");
        }
        doc.commit();
        let mut change = doc.get_changes(&[])[0].clone();
        let plain = change.raw_bytes().to_vec();
        let inspected =
            inspect_change(&plain, MAX_DOCUMENT_OPS, &mut Budget::default()).expect("plain");
        assert_eq!(inspected.ops, change.len() as u64);
        assert_eq!(inspected.bytes.as_ref(), plain.as_slice());
        // The form devices send: DEFLATE compressed above 256 bytes.
        let compressed = change.bytes().into_owned();
        assert_eq!(compressed[8], CHUNK_COMPRESSED);
        let inspected = inspect_change(&compressed, MAX_DOCUMENT_OPS, &mut Budget::default())
            .expect("compressed");
        assert_eq!(inspected.ops, change.len() as u64);
        assert_eq!(inspected.bytes.as_ref(), plain.as_slice());
        assert_eq!(
            model::parse_change(&inspected.bytes).expect("parse").hash(),
            change.hash()
        );
        assert_eq!(
            code(inspect_change(&plain, 10, &mut Budget::default())),
            "history_too_long"
        );
    }

    #[test]
    fn damaged_headers_are_corrupt() {
        let mut doc = AutoCommit::new();
        doc.put(automerge::ROOT, "a", 1).expect("put");
        let valid = change_bytes(&mut doc);
        for n in 0..valid.len() {
            assert_eq!(
                code(inspect_change(
                    &valid[..n],
                    MAX_DOCUMENT_OPS,
                    &mut Budget::default()
                )),
                "corrupt_change"
            );
        }
        let mut longer = valid.clone();
        longer.push(0);
        assert!(inspect_change(&longer, MAX_DOCUMENT_OPS, &mut Budget::default()).is_err());
    }
}
