//! Messages between instances that share a PostgreSQL database (LISTEN /
//! NOTIFY), used for the staff page's live updates. On SQLite there is one
//! instance, so there is nothing to send or hear.

use super::{Dialect, Doing, Store, StoreError};
use sqlx::postgres::PgListener;

/// The PostgreSQL channel queue events travel on.
pub const QUEUE_CHANNEL: &str = "loket_queue";

/// The PostgreSQL channel on which an instance says "I recorded replies
/// to web chats as sent": the other instances' widget streams then look
/// for them at once. The payload is the chats' citizen keys, separated by
/// commas (no personal data: random session keys); the streams read the
/// database.
pub const WEBCHAT_CHANNEL: &str = "loket_webchat";

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

    /// Tells every instance that replies to the web chats of `citizens`
    /// were recorded as sent ([`WEBCHAT_CHANNEL`]). Nothing on SQLite.
    pub async fn notify_web_delivered(&self, citizens: &[String]) -> Result<(), StoreError> {
        if self.dialect != Dialect::Postgres {
            return Ok(());
        }
        // A NOTIFY payload holds at most 8,000 bytes; a key is 37.
        for keys in citizens.chunks(100) {
            sqlx::query("SELECT 1 FROM pg_notify($1, $2)")
                .bind(WEBCHAT_CHANNEL)
                .bind(keys.join(","))
                .execute(&self.pool)
                .await
                .doing("notifying other instances of web chat replies")?;
        }
        Ok(())
    }

    /// Listens on `channel` ([`QUEUE_CHANNEL`] or [`WEBCHAT_CHANNEL`]),
    /// trying again every second until it works; `None` on SQLite (one
    /// instance, nothing to hear) or when `cancel` fires first.
    pub async fn listen_until_up(
        &self,
        channel: &'static str,
        cancel: &tokio_util::sync::CancellationToken,
    ) -> Option<InstanceListener> {
        loop {
            match self.listen_on(channel).await {
                Ok(listener) => return listener,
                Err(error) => {
                    tracing::error!(error = %error, channel, "cannot listen for other instances; retrying in a second");
                    tokio::select! {
                        () = cancel.cancelled() => return None,
                        () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                    }
                }
            }
        }
    }

    async fn listen_on(&self, channel: &str) -> Result<Option<InstanceListener>, StoreError> {
        if self.dialect != Dialect::Postgres {
            return Ok(None);
        }
        let mut listener = PgListener::connect(&self.url)
            .await
            .doing("connecting to listen for other instances")?;
        listener
            .listen(channel)
            .await
            .doing("listening for other instances")?;
        Ok(Some(InstanceListener { listener }))
    }
}
