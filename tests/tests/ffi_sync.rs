//! The mobile bindings' sync against a real server: two threads syncing at once share one
//! sync and its result, and a cancelled sync stops between round trips.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use rapport_client_core::ffi::{
    LocalTime, RapportClient, SyncOutcome, SyncProgress, Visit, VisitItem,
};
use rapport_tests::{Company, PASSWORD, TestServer};

/// Tells the test once the first round trip is done, then holds the sync there long
/// enough for a second thread to arrive and wait for it.
struct Hold {
    started: mpsc::SyncSender<()>,
}

impl SyncProgress for Hold {
    fn on_progress(&self, _round_trips: u32, _documents: u64) {
        let _ = self.started.try_send(());
        std::thread::sleep(Duration::from_millis(400));
    }
}

fn visit(account: &str, purpose: &str) -> Visit {
    let now = LocalTime {
        unix_ms: chrono::Utc::now().timestamp_millis(),
        offset_min: 480,
    };
    Visit {
        account_id: account.to_owned(),
        occurred_at: now,
        logged_at: now,
        duration_min: 30,
        purpose: purpose.to_owned(),
        notes: String::new(),
        contacts_met: vec![],
        check_in: None,
        spin: vec![],
        objections: vec![],
        signals: vec![],
        next_step: None,
        next_step_due: None,
    }
}

fn device(
    server: &TestServer,
    company: &Company,
    user: &str,
) -> (Arc<RapportClient>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let client = RapportClient::open(dir.path().display().to_string()).expect("open");
    client
        .login(
            server.url.clone(),
            company.slug.clone(),
            user.to_owned(),
            PASSWORD.to_owned(),
        )
        .expect("login");
    (client, dir)
}

#[test]
fn two_threads_syncing_at_once_share_one_sync_and_its_result() {
    let server = TestServer::start();
    let company = Company::setup(&server, "ffi-two");
    let (client, _dir) = device(&server, &company, "a");
    for i in 0..3 {
        client
            .create_visit(visit(&company.account_a, &format!("visit {i}")))
            .expect("create visit");
    }
    assert_eq!(client.pending_changes().expect("pending"), 3);

    let (started, first_round_trip) = mpsc::sync_channel(1);
    let first = {
        let client = client.clone();
        std::thread::spawn(move || client.sync(Some(Arc::new(Hold { started }))))
    };
    first_round_trip
        .recv_timeout(Duration::from_secs(30))
        .expect("the first sync made a round trip");
    let second = {
        let client = client.clone();
        std::thread::spawn(move || client.sync(None))
    };
    let first = first.join().expect("first thread").expect("first sync");
    let second = second.join().expect("second thread").expect("second sync");

    assert_eq!(first, second, "both threads get the one sync's result");
    assert_eq!(client.sync_generation(), 1, "one sync ran, not two");
    assert_eq!(first.generation, 1);
    assert_eq!(first.outcome, SyncOutcome::Completed);
    assert_eq!(first.accepted, 3);
    assert_eq!(first.waiting, 0);
    assert_eq!(client.pending_changes().expect("pending"), 0);

    // The server has the visits: another device of the same account receives them.
    let (other, _other_dir) = device(&server, &company, "b");
    other.sync(None).expect("other device syncs");
    let visits: Vec<VisitItem> = other
        .list_visits(Some(company.account_a.clone()))
        .expect("list");
    assert!(visits.is_empty(), "rep b does not serve account a");
    let (same_rep, _same_dir) = device(&server, &company, "a");
    same_rep.sync(None).expect("second device of rep a syncs");
    assert_eq!(
        same_rep
            .list_visits(Some(company.account_a.clone()))
            .expect("list")
            .len(),
        3
    );

    // A later call runs a new sync.
    let again = client.sync(None).expect("sync again");
    assert_eq!(again.generation, 2);
    assert_eq!(client.sync_generation(), 2);
}

/// Cancels the sync it is told about from its first round trip on.
struct CancelAtFirst {
    client: Arc<RapportClient>,
}

impl SyncProgress for CancelAtFirst {
    fn on_progress(&self, _round_trips: u32, _documents: u64) {
        self.client.cancel_sync();
    }
}

#[test]
fn a_cancelled_sync_stops_between_round_trips_and_the_next_one_finishes() {
    // One change per pull page, so receiving the company's records takes many round trips.
    let server = TestServer::start_with(&["--pull-page-changes", "1"]);
    let company = Company::setup(&server, "ffi-cancel");
    let (client, _dir) = device(&server, &company, "a");

    let cancelled = client
        .sync(Some(Arc::new(CancelAtFirst {
            client: client.clone(),
        })))
        .expect("cancelled sync");
    assert_eq!(cancelled.outcome, SyncOutcome::Cancelled);
    assert_eq!(cancelled.round_trips, 1);

    let finished = client.sync(None).expect("next sync");
    assert_eq!(finished.outcome, SyncOutcome::Completed);
    assert!(
        finished.received > 0,
        "the cancelled sync left pages to receive: {finished:?}"
    );
    assert_eq!(client.list_accounts().expect("accounts").len(), 2);
}
