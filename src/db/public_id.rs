//! Making conversations' public ids (see `domain::public_id`), and finding
//! a conversation by one. The store is where conversations are born, so
//! the one function that makes ids lives here; the migration of 0015 gave
//! the conversations stored before it theirs.

use super::{Doing, Store, StoreError};
use crate::domain::PublicId;
use crate::domain::public_id::PUBLIC_ID_BYTES;
use rand::RngCore;

/// A new public id: 128 bits from the OS's random source (`OsRng`, not a
/// user-space generator), as for session tokens. Two ids share no relation
/// an outsider could use, so one thread's id gives away no other.
pub fn new_public_id() -> PublicId {
    let mut bytes = [0u8; PUBLIC_ID_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    PublicId::from_random_bytes(bytes)
}

impl Store {
    /// The integer key of the conversation with this public id, for the
    /// store's other methods; `None` when there is none.
    pub async fn conversation_key(&self, id: &PublicId) -> Result<Option<i64>, StoreError> {
        sqlx::query_scalar("SELECT id FROM conversations WHERE public_id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .doing("finding a conversation by its public id")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn new_ids_are_well_formed_and_all_different() {
        let ids: Vec<PublicId> = (0..1000).map(|_| new_public_id()).collect();
        for id in &ids {
            assert_eq!(PublicId::parse(id.as_str()).as_ref(), Ok(id));
        }
        let distinct: HashSet<&PublicId> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len(), "an id came up twice");
        // Every hex digit turns up in every position over 1000 ids, which a
        // counter or a clock would not do in its leading digits.
        for position in 0..ids[0].as_str().len() {
            let digits: HashSet<u8> = ids
                .iter()
                .map(|id| id.as_str().as_bytes()[position])
                .collect();
            assert_eq!(
                digits.len(),
                16,
                "position {position} takes only {digits:?}"
            );
        }
    }
}
