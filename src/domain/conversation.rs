//! A conversation's states and the moves between them. The rules live
//! here, as a type; `db` asks it for the new state and stores that, and
//! keeps only the guards a database must have (a claim still only
//! succeeds `WHERE state = 'queued'`, so of two simultaneous claims one
//! wins).
//!
//! ```text
//!            hand_over               claim                close
//!   bot ───────────────▶ queued ───────────────▶ claimed ─────────▶ closed
//!                          ▲  ◀─────────────────   │ ▲                │
//!                          │       release         └─┘ transfer       │
//!                          │                                          │
//!                          └──────────────── reopen ◀─────────────────┘
//! ```
//!
//! - The bot answers while the state is `bot`; the first hand-over queues
//!   the conversation for a person.
//! - A colleague claims a queued thread and holds it: only the holder (or
//!   an admin) answers, passes it on, puts it back or closes it. An admin
//!   may also close a queued thread nobody holds (a duplicate, spam).
//! - A citizen who writes again soon after the close reopens the thread:
//!   it goes back in the queue, held by nobody.
//! - The citizen's messages never move a thread that is with a person;
//!   staff hear of them ([`Change::Message`]).

use super::staff::{Account, Role};
use serde::{Deserialize, Serialize};

/// A conversation's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConversationState {
    Bot,
    Queued,
    Claimed,
    Closed,
}

impl ConversationState {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationState::Bot => "bot",
            ConversationState::Queued => "queued",
            ConversationState::Claimed => "claimed",
            ConversationState::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<ConversationState> {
        match text {
            "bot" => Some(ConversationState::Bot),
            "queued" => Some(ConversationState::Queued),
            "claimed" => Some(ConversationState::Claimed),
            "closed" => Some(ConversationState::Closed),
            _ => None,
        }
    }
}

/// What happened to a thread: what staff pages hear of, and the kind of
/// the stored conversation event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Handed to a person (new in the queue).
    Queued,
    /// The citizen wrote again.
    Message,
    Claimed,
    Released,
    Transferred,
    Replied,
    Closed,
    Reopened,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Queued => "queued",
            Change::Message => "message",
            Change::Claimed => "claimed",
            Change::Released => "released",
            Change::Transferred => "transferred",
            Change::Replied => "replied",
            Change::Closed => "closed",
            Change::Reopened => "reopened",
        }
    }
}

/// Why a move is not allowed from where the conversation is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("already claimed by {claimed_by}")]
    AlreadyClaimed { claimed_by: String },
    #[error("the conversation is not in the queue (state {state})")]
    NotQueued { state: &'static str },
    #[error("the conversation is held by {claimed_by:?}, not by you")]
    NotYours { claimed_by: Option<String> },
    #[error("unknown or disabled colleague {0:?}")]
    UnknownUser(String),
    /// A citizen's message goes to an open conversation, or reopens a
    /// closed one; it never lands in a closed one as it is.
    #[error("the conversation is closed")]
    Closed,
    #[error("only a closed conversation reopens (state {state})")]
    NotClosed { state: &'static str },
}

/// A conversation as the rules see it: its state and who holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    state: ConversationState,
    claimed_by: Option<String>,
}

/// The outcome of an allowed move: the conversation afterwards and what
/// staff should hear of (`None`: nothing changed that they follow).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub to: Conversation,
    pub change: Option<Change>,
}

impl Conversation {
    /// A new conversation: the bot handles it.
    pub fn started() -> Self {
        Self::stored(ConversationState::Bot, None)
    }

    /// A conversation as stored.
    pub fn stored(state: ConversationState, claimed_by: Option<String>) -> Self {
        Self { state, claimed_by }
    }

    pub fn state(&self) -> ConversationState {
        self.state
    }

    /// The colleague who holds (or last held, once closed) the thread.
    pub fn claimed_by(&self) -> Option<&str> {
        self.claimed_by.as_deref()
    }

    /// Whether `reader` reading this thread is part of their work: it is
    /// in the queue, or it is (or was, once closed) theirs. Any other
    /// read (a thread the bot handles, a colleague's, one closed by
    /// someone else) is written to the audit log, admins' reads included.
    pub fn read_is_routine(&self, reader: &Account) -> bool {
        self.state == ConversationState::Queued
            || self.claimed_by() == Some(reader.username.as_str())
    }

    fn to(
        &self,
        state: ConversationState,
        claimed_by: Option<String>,
        change: Change,
    ) -> Transition {
        Transition {
            to: Self::stored(state, claimed_by),
            change: Some(change),
        }
    }

    fn unchanged(&self, change: Option<Change>) -> Transition {
        Transition {
            to: self.clone(),
            change,
        }
    }

    /// The citizen wrote and the bot handles the message itself.
    pub fn citizen_wrote(&self) -> Result<Transition, TransitionError> {
        match self.state {
            ConversationState::Bot => Ok(self.unchanged(None)),
            ConversationState::Queued | ConversationState::Claimed => {
                Ok(self.unchanged(Some(Change::Message)))
            }
            ConversationState::Closed => Err(TransitionError::Closed),
        }
    }

    /// The bot hands the conversation to a person. One that is with a
    /// person already stays where it is; staff hear of the message.
    pub fn hand_over(&self) -> Result<Transition, TransitionError> {
        match self.state {
            ConversationState::Bot => Ok(self.to(ConversationState::Queued, None, Change::Queued)),
            ConversationState::Queued | ConversationState::Claimed => {
                Ok(self.unchanged(Some(Change::Message)))
            }
            ConversationState::Closed => Err(TransitionError::Closed),
        }
    }

    /// The citizen wrote again after the close: back in the queue, held
    /// by nobody.
    pub fn reopen(&self) -> Result<Transition, TransitionError> {
        match self.state {
            ConversationState::Closed => {
                Ok(self.to(ConversationState::Queued, None, Change::Reopened))
            }
            state => Err(TransitionError::NotClosed {
                state: state.as_str(),
            }),
        }
    }

    /// `who` takes a queued thread. Claiming one's own thread again
    /// changes nothing. (How many threads one person may hold is counted
    /// by the database, in the same statement that claims.)
    pub fn claim(&self, who: &Account) -> Result<Transition, TransitionError> {
        match self.state {
            ConversationState::Queued => Ok(self.to(
                ConversationState::Claimed,
                Some(who.username.clone()),
                Change::Claimed,
            )),
            ConversationState::Claimed if self.claimed_by() == Some(who.username.as_str()) => {
                Ok(self.unchanged(None))
            }
            ConversationState::Claimed => Err(TransitionError::AlreadyClaimed {
                claimed_by: self.claimed_by.clone().unwrap_or_default(),
            }),
            state => Err(TransitionError::NotQueued {
                state: state.as_str(),
            }),
        }
    }

    /// The holder puts the thread back in the queue.
    pub fn release(&self, actor: &Account) -> Result<Transition, TransitionError> {
        self.held_by(actor)?;
        Ok(self.to(ConversationState::Queued, None, Change::Released))
    }

    /// The holder answers the citizen; the thread stays where it is.
    pub fn reply(&self, actor: &Account) -> Result<Transition, TransitionError> {
        self.held_by(actor)?;
        Ok(self.unchanged(Some(Change::Replied)))
    }

    /// The holder passes the thread to a colleague, who then holds it.
    pub fn transfer(&self, actor: &Account, to: &Account) -> Result<Transition, TransitionError> {
        if !to.can_hold_threads() {
            return Err(TransitionError::UnknownUser(to.username.clone()));
        }
        self.held_by(actor)?;
        Ok(self.to(
            ConversationState::Claimed,
            Some(to.username.clone()),
            Change::Transferred,
        ))
    }

    /// The holder closes the thread; an admin may also close a queued
    /// thread nobody holds. Who held it stays on record.
    pub fn close(&self, actor: &Account) -> Result<Transition, TransitionError> {
        let allowed = match self.state {
            ConversationState::Claimed => self.holds(actor),
            ConversationState::Queued => actor.role == Role::Admin,
            state => {
                return Err(TransitionError::NotQueued {
                    state: state.as_str(),
                });
            }
        };
        if !allowed {
            return Err(TransitionError::NotYours {
                claimed_by: self.claimed_by.clone(),
            });
        }
        Ok(self.to(
            ConversationState::Closed,
            self.claimed_by.clone(),
            Change::Closed,
        ))
    }

    /// Loket closes a thread whose citizen has gone: a web chat waiting on
    /// staff (queued or claimed) after `[webchat] idle_timeout` without a
    /// connection. A bot-only conversation is left to settle as the bot's.
    pub fn close_abandoned(&self) -> Result<Transition, TransitionError> {
        match self.state {
            ConversationState::Queued | ConversationState::Claimed => Ok(self.to(
                ConversationState::Closed,
                self.claimed_by.clone(),
                Change::Closed,
            )),
            state => Err(TransitionError::NotQueued {
                state: state.as_str(),
            }),
        }
    }

    /// May `actor` act for whoever holds the thread?
    fn holds(&self, actor: &Account) -> bool {
        actor.role == Role::Admin || self.claimed_by() == Some(actor.username.as_str())
    }

    /// The thread is claimed, and `actor` holds it (or is an admin).
    fn held_by(&self, actor: &Account) -> Result<(), TransitionError> {
        if self.state == ConversationState::Claimed && self.holds(actor) {
            Ok(())
        } else {
            Err(TransitionError::NotYours {
                claimed_by: self.claimed_by.clone(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConversationState::{Bot, Claimed, Closed, Queued};

    fn account(username: &str, role: Role) -> Account {
        Account {
            id: 1,
            username: username.to_owned(),
            role,
            disabled: false,
        }
    }

    fn anna() -> Account {
        account("anna", Role::Staff)
    }

    fn bram() -> Account {
        account("bram", Role::Staff)
    }

    fn admin() -> Account {
        account("root", Role::Admin)
    }

    fn at(state: ConversationState) -> Conversation {
        Conversation::stored(state, None)
    }

    fn held_by(name: &str) -> Conversation {
        Conversation::stored(Claimed, Some(name.to_owned()))
    }

    #[test]
    fn reading_the_queue_or_ones_own_thread_is_routine_and_nothing_else() {
        assert!(at(Queued).read_is_routine(&anna()));
        assert!(held_by("anna").read_is_routine(&anna()));
        let closed_by_anna = Conversation::stored(Closed, Some("anna".to_owned()));
        assert!(closed_by_anna.read_is_routine(&anna()));
        assert!(!closed_by_anna.read_is_routine(&bram()));
        assert!(!held_by("anna").read_is_routine(&bram()));
        assert!(!held_by("anna").read_is_routine(&admin()));
        assert!(!at(Bot).read_is_routine(&anna()));
        assert!(!at(Closed).read_is_routine(&admin()));
    }

    fn moved(
        result: Result<Transition, TransitionError>,
    ) -> (ConversationState, Option<String>, Option<Change>) {
        let transition = result.expect("allowed");
        (
            transition.to.state(),
            transition.to.claimed_by().map(str::to_owned),
            transition.change,
        )
    }

    /// `act` on anna's thread leaves `expected`, whether anna herself or
    /// an admin does it.
    fn by_holder_or_admin(
        act: impl Fn(&Conversation, &Account) -> Result<Transition, TransitionError>,
        expected: (ConversationState, Option<String>, Option<Change>),
    ) {
        for actor in [anna(), admin()] {
            let after = moved(act(&held_by("anna"), &actor));
            assert_eq!(after, expected, "by {}", actor.username);
        }
    }

    fn not_yours(holder: Option<&str>) -> TransitionError {
        TransitionError::NotYours {
            claimed_by: holder.map(str::to_owned),
        }
    }

    #[test]
    fn states_read_back_what_they_write() {
        for state in [Bot, Queued, Claimed, Closed] {
            assert_eq!(ConversationState::parse(state.as_str()), Some(state));
        }
        assert_eq!(ConversationState::parse("open"), None);
    }

    #[test]
    fn a_new_conversation_is_the_bots() {
        assert_eq!(Conversation::started(), at(Bot));
    }

    #[test]
    fn the_bot_keeps_a_conversation_until_it_hands_it_over() {
        assert_eq!(moved(at(Bot).citizen_wrote()), (Bot, None, None));
        assert_eq!(
            moved(at(Bot).hand_over()),
            (Queued, None, Some(Change::Queued))
        );
    }

    #[test]
    fn a_message_to_a_thread_with_a_person_moves_nothing_and_is_announced() {
        for conversation in [at(Queued), held_by("anna")] {
            let holder = conversation.claimed_by().map(str::to_owned);
            let state = conversation.state();
            for result in [conversation.citizen_wrote(), conversation.hand_over()] {
                assert_eq!(
                    moved(result),
                    (state, holder.clone(), Some(Change::Message))
                );
            }
        }
    }

    #[test]
    fn a_message_never_lands_in_a_closed_conversation() {
        assert_eq!(at(Closed).citizen_wrote(), Err(TransitionError::Closed));
        assert_eq!(at(Closed).hand_over(), Err(TransitionError::Closed));
    }

    #[test]
    fn only_a_closed_conversation_reopens_into_the_queue_held_by_nobody() {
        let closed = Conversation::stored(Closed, Some("anna".to_owned()));
        assert_eq!(
            moved(closed.reopen()),
            (Queued, None, Some(Change::Reopened))
        );
        for state in [Bot, Queued, Claimed] {
            assert_eq!(
                at(state).reopen(),
                Err(TransitionError::NotClosed {
                    state: state.as_str()
                })
            );
        }
    }

    #[test]
    fn a_queued_thread_is_claimed_and_a_second_claim_by_the_holder_changes_nothing() {
        assert_eq!(
            moved(at(Queued).claim(&anna())),
            (Claimed, Some("anna".to_owned()), Some(Change::Claimed))
        );
        assert_eq!(
            moved(held_by("anna").claim(&anna())),
            (Claimed, Some("anna".to_owned()), None)
        );
    }

    #[test]
    fn a_claim_is_refused_when_someone_else_holds_it_or_it_is_not_queued() {
        assert_eq!(
            held_by("anna").claim(&bram()),
            Err(TransitionError::AlreadyClaimed {
                claimed_by: "anna".to_owned()
            })
        );
        // Not even an admin takes a thread out of a colleague's hands by claiming.
        assert!(held_by("anna").claim(&admin()).is_err());
        for state in [Bot, Closed] {
            assert_eq!(
                at(state).claim(&anna()),
                Err(TransitionError::NotQueued {
                    state: state.as_str()
                })
            );
        }
    }

    #[test]
    fn the_holder_or_an_admin_releases_a_thread_into_the_queue() {
        by_holder_or_admin(
            Conversation::release,
            (Queued, None, Some(Change::Released)),
        );
    }

    #[test]
    fn a_release_by_anyone_else_or_of_an_unclaimed_thread_is_refused() {
        assert_eq!(
            held_by("anna").release(&bram()),
            Err(not_yours(Some("anna")))
        );
        for state in [Bot, Queued, Closed] {
            assert_eq!(at(state).release(&admin()), Err(not_yours(None)));
        }
    }

    #[test]
    fn the_holder_or_an_admin_replies_and_the_thread_stays_put() {
        by_holder_or_admin(
            Conversation::reply,
            (Claimed, Some("anna".to_owned()), Some(Change::Replied)),
        );
        assert_eq!(held_by("anna").reply(&bram()), Err(not_yours(Some("anna"))));
        assert_eq!(at(Queued).reply(&anna()), Err(not_yours(None)));
    }

    #[test]
    fn the_holder_passes_a_thread_to_a_colleague_who_then_holds_it() {
        by_holder_or_admin(
            |thread, actor| thread.transfer(actor, &bram()),
            (Claimed, Some("bram".to_owned()), Some(Change::Transferred)),
        );
    }

    #[test]
    fn a_transfer_is_refused_to_a_colleague_who_cannot_hold_threads_or_by_a_non_holder() {
        let editor = account("eva", Role::Editor);
        let gone = Account {
            disabled: true,
            ..bram()
        };
        for to in [editor, gone] {
            assert_eq!(
                held_by("anna").transfer(&anna(), &to),
                Err(TransitionError::UnknownUser(to.username.clone()))
            );
        }
        assert_eq!(
            held_by("anna").transfer(&bram(), &admin()),
            Err(not_yours(Some("anna")))
        );
        assert_eq!(at(Queued).transfer(&anna(), &bram()), Err(not_yours(None)));
    }

    #[test]
    fn the_holder_closes_and_who_held_it_stays_on_record() {
        by_holder_or_admin(
            Conversation::close,
            (Closed, Some("anna".to_owned()), Some(Change::Closed)),
        );
    }

    #[test]
    fn only_an_admin_closes_a_queued_thread() {
        assert_eq!(
            moved(at(Queued).close(&admin())),
            (Closed, None, Some(Change::Closed))
        );
        assert_eq!(at(Queued).close(&anna()), Err(not_yours(None)));
        assert_eq!(held_by("anna").close(&bram()), Err(not_yours(Some("anna"))));
    }

    #[test]
    fn loket_closes_an_abandoned_thread_only_while_it_waits_on_staff() {
        assert_eq!(
            moved(at(Queued).close_abandoned()),
            (Closed, None, Some(Change::Closed))
        );
        assert_eq!(
            moved(held_by("anna").close_abandoned()),
            (Closed, Some("anna".to_owned()), Some(Change::Closed))
        );
        for state in [Bot, Closed] {
            assert_eq!(
                at(state).close_abandoned(),
                Err(TransitionError::NotQueued {
                    state: state.as_str()
                })
            );
        }
    }

    #[test]
    fn a_thread_the_bot_has_or_that_is_closed_cannot_be_closed() {
        for state in [Bot, Closed] {
            assert_eq!(
                at(state).close(&admin()),
                Err(TransitionError::NotQueued {
                    state: state.as_str()
                })
            );
        }
    }
}
