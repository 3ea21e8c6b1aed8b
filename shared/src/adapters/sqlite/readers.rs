//! Read-only connections on the database file, one checked out per read. In WAL mode readers
//! neither wait for the writer nor for each other, so API reads (and the decrypting and parsing
//! that follow each row) spread over every core instead of queueing behind the one writer.
//!
//! Written by hand: a checkout from a `Vec` behind a mutex and a condvar is all this needs,
//! where r2d2 or deadpool would add a reaper thread or an async pool around the same few lines.

use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::ports::StoreError;

/// A pool of at most `size` read-only connections on one database file, opened on first need
/// and kept: opening one parses the schema, which costs more than a read.
pub(super) struct Readers {
    path: PathBuf,
    size: usize,
    pool: Mutex<Pool>,
    returned: Condvar,
}

struct Pool {
    idle: Vec<Connection>,
    open: usize,
}

impl Readers {
    /// Twice the cores: reads beyond that only queue for a core, and each connection keeps its
    /// own page cache and prepared statements.
    pub(super) fn new(path: &Path) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self::with_size(path, (cores * 2).clamp(2, 16))
    }

    fn with_size(path: &Path, size: usize) -> Self {
        Self {
            path: path.to_owned(),
            size,
            pool: Mutex::new(Pool {
                idle: Vec::new(),
                open: 0,
            }),
            returned: Condvar::new(),
        }
    }

    /// Runs `f` on an idle reader, opening one while fewer than `size` are open, else waiting
    /// for one to come back.
    pub(super) fn with<R>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let checked_out = CheckedOut {
            readers: self,
            conn: Some(self.check_out()?),
        };
        match &checked_out.conn {
            Some(conn) => f(conn),
            None => Err(StoreError::Unavailable("reader connection missing".into())),
        }
    }

    fn check_out(&self) -> Result<Connection, StoreError> {
        let poisoned = |_| StoreError::Unavailable("reader pool lock poisoned".into());
        let mut pool = self.pool.lock().map_err(poisoned)?;
        loop {
            if let Some(conn) = pool.idle.pop() {
                return Ok(conn);
            }
            if pool.open < self.size {
                pool.open += 1;
                drop(pool);
                let opened = self.open();
                if opened.is_err() {
                    self.forget_one();
                }
                return opened;
            }
            pool = self.returned.wait(pool).map_err(poisoned)?;
        }
    }

    /// A connection that will not come back (its open failed, or a read panicked with it):
    /// its slot is freed and a waiting reader told, so it may open another.
    fn forget_one(&self) {
        if let Ok(mut pool) = self.pool.lock() {
            pool.open = pool.open.saturating_sub(1);
        }
        self.returned.notify_one();
    }

    fn open(&self) -> Result<Connection, StoreError> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| {
            StoreError::Unavailable(format!(
                "cannot open {} for reading: {e}",
                self.path.display()
            ))
        })?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(conn)
    }
}

/// A connection lent out by [`Readers::with`]; it goes back to the pool when dropped, even
/// when the read panicked (then it is closed and its slot freed, as its state is unknown).
struct CheckedOut<'a> {
    readers: &'a Readers,
    conn: Option<Connection>,
}

impl Drop for CheckedOut<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        if std::thread::panicking() {
            drop(conn);
            self.readers.forget_one();
            return;
        }
        if let Ok(mut pool) = self.readers.pool.lock() {
            pool.idle.push(conn);
        }
        self.readers.returned.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A WAL database file made by `sql` on a writing connection, which stays open.
    fn database(dir: &tempfile::TempDir, sql: &str) -> (PathBuf, Connection) {
        let path = dir.path().join("r.db");
        let writer = Connection::open(&path).expect("writer");
        writer
            .pragma_update(None, "journal_mode", "WAL")
            .expect("wal");
        writer.execute_batch(sql).expect("schema");
        (path, writer)
    }

    #[test]
    fn a_reader_sees_what_the_writer_committed_and_cannot_write() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (path, writer) = database(
            &dir,
            "CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1);",
        );
        let readers = Readers::new(&path);
        let read = |readers: &Readers| {
            readers.with(|c| {
                c.query_row("SELECT sum(v) FROM t", [], |r| r.get::<_, i64>(0))
                    .map_err(|e| StoreError::Unavailable(e.to_string()))
            })
        };
        assert_eq!(read(&readers).expect("read"), 1);
        writer
            .execute("INSERT INTO t VALUES (2)", [])
            .expect("insert");
        // The same pooled connection, reused, sees the new commit.
        assert_eq!(read(&readers).expect("read"), 3);
        let refused = readers.with(|c| {
            c.execute("INSERT INTO t VALUES (3)", [])
                .map_err(|e| StoreError::Unavailable(e.to_string()))
        });
        assert!(refused.is_err(), "a reader must not write");
        let pool = readers.pool.lock().expect("pool");
        assert_eq!((pool.idle.len(), pool.open), (1, 1));
    }

    #[test]
    fn readers_beyond_the_pool_size_wait_for_a_connection_instead_of_opening_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (path, _writer) = database(&dir, "CREATE TABLE t (v INTEGER);");
        let readers = std::sync::Arc::new(Readers::with_size(&path, 2));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let readers = readers.clone();
                std::thread::spawn(move || {
                    readers.with(|c| {
                        std::thread::sleep(Duration::from_millis(20));
                        c.query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0))
                            .map_err(|e| StoreError::Unavailable(e.to_string()))
                    })
                })
            })
            .collect();
        for t in threads {
            assert_eq!(t.join().expect("thread").expect("read"), 0);
        }
        let pool = readers.pool.lock().expect("pool");
        assert_eq!((pool.idle.len(), pool.open), (2, 2));
    }

    #[test]
    fn a_read_that_panics_frees_its_slot() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (path, _writer) = database(&dir, "CREATE TABLE t (v INTEGER);");
        let readers = Readers::with_size(&path, 1);
        for _ in 0..3 {
            let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                readers.with(|_| -> Result<(), StoreError> { panic!("a read panics") })
            }));
            assert!(panicked.is_err());
        }
        // With the one slot leaked this would wait forever.
        let count = readers.with(|c| {
            c.query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0))
                .map_err(|e| StoreError::Unavailable(e.to_string()))
        });
        assert_eq!(count.expect("read"), 0);
    }
}
