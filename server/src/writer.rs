//! Group commit for pushes on SQLite.
//!
//! A durable commit costs an `fsync` (`synchronous=FULL`): about a millisecond on a good
//! disk, several on a busy one. SQLite has one writer at a time, so when many devices
//! sync at once (everyone back online at nine in the morning) their pushes used to queue
//! for one commit each, and the queue was mostly waiting on the disk.
//!
//! Here pushes are handed to one writer task. It takes every push waiting (up to
//! [`MAX_GROUP`]), runs each in a savepoint of one transaction, and commits them together:
//! one `fsync` for the group. A push that fails rolls back its own savepoint and answers
//! its error; the others are unaffected. Every push learns its result only after the
//! group's commit, so nothing is acknowledged before it is durable; if the commit fails,
//! every push of the group answers an error and its device retries (pushes are
//! idempotent).
//!
//! On PostgreSQL each push keeps its own transaction: writers of different companies run
//! side by side there, and a company's writers are ordered by its sequence row.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::error::{ApiError, ApiResult};

/// Pushes committed together at most: bounds a group's transaction and the wait of the
/// first push in it.
pub const MAX_GROUP: usize = 64;

/// What a push does inside its transaction.
pub type Work<T> = Box<
    dyn for<'t> FnOnce(
            &'t DatabaseTransaction,
        ) -> Pin<Box<dyn Future<Output = ApiResult<T>> + Send + 't>>
        + Send,
>;

type Value = Box<dyn Any + Send>;

struct Job {
    work: Work<Value>,
    reply: oneshot::Sender<ApiResult<Value>>,
}

/// Runs write transactions: grouped on SQLite, one per call on PostgreSQL.
pub struct Writer {
    db: DatabaseConnection,
    queue: Option<mpsc::UnboundedSender<Job>>,
}

impl Writer {
    /// On SQLite (`lock`: the process's write lock, taken for each group) starts the
    /// writer task; it ends when the `Writer` is dropped.
    pub fn new(db: DatabaseConnection, lock: Option<Arc<Mutex<()>>>) -> Writer {
        let queue = lock.map(|lock| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(write_loop(db.clone(), lock, rx));
            tx
        });
        Writer { db, queue }
    }

    /// Runs `work` in a transaction and returns its result once that is committed.
    pub async fn run<T: Send + 'static>(&self, work: Work<T>) -> ApiResult<T> {
        let Some(queue) = &self.queue else {
            let txn = self.db.begin().await?;
            let value = work(&txn).await?;
            txn.commit().await?;
            return Ok(value);
        };
        let (reply, answer) = oneshot::channel();
        // The push runs in the writer task, in the span of the request that made it (so
        // its log lines carry the request id).
        let span = tracing::Span::current();
        let work: Work<Value> = Box::new(move |txn| {
            Box::pin(tracing::Instrument::instrument(
                async move { work(txn).await.map(|v| Box::new(v) as Value) },
                span,
            ))
        });
        // Counted before it is sent, so the writer never takes it off the count first.
        crate::telemetry::writer_queue(1.0);
        if queue.send(Job { work, reply }).is_err() {
            crate::telemetry::writer_queue(-1.0);
            return Err(stopped());
        }
        let value = answer.await.map_err(|_| stopped())??;
        value
            .downcast::<T>()
            .map(|v| *v)
            .map_err(|_| ApiError::Internal(anyhow::anyhow!("the writer answered the wrong type")))
    }
}

fn stopped() -> ApiError {
    ApiError::Internal(anyhow::anyhow!("the writer stopped before answering"))
}

async fn write_loop(
    db: DatabaseConnection,
    lock: Arc<Mutex<()>>,
    mut queue: mpsc::UnboundedReceiver<Job>,
) {
    while let Some(first) = queue.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        crate::telemetry::writer_queue(-(jobs.len() as f64));
        let guard = Arc::clone(&lock).lock_owned().await;
        // In its own task: should a push panic, its group is rolled back (the
        // transaction is dropped uncommitted), its pushes answer an error, and the
        // writer goes on with the next group.
        let group = tokio::spawn(run_group(db.clone(), jobs));
        if let Err(e) = group.await {
            tracing::error!(error = %e, "a group of pushes failed; none of it was stored");
        }
        drop(guard);
    }
}

async fn run_group(db: DatabaseConnection, jobs: Vec<Job>) {
    let txn = match db.begin().await {
        Ok(txn) => txn,
        Err(e) => {
            let message = e.to_string();
            for job in jobs {
                let _ = job.reply.send(Err(group_failed(&message)));
            }
            return;
        }
    };
    let mut done = Vec::with_capacity(jobs.len());
    for job in jobs {
        match run_one(&txn, job.work).await {
            Ok(value) => done.push((job.reply, value)),
            Err(e) => {
                let _ = job.reply.send(Err(e));
            }
        }
    }
    match txn.commit().await {
        Ok(()) => {
            for (reply, value) in done {
                let _ = reply.send(Ok(value));
            }
        }
        Err(e) => {
            let message = e.to_string();
            for (reply, _) in done {
                let _ = reply.send(Err(group_failed(&message)));
            }
        }
    }
}

/// One push in a savepoint of the group's transaction: kept on success, rolled back on
/// error.
async fn run_one(txn: &DatabaseTransaction, work: Work<Value>) -> ApiResult<Value> {
    let savepoint = txn.begin().await?;
    match work(&savepoint).await {
        Ok(value) => {
            savepoint.commit().await?;
            Ok(value)
        }
        Err(e) => {
            savepoint.rollback().await?;
            Err(e)
        }
    }
}

fn group_failed(message: &str) -> ApiError {
    ApiError::Internal(anyhow::anyhow!(
        "committing a group of pushes failed: {message}"
    ))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sea_orm::{ConnectionTrait, Statement};

    use super::*;

    fn insert(id: i64, fail: bool) -> Work<i64> {
        Box::new(move |txn| {
            Box::pin(async move {
                txn.execute_unprepared(&format!("INSERT INTO grouped (id) VALUES ({id})"))
                    .await?;
                if fail {
                    return Err(ApiError::BadRequest(format!("push {id} refused")));
                }
                Ok(id)
            })
        })
    }

    /// A SQLite database with one table, and a writer grouping on its lock.
    async fn setup() -> (
        tempfile::TempDir,
        DatabaseConnection,
        Arc<Mutex<()>>,
        Arc<Writer>,
    ) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let db = crate::db::connect(None, dir.path())
            .await
            .expect("a database");
        db.execute_unprepared("CREATE TABLE grouped (id INTEGER PRIMARY KEY)")
            .await
            .expect("a table");
        let lock = Arc::new(Mutex::new(()));
        let writer = Arc::new(Writer::new(db.clone(), Some(Arc::clone(&lock))));
        (dir, db, lock, writer)
    }

    async fn stored(db: &DatabaseConnection) -> Vec<i64> {
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT id FROM grouped ORDER BY id",
            ))
            .await
            .expect("reading the table");
        rows.iter()
            .map(|r| r.try_get_by_index::<i64>(0).expect("an id"))
            .collect()
    }

    /// Pushes queued while the writer waits share a group; one that fails is rolled back
    /// alone, the others are committed and answered after the commit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_push_rolls_back_alone_in_its_group() {
        let (_dir, db, lock, writer) = setup().await;
        // Hold the write lock so the pushes queue up behind it, as in a burst of syncs.
        let held = lock.lock().await;
        let mut pushes = Vec::new();
        for (id, fail) in [(1, false), (2, true), (3, false), (4, false)] {
            let writer = Arc::clone(&writer);
            pushes.push(tokio::spawn(
                async move { writer.run(insert(id, fail)).await },
            ));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            stored(&db).await.is_empty(),
            "nothing is stored before the lock"
        );
        drop(held);
        let mut answers = Vec::new();
        for p in pushes {
            answers.push(p.await.expect("the push task"));
        }
        assert_eq!(answers[0].as_ref().ok(), Some(&1));
        assert!(
            matches!(&answers[1], Err(ApiError::BadRequest(m)) if m == "push 2 refused"),
            "the failing push gets its own error: {:?}",
            answers[1]
        );
        assert_eq!(answers[2].as_ref().ok(), Some(&3));
        assert_eq!(answers[3].as_ref().ok(), Some(&4));
        assert_eq!(stored(&db).await, vec![1, 3, 4]);
    }

    /// A duplicate key (a database error) inside one push leaves the group's others
    /// committed.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_database_error_in_one_push_spares_the_others() {
        let (_dir, db, lock, writer) = setup().await;
        let held = lock.lock().await;
        let mut pushes = Vec::new();
        for id in [5, 5, 6] {
            let writer = Arc::clone(&writer);
            pushes.push(tokio::spawn(
                async move { writer.run(insert(id, false)).await },
            ));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        drop(held);
        let mut ok = 0;
        for p in pushes {
            if p.await.expect("the push task").is_ok() {
                ok += 1;
            }
        }
        assert_eq!(ok, 2, "the second insert of 5 fails, the others succeed");
        assert_eq!(stored(&db).await, vec![5, 6]);
    }
}
