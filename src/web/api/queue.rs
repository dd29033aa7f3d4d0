//! The queue routes: thin handlers over `db::queue`. Each checks the role,
//! calls one store method, publishes what changed and answers JSON.

use super::doc::{Forbidden, ForbiddenOrCsrf, NotYours};
use super::error::{ApiError, ErrorBody};
use crate::db::StaffMessage;
use crate::domain::PublicId;
use crate::domain::context::{Contact, Note};
use crate::domain::thread::Thread;
use crate::queue::events::{Change, QueueEvent};
use crate::queue::signals::{self, Signals, Unread};
use crate::queue::{QueueError, Summary};
use crate::web::AppState;
use crate::web::auth::Staff;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AllOfBuilder, AnyOfBuilder, ObjectBuilder, Schema, SchemaType, Type,
};

/// Longest staff message: WhatsApp's limit for a text body.
const MAX_TEXT: usize = 4096;

/// Longest close topic.
const MAX_TOPIC: usize = 80;

/// A string with at least one character that is not white space, as
/// Rust's `str::trim` sees it (the Unicode `White_Space` property): the
/// schema's wording of "not blank", for text the handlers trim.
pub const NOT_BLANK: &str = "[^\\t\\n\\x0B\\x0C\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]";

/// The queue as the staff page lists it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QueueList {
    pub now: DateTime<Utc>,
    /// Queued and claimed conversations, urgent first, then by deadline.
    pub conversations: Vec<QueueItem>,
    /// Unread citizen messages in the threads the caller holds: the count
    /// in the page's tab title.
    pub unread_total: i64,
}

/// A thread in the queue, with its signals for the caller.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QueueItem {
    #[serde(flatten)]
    pub summary: Summary,
    pub signals: Signals,
    /// Citizen messages the caller has not seen yet (since they last
    /// opened the thread; all of them in a thread they never opened).
    pub unread: i64,
}

/// The approved WhatsApp template for a thread's language.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TemplateRef {
    pub name: String,
    pub language: String,
}

/// A whole thread and the template a reply outside the window can use.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ThreadView {
    #[serde(flatten)]
    pub thread: Thread,
    /// `null` when no template is configured for the thread's language.
    pub template: Option<TemplateRef>,
    pub signals: Signals,
    /// Citizen messages the caller has not marked read (`POST .../read`).
    pub unread: i64,
    /// How to reach the citizen (the number, or words saying there is
    /// none): only after the reveal, `null` before it.
    pub contact: Option<Contact>,
    /// Staff's internal notes, oldest first: never sent to the citizen.
    pub notes: Vec<Note>,
}

/// A staff message queued for sending.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Queued {
    pub outbox_id: i64,
}

/// A colleague who can take a thread.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Colleague {
    pub username: String,
    /// `staff` or `admin`.
    pub role: &'static str,
    /// Had the staff page open in the last two minutes.
    pub online: bool,
}

/// Colleagues who can take a thread.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StaffList {
    pub staff: Vec<Colleague>,
}

/// `{id}` in a conversation's path: its public id, as `id` in the queue.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ConversationPath {
    /// The conversation's public id (32 lower-case hexadecimal digits, as
    /// `id` in the queue). Anything else, such as the old integer ids, is
    /// answered 404 like an id that no conversation has.
    #[param(value_type = PublicId, inline)]
    id: String,
}

impl ConversationPath {
    /// The public id as given in the path.
    pub(super) fn public(&self) -> &str {
        &self.id
    }

    /// The conversation's integer key, for the store. Text that is not a
    /// public id and an id nobody has get the same 404: an answer tells
    /// nothing but "not here".
    async fn key(&self, state: &AppState) -> Result<i64, ApiError> {
        conversation_key(state, &self.id).await
    }

    /// The conversation's summary, or the same 404.
    pub(super) async fn summary(&self, state: &AppState) -> Result<Summary, ApiError> {
        let key = self.key(state).await?;
        let summary = state.store.summary(key).await?;
        Ok(summary.ok_or(QueueError::NotFound)?)
    }
}

/// The integer key of the conversation with public id `id`; 404 for text
/// that is not a public id and for an id nobody has alike.
pub(super) async fn conversation_key(state: &AppState, id: &str) -> Result<i64, ApiError> {
    let id = PublicId::parse(id).map_err(|_| QueueError::NotFound)?;
    let key = state.store.conversation_key(&id).await?;
    Ok(key.ok_or(QueueError::NotFound)?)
}

fn publish(state: &AppState, summary: &Summary, change: Change, to: Option<String>) {
    state.events.publish(QueueEvent::of(summary, change, to));
}

fn template(state: &AppState, summary: &Summary) -> Option<TemplateRef> {
    state
        .settings
        .queue
        .template_for(summary.language)
        .map(|(name, language)| TemplateRef { name, language })
}

/// Queued and claimed conversations, urgent first, then by deadline.
#[utoipa::path(get, path = "/api/queue", tag = "queue", security(("session" = [])), responses(
    (status = 200, description = "The queue", body = QueueList), (status = 403, response = Forbidden)))]
pub async fn list(staff: Staff, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    staff.require_queue()?;
    let now = state.clock.now();
    let mut unread = state.store.unread_counts(&staff.account.username).await?;
    let conversations: Vec<QueueItem> = state
        .store
        .queue()
        .await?
        .into_iter()
        .map(|summary| QueueItem {
            signals: signals_of(&state, &summary, now),
            unread: unread.remove(&summary.key).unwrap_or(0),
            summary,
        })
        .collect();
    let unread_total = signals::unread_total(
        conversations.iter().map(|item| Unread {
            count: item.unread,
            claimed_by: item.summary.claimed_by.as_deref(),
        }),
        &staff.account.username,
    );
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(QueueList {
            now,
            conversations,
            unread_total,
        }))
}

/// A thread's signals now, under the configured office hours.
fn signals_of(state: &AppState, summary: &Summary, now: DateTime<Utc>) -> Signals {
    signals::decide(&signals::Facts::of(summary), &state.settings.hours, now)
}

/// Mark the conversation's citizen messages so far as read by you: the
/// staff page does so when you open the thread, and when a message
/// arrives while it is open in view. The unread counts in `GET /api/queue`
/// are per staff member and hold across tabs and devices.
#[utoipa::path(post, path = "/api/conversations/{id}/read", tag = "queue",
    security(("session" = [], "csrf" = [])), params(ConversationPath),
    responses((status = 204, description = "Marked read"), (status = 403, response = ForbiddenOrCsrf)))]
pub async fn mark_read(
    staff: Staff,
    state: web::Data<AppState>,
    id: web::Path<ConversationPath>,
) -> Result<HttpResponse, ApiError> {
    staff.require_queue()?;
    let key = id.key(&state).await?;
    state
        .store
        .mark_read(key, &staff.account.username, state.clock.now())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// One whole conversation, personal data masked (unless this login
/// revealed it). Reading a thread that is neither in the queue nor the
/// reader's own (the bot's, a colleague's, one closed by someone else)
/// is written to the audit log, once per login.
#[utoipa::path(get, path = "/api/conversations/{id}", tag = "queue", security(("session" = [])),
    params(ConversationPath),
    responses((status = 200, description = "The thread", body = ThreadView), (status = 403, response = Forbidden)))]
pub async fn show(
    staff: Staff,
    state: web::Data<AppState>,
    id: web::Path<ConversationPath>,
) -> Result<HttpResponse, ApiError> {
    let key = authorise_read(&staff, &state, &id.id).await?.key;
    let revealed = state
        .revealed
        .lock()
        .map(|set| set.contains(&(staff.token_hash.clone(), key)))
        .unwrap_or(false);
    let view = load_thread(&staff, &state, key, revealed).await?;
    Ok(thread_json(&view))
}

/// Whether `staff` may read conversation `id` (its thread or one of its
/// files), and its summary if so. Reading one that is neither in the
/// queue nor the reader's own is written to the audit log, once per login.
pub(super) async fn authorise_read(
    staff: &Staff,
    state: &AppState,
    id: &str,
) -> Result<Summary, ApiError> {
    staff.require_queue()?;
    let key = conversation_key(state, id).await?;
    let summary = state
        .store
        .summary(key)
        .await?
        .ok_or(QueueError::NotFound)?;
    if !conversation_of(&summary).read_is_routine(&staff.account) {
        audit_once_per_login(state, &state.read_audited, staff, "read", &summary, None).await;
    }
    Ok(summary)
}

/// The whole conversation with personal data shown: audited the first
/// time per login, after which `GET` shows it unmasked too.
#[utoipa::path(post, path = "/api/conversations/{id}/reveal", tag = "queue",
    security(("session" = [], "csrf" = [])), params(ConversationPath),
    responses((status = 200, description = "The thread, unmasked", body = ThreadView),
        (status = 403, response = ForbiddenOrCsrf)))]
pub async fn reveal(
    staff: Staff,
    state: web::Data<AppState>,
    id: web::Path<ConversationPath>,
) -> Result<HttpResponse, ApiError> {
    staff.require_queue()?;
    let key = id.key(&state).await?;
    let view = load_thread(&staff, &state, key, true).await?;
    // The audit entry says whether a phone number and a name were among
    // what was shown.
    let detail = view.contact.as_ref().and_then(|c| c.audit_detail());
    audit_once_per_login(
        &state,
        &state.revealed,
        &staff,
        "reveal",
        &view.thread.summary,
        detail,
    )
    .await;
    Ok(thread_json(&view))
}

/// (session token hash, conversation key) pairs already seen this login.
type SeenThisLogin = std::sync::Mutex<std::collections::HashSet<(String, i64)>>;

/// Writes `action` on a conversation to the audit log the first time
/// this login does it (`seen` remembers), not on every reload.
async fn audit_once_per_login(
    state: &AppState,
    seen: &SeenThisLogin,
    staff: &Staff,
    action: &str,
    conversation: &Summary,
    detail: Option<&str>,
) {
    let first = seen
        .lock()
        .map(|mut set| set.insert((staff.token_hash.clone(), conversation.key)))
        .unwrap_or(true);
    if first {
        super::audit::record(state, staff, action, Some(&conversation.id), detail).await;
    }
}

/// A thread's state and holder, as the conversation rules see them.
fn conversation_of(summary: &Summary) -> crate::domain::Conversation {
    crate::domain::Conversation::stored(summary.state, summary.claimed_by.clone())
}

async fn load_thread(
    staff: &Staff,
    state: &AppState,
    id: i64,
    reveal: bool,
) -> Result<ThreadView, ApiError> {
    staff.require_queue()?;
    let now = state.clock.now();
    let mut thread = state
        .store
        .thread(id, now, reveal)
        .await?
        .ok_or(QueueError::NotFound)?;
    show_template_text(state, &mut thread);
    let template = template(state, &thread.summary);
    let signals = signals_of(state, &thread.summary, now);
    let unread = state.store.unread(id, &staff.account.username).await?;
    // The number is personal data like the rest: it leaves the server
    // only with the (audited) reveal.
    let contact = if reveal {
        let name = state.store.profile_name(id).await?;
        Some(crate::domain::context::contact_of(
            &thread.summary.to,
            thread.summary.channel,
            name,
        ))
    } else {
        None
    };
    let notes = state.store.notes(id).await?;
    Ok(ThreadView {
        thread,
        template,
        signals,
        unread,
        contact,
        notes,
    })
}

/// A sent template reads as the words the citizen got (`[queue]
/// template_text_*`), not as "[sjabloon name (nl)]".
fn show_template_text(state: &AppState, thread: &mut Thread) {
    let Some(text) = state.settings.queue.template_text(thread.summary.language) else {
        return;
    };
    for message in &mut thread.messages {
        if TEMPLATE_KINDS.contains(&message.kind.as_str()) {
            message.text = text.to_owned();
        }
    }
}

/// The outbox kinds that are the approved template: sent by staff, and
/// the follow-up at opening time.
const TEMPLATE_KINDS: [&str; 2] = ["staff_template", "followup"];

fn thread_json(view: &ThreadView) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(view)
}

/// Claim a queued conversation (atomic: one of simultaneous claims wins).
#[utoipa::path(post, path = "/api/conversations/{id}/claim", tag = "queue",
    security(("session" = [], "csrf" = [])), params(ConversationPath),
    responses((status = 200, description = "Claimed by you", body = Summary), (status = 403, response = ForbiddenOrCsrf),
        (status = 409, description = "Someone else has it (`already_claimed`, with `claimed_by`), you hold the most you may (`claim_limit`, with `limit` and `user`), or it is not queued (`not_queued`, with `state`)", body = ErrorBody)))]
pub async fn claim(
    staff: Staff,
    state: web::Data<AppState>,
    id: web::Path<ConversationPath>,
) -> Result<HttpResponse, ApiError> {
    staff.require_queue()?;
    let key = id.key(&state).await?;
    let summary = state
        .store
        .claim(
            key,
            &staff.account,
            state.settings.queue.max_claims,
            state.clock.now(),
        )
        .await?;
    publish(&state, &summary, Change::Claimed, None);
    super::audit::record(&state, &staff, "claim", Some(&summary.id), None).await;
    Ok(HttpResponse::Ok().json(summary))
}

/// Put a claimed conversation back in the queue (the claimer or an admin).
#[utoipa::path(post, path = "/api/conversations/{id}/release", tag = "queue",
    security(("session" = [], "csrf" = [])), params(ConversationPath),
    responses((status = 200, description = "Queued again", body = Summary), (status = 403, response = NotYours)))]
pub async fn release(
    staff: Staff,
    state: web::Data<AppState>,
    id: web::Path<ConversationPath>,
) -> Result<HttpResponse, ApiError> {
    staff.require_queue()?;
    let key = id.key(&state).await?;
    let summary = state
        .store
        .release(key, &staff.account, state.clock.now())
        .await?;
    publish(&state, &summary, Change::Released, None);
    super::audit::record(&state, &staff, "release", Some(&summary.id), None).await;
    Ok(HttpResponse::Ok().json(summary))
}

/// A staff message: free text, or the approved template.
#[derive(Debug, Deserialize)]
pub struct Reply {
    pub text: Option<String>,
    /// `true`: send the configured template instead of text.
    #[serde(default)]
    pub template: bool,
}

// Written out rather than derived: which fields must be there depends on
// `template`, which a derive cannot say. `reply` below checks the same.
impl utoipa::PartialSchema for Reply {
    fn schema() -> RefOr<Schema> {
        let template = || ObjectBuilder::new().schema_type(Type::Boolean);
        let body = || ObjectBuilder::new().schema_type(Type::Object);
        let as_text = body()
            .property(
                "text",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .max_length(Some(MAX_TEXT))
                    .pattern(Some(NOT_BLANK)),
            )
            .required("text");
        let as_template = body()
            .property("template", template().enum_values(Some([true])))
            .required("template");
        let fields = body()
            .property(
                "text",
                ObjectBuilder::new()
                    .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                    .max_length(Some(MAX_TEXT)),
            )
            .property(
                "template",
                template()
                    .description(Some("`true`: send the configured template instead of text")),
            );
        AllOfBuilder::new()
            .description(Some(
                "Free text (not blank, at most 4096 characters; links only to the allowed sites), or `\"template\": true` for the approved template",
            ))
            .item(fields)
            .item(AnyOfBuilder::new().item(as_text).item(as_template))
            .into()
    }
}

impl utoipa::ToSchema for Reply {}

/// Send a message to the citizen (the claimer or an admin). Free text
/// only inside WhatsApp's 24-hour window; the template at any time.
#[utoipa::path(post, path = "/api/conversations/{id}/reply", tag = "queue", request_body = Reply,
    security(("session" = [], "csrf" = [])), params(ConversationPath),
    responses((status = 202, description = "Queued for sending", body = Queued), (status = 403, response = NotYours),
        (status = 409, description = "The 24-hour window is closed (`window_closed`, with `expires_at` and `template`), or no template is configured (`no_template`)", body = ErrorBody)))]
pub async fn reply(
    staff: Staff,
    state: web::Data<AppState>,
    id: web::Path<ConversationPath>,
    body: web::Json<Reply>,
) -> Result<HttpResponse, ApiError> {
    staff.require_queue()?;
    let summary = id.summary(&state).await?;
    let message = match body.into_inner() {
        Reply { template: true, .. } => {
            let (name, language) = state
                .settings
                .queue
                .template_for(summary.language)
                .ok_or(QueueError::NoTemplate)?;
            StaffMessage::Template { name, language }
        }
        Reply {
            text: Some(text), ..
        } if !text.trim().is_empty() => {
            check_staff_text(&state, &text)?;
            StaffMessage::Text(text.trim().to_owned())
        }
        _ => {
            return Err(ApiError::invalid(
                "Schrijf een bericht, of kies het sjabloon (\"template\": true).",
            ));
        }
    };
    queue_staff_message(&staff, &state, &summary, message).await
}

/// The rules for any text staff send a citizen (a reply, a caption): at
/// most WhatsApp's 4096 characters, and links only to the sites the bot
/// may link to (`[knowledge] link_allowlist`). 400 `invalid`, with
/// `domain` for a link.
pub(super) fn check_staff_text(state: &AppState, text: &str) -> Result<(), ApiError> {
    if text.chars().count() > MAX_TEXT {
        return Err(ApiError::invalid(format!(
            "Het bericht is te lang: WhatsApp staat hooguit {MAX_TEXT} tekens toe."
        )));
    }
    let allowlist = &state.settings.knowledge.link_allowlist;
    let bad = crate::privacy::links::disallowed_domains(text, allowlist);
    if let Some(domain) = bad.first() {
        return Err(ApiError::invalid(format!(
            "Links mogen alleen naar vertrouwde sites ({}); {domain} staat daar niet bij.",
            allowlist.join(", ")
        ))
        .with("domain", domain.clone()));
    }
    Ok(())
}

/// Queues a staff message for the conversation of `summary` (the store
/// checks the claim and the 24-hour window), wakes the sender, tells the
/// other pages and writes the audit log: 202 with the outbox id.
pub(super) async fn queue_staff_message(
    staff: &Staff,
    state: &AppState,
    summary: &Summary,
    message: StaffMessage,
) -> Result<HttpResponse, ApiError> {
    let outbox_id = match state
        .store
        .staff_send(summary.key, &staff.account, message, state.clock.now())
        .await
    {
        Err(QueueError::WindowClosed { expires_at }) => {
            return Err(
                ApiError::from(QueueError::WindowClosed { expires_at }).with(
                    "template",
                    serde_json::to_value(template(state, summary)).unwrap_or_default(),
                ),
            );
        }
        other => other?,
    };
    state.wake_outbox.notify_one();
    publish(state, summary, Change::Replied, None);
    super::audit::record(state, staff, "reply", Some(&summary.id), None).await;
    Ok(HttpResponse::Accepted().json(Queued { outbox_id }))
}

/// Who gets the thread: a colleague (`to`) or a team (`topic`), with an
/// optional internal note.
#[derive(Debug, Deserialize)]
pub struct Transfer {
    pub to: Option<String>,
    pub topic: Option<String>,
    pub note: Option<String>,
}

/// A name that can be an account's, as `Transfer::to` documents it.
const USERNAME_PATTERN: &str = r"^ *[A-Za-z][A-Za-z0-9._-]{1,39} *$";

// Written out rather than derived: exactly one of `to` and `topic`, which
// a derive cannot say. `transfer` below checks the same.
impl utoipa::PartialSchema for Transfer {
    fn schema() -> RefOr<Schema> {
        let body = || ObjectBuilder::new().schema_type(Type::Object);
        let to = || {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(USERNAME_PATTERN))
                .description(Some(
                    "A colleague's user name (staff or admin, not disabled), who then holds the thread. A name that cannot be an account's is refused with 400 before any lookup.",
                ))
        };
        let topic = || {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(MAX_TOPIC))
                .description(Some(
                    "One of the configured topics (`[queue] topics`, the teams): the thread goes back to the queue marked with it",
                ))
        };
        let fields = body()
            .property("to", to())
            .property("topic", topic())
            .property("note", super::context::note_schema());
        let to_person = body().property("to", to()).required("to");
        let to_team = body().property("topic", topic()).required("topic");
        AllOfBuilder::new()
            .description(Some(
                "A colleague (`to`) or a team (`topic`), not both; `note` is stored as an internal note",
            ))
            .item(fields)
            .item(
                utoipa::openapi::schema::OneOfBuilder::new()
                    .item(to_person)
                    .item(to_team),
            )
            .into()
    }
}

impl utoipa::ToSchema for Transfer {}

/// Pass a claimed conversation to a colleague, who then holds it, or to a
/// team (a configured topic): back in the queue, marked with the topic.
/// A `note` goes with it as an internal note.
#[utoipa::path(post, path = "/api/conversations/{id}/transfer", tag = "queue", request_body = Transfer,
    security(("session" = [], "csrf" = [])), params(ConversationPath),
    responses((status = 200, description = "The colleague holds it now, or it waits in the queue for the team", body = Summary), (status = 403, response = NotYours),
        (status = 400, description = "The name cannot be an account name, the topic is not a configured one, both or neither are given, or the note is too long (`invalid`, with `field` for the note)", body = ErrorBody),
        (status = 404, description = "No such conversation (`not_found`) or colleague (`unknown_user`)", body = ErrorBody),
        (status = 409, description = "The colleague holds the most they may (`claim_limit`, with `limit` and `user`)", body = ErrorBody)))]
pub async fn transfer(
    staff: Staff,
    state: web::Data<AppState>,
    id: web::Path<ConversationPath>,
    body: web::Json<Transfer>,
) -> Result<HttpResponse, ApiError> {
    staff.require_queue()?;
    let key = id.key(&state).await?;
    let note = super::context::optional_note(body.note.as_deref())?;
    let now = state.clock.now();
    match (body.to.as_deref(), body.topic.as_deref()) {
        (Some(to), None) => {
            // A name that cannot be an account's is refused before the lookup.
            let name = crate::accounts::login_name(to)
                .map_err(|_| ApiError::invalid("Dat is geen gebruikersnaam van een collega."))?;
            let to = state
                .store
                .user(&name)
                .await?
                .ok_or_else(|| QueueError::UnknownUser(name.clone()))?;
            let summary = state
                .store
                .transfer(
                    key,
                    &staff.account,
                    &to,
                    note,
                    state.settings.queue.max_claims,
                    now,
                )
                .await?;
            super::audit::record(
                &state,
                &staff,
                "transfer",
                Some(&summary.id),
                Some(&to.username),
            )
            .await;
            publish(&state, &summary, Change::Transferred, Some(to.username));
            Ok(HttpResponse::Ok().json(summary))
        }
        (None, Some(topic)) => {
            let topic = configured_topic(&state, topic)?;
            let summary = state
                .store
                .transfer_to_topic(key, &staff.account, &topic, note, now)
                .await?;
            let detail = format!("{}{topic}", crate::db::TOPIC_PREFIX);
            super::audit::record(&state, &staff, "transfer", Some(&summary.id), Some(&detail))
                .await;
            publish(&state, &summary, Change::Released, None);
            Ok(HttpResponse::Ok().json(summary))
        }
        _ => Err(ApiError::invalid(
            "Kies een collega of een team om het gesprek naar door te zetten.",
        )),
    }
}

/// The configured topic (team) `topic` names, ignoring case and spaces
/// around it; 400 for any other.
fn configured_topic(state: &AppState, topic: &str) -> Result<String, ApiError> {
    let wanted = topic.trim().to_lowercase();
    state
        .settings
        .queue
        .topics
        .iter()
        .find(|t| t.to_lowercase() == wanted)
        .cloned()
        .ok_or_else(|| {
            ApiError::invalid(format!(
                "Dat is geen team om naar door te zetten; kies uit: {}.",
                state.settings.queue.topics.join(", ")
            ))
            .with("field", "topic")
        })
}

/// What the conversation was about, for the team lead's report.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Close {
    /// Stored trimmed; not blank.
    #[schema(schema_with = topic_schema)]
    pub topic: String,
}

/// What `close` accepts as a topic: not blank, at most 80 characters.
fn topic_schema() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(MAX_TOPIC))
        .pattern(Some(NOT_BLANK))
        .description(Some("Stored trimmed"))
}

/// Close a conversation with a topic (the claimer; an admin also one
/// nobody holds).
#[utoipa::path(post, path = "/api/conversations/{id}/close", tag = "queue", request_body = Close,
    security(("session" = [], "csrf" = [])), params(ConversationPath),
    responses((status = 200, description = "Closed", body = Summary), (status = 403, response = NotYours),
        (status = 409, description = "Neither queued nor claimed (`not_queued`, with `state`)", body = ErrorBody)))]
pub async fn close(
    staff: Staff,
    state: web::Data<AppState>,
    id: web::Path<ConversationPath>,
    body: web::Json<Close>,
) -> Result<HttpResponse, ApiError> {
    staff.require_queue()?;
    let key = id.key(&state).await?;
    // As the schema says: at most 80 characters as sent, not blank.
    let topic = body.topic.trim();
    if topic.is_empty() || body.topic.chars().count() > MAX_TOPIC {
        return Err(ApiError::invalid(
            "Kies of typ een onderwerp (1 tot 80 tekens) om het gesprek af te sluiten.",
        ));
    }
    let summary = state
        .store
        .close_conversation(key, &staff.account, topic, state.clock.now())
        .await?;
    publish(&state, &summary, Change::Closed, None);
    // The audit log outlives the conversation: a configured topic, or a
    // reference in place of what was typed.
    let detail = crate::privacy::topic_for_audit(topic, &state.settings.queue.topics);
    super::audit::record(&state, &staff, "close", Some(&summary.id), Some(&detail)).await;
    Ok(HttpResponse::Ok().json(summary))
}

/// Colleagues who can take a thread (for a transfer).
#[utoipa::path(get, path = "/api/staff", tag = "queue", security(("session" = [])), responses(
    (status = 200, description = "Staff and admins, not disabled", body = StaffList), (status = 403, response = Forbidden)))]
pub async fn colleagues(
    staff: Staff,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    staff.require_queue()?;
    let online = state
        .store
        .staff_online(super::online_since(&state))
        .await?;
    let staff = state
        .store
        .users()
        .await?
        .into_iter()
        .filter(|a| !a.disabled && a.role.works_the_queue())
        .map(|a| Colleague {
            online: online.contains(&a.username),
            role: a.role.as_str(),
            username: a.username,
        })
        .collect();
    Ok(HttpResponse::Ok().json(StaffList { staff }))
}
