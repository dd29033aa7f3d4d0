//! Messages between instances that share a PostgreSQL database (LISTEN /
//! NOTIFY), used for the staff page's live updates. On SQLite there is one
//! instance, so there is nothing to send or hear.

use super::{Dialect, Doing, Store, StoreError};
use sqlx::postgres::PgListener;

/// The PostgreSQL channel queue events travel on.
pub const QUEUE_CHANNEL: &str = "loket_queue";

/// Hears what other instances send on [`QUEUE_CHANNEL`].
#[derive(Debug)]
pub struct InstanceListener {
    listener: PgListener,
}

impl InstanceListener {
    /// The next payload. Reconnects by itself when the connection drops
    /// (payloads sent meanwhile are missed; pages then catch up on their
    /// next reload).
    pub async fn recv(&mut self) -> Result<String, StoreError> {
        let notification = self
            .listener
            .recv()
            .await
            .doing("listening for other instances")?;
        Ok(notification.payload().to_owned())
    }
}

impl Store {
    /// Sends `payload` to every instance listening on [`QUEUE_CHANNEL`]
    /// (this one included; receivers drop their own). Nothing on SQLite.
    pub async fn notify_instances(&self, payload: &str) -> Result<(), StoreError> {
        if self.dialect != Dialect::Postgres {
            return Ok(());
        }
        // `SELECT 1 FROM`: pg_notify returns `void`, which `Any` cannot decode.
        sqlx::query("SELECT 1 FROM pg_notify($1, $2)")
            .bind(QUEUE_CHANNEL)
            .bind(payload)
            .execute(&self.pool)
            .await
            .doing("notifying other instances")?;
        Ok(())
    }

    /// Starts listening to other instances; `None` on SQLite.
    pub async fn listen_instances(&self) -> Result<Option<InstanceListener>, StoreError> {
        if self.dialect != Dialect::Postgres {
            return Ok(None);
        }
        let mut listener = PgListener::connect(&self.url)
            .await
            .doing("connecting to listen for other instances")?;
        listener
            .listen(QUEUE_CHANNEL)
            .await
            .doing("listening for other instances")?;
        Ok(Some(InstanceListener { listener }))
    }
}
