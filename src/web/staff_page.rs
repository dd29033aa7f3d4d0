//! The staff page: three static files compiled into the binary and served
//! under `/staff`, and `/` redirecting there. The page talks to the JSON API
//! only; it holds no citizen data itself, so it needs no session to load.
//!
//! Invariant: every response carries a strict Content-Security-Policy (no
//! inline script or style, same-origin connections only, no framing), so
//! even if hostile citizen text ever reached the DOM as markup, it could not
//! run script. `Cache-Control: no-cache` makes a new binary's page show up
//! on the next load.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

const INDEX_HTML: &str = include_str!("staff/index.html");
const APP_JS: &str = include_str!("staff/app.js");
const APP_CSS: &str = include_str!("staff/app.css");
/// The reply box's module (imported by app.js) and its stylesheet: saved
/// replies, WhatsApp formatting, the counter, drafts, feedback.
const COMPOSE_JS: &str = include_str!("staff/compose.js");
const COMPOSE_CSS: &str = include_str!("staff/compose.css");
/// WhatsApp formatting as DOM nodes; the chat widget includes it too.
pub(crate) const WHATSAPP_FORMAT_JS: &str = include_str!("shared/whatsapp-format.js");
/// The context beside a thread (issue 22): its own module and stylesheet.
const CONTEXT_JS: &str = include_str!("staff/context.js");
const CONTEXT_CSS: &str = include_str!("staff/context.css");
/// The layout for a whole shift and its keyboard flow (issue 22): queue
/// filters, shortcuts and their help, the next thread, the channel.
const KEYS_JS: &str = include_str!("staff/keys.js");
const LAYOUT_CSS: &str = include_str!("staff/layout.css");
/// The editors' page: unanswered questions and the use of the answers.
const KENNISBANK_HTML: &str = include_str!("staff/kennisbank.html");
const KENNISBANK_JS: &str = include_str!("staff/kennisbank.js");
const KENNISBANK_CSS: &str = include_str!("staff/kennisbank.css");
/// The admins' page: the audit log and citizens' exports (styled by the
/// reports page's stylesheet).
const AUDIT_HTML: &str = include_str!("staff/audit.html");
const AUDIT_JS: &str = include_str!("staff/audit.js");

/// The Content-Security-Policy of the staff page and its assets.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self'; media-src 'self'; connect-src 'self'; font-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Registers `/`, `/staff`, `/staff/app.js`, `/staff/app.css`, the reply
/// box's `/staff/compose.js` and `/staff/compose.css`, the context's and
/// the keyboard flow's modules and stylesheets, the
/// editors' page `/staff/kennisbank` with its script and stylesheet, and
/// the admins' page `/staff/audit` with its script.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(root))
        .route("/staff", web::get().to(index))
        .route("/staff/", web::get().to(root))
        .route("/staff/app.js", web::get().to(script))
        .route("/staff/app.css", web::get().to(stylesheet));
    for &(path, content_type, body) in PAGES {
        cfg.route(
            path,
            web::get().to(move || async move { asset(content_type, body) }),
        );
    }
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// The other pages and their assets: (path, content type, body).
const PAGES: &[(&str, &str, &str)] = &[
    ("/staff/compose.js", JS, COMPOSE_JS),
    ("/staff/compose.css", CSS, COMPOSE_CSS),
    ("/staff/whatsapp-format.js", JS, WHATSAPP_FORMAT_JS),
    ("/staff/context.js", JS, CONTEXT_JS),
    ("/staff/context.css", CSS, CONTEXT_CSS),
    ("/staff/keys.js", JS, KEYS_JS),
    ("/staff/layout.css", CSS, LAYOUT_CSS),
    ("/staff/kennisbank", HTML, KENNISBANK_HTML),
    ("/staff/kennisbank.js", JS, KENNISBANK_JS),
    ("/staff/kennisbank.css", CSS, KENNISBANK_CSS),
    ("/staff/audit", HTML, AUDIT_HTML),
    ("/staff/audit.js", JS, AUDIT_JS),
];

/// `/` (and `/staff/`): to the page.
async fn root() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/staff"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .finish()
}

async fn index() -> HttpResponse {
    asset("text/html; charset=utf-8", INDEX_HTML)
}

async fn script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", APP_JS)
}

async fn stylesheet() -> HttpResponse {
    asset("text/css; charset=utf-8", APP_CSS)
}

pub(crate) fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .body(body)
}

/// What a page's script must never call: each would parse text as
/// markup (checked by the pages' tests).
#[cfg(test)]
pub(crate) const MARKUP_SINKS: [&str; 5] = [
    "innerHTML",
    "outerHTML",
    "insertAdjacentHTML",
    "document.write",
    "eval(",
];

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::{TestRequest, call_service, init_service};
    use actix_web::{App, body::to_bytes};

    #[actix_web::test]
    async fn assets_are_served_with_their_type_and_a_strict_policy() {
        let app = init_service(App::new().configure(configure)).await;
        for (path, content_type, needle) in [
            ("/staff", "text/html; charset=utf-8", "<title>"),
            (
                "/staff/app.js",
                "text/javascript; charset=utf-8",
                "EventSource",
            ),
            ("/staff/app.css", "text/css; charset=utf-8", ".queue-list"),
            (
                "/staff/compose.js",
                "text/javascript; charset=utf-8",
                "export { whatsappNodes }",
            ),
            (
                "/staff/whatsapp-format.js",
                "text/javascript; charset=utf-8",
                "export function whatsappNodes",
            ),
            (
                "/staff/compose.css",
                "text/css; charset=utf-8",
                ".saved-reply",
            ),
            (
                "/staff/context.js",
                "text/javascript; charset=utf-8",
                "closed-conversations",
            ),
            (
                "/staff/context.css",
                "text/css; charset=utf-8",
                ".history-note",
            ),
            (
                "/staff/keys.js",
                "text/javascript; charset=utf-8",
                "export function nextThread",
            ),
            (
                "/staff/layout.css",
                "text/css; charset=utf-8",
                ".queue-filters",
            ),
        ] {
            let response = call_service(&app, TestRequest::get().uri(path).to_request()).await;
            assert_eq!(response.status(), 200, "{path}");
            let get = |name| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned()
            };
            assert_eq!(get(header::CONTENT_TYPE), content_type, "{path}");
            assert_eq!(get(header::CACHE_CONTROL), "no-cache", "{path}");
            let policy = get(header::CONTENT_SECURITY_POLICY);
            for directive in [
                "default-src 'self'",
                "connect-src 'self'",
                "frame-ancestors 'none'",
            ] {
                assert!(policy.contains(directive), "{path}: {policy}");
            }
            assert!(!policy.contains("unsafe"), "{path}: {policy}");
            let body = to_bytes(response.into_body()).await.expect("body");
            let body = std::str::from_utf8(&body).expect("utf-8");
            assert!(body.contains(needle), "{path}");
        }
    }

    #[actix_web::test]
    async fn the_root_redirects_to_the_page() {
        let app = init_service(App::new().configure(configure)).await;
        for path in ["/", "/staff/"] {
            let response = call_service(&app, TestRequest::get().uri(path).to_request()).await;
            assert_eq!(response.status(), 302, "{path}");
            let location = response.headers().get(header::LOCATION);
            assert_eq!(
                location.and_then(|v| v.to_str().ok()),
                Some("/staff"),
                "{path}"
            );
        }
    }

    #[test]
    fn the_page_has_no_inline_script_or_style() {
        // The policy would block them; catching it here is friendlier.
        for tag in INDEX_HTML.split("<script").skip(1) {
            let open = &tag[..tag.find('>').expect("closed tag")];
            assert!(open.contains("src="), "inline script: <script{open}>");
        }
        assert!(!INDEX_HTML.contains("<style"), "inline style");
        assert!(!INDEX_HTML.contains("style="), "style attribute");
        let handler = regex::Regex::new(r"\son[a-z]+\s*=").expect("regex");
        assert!(!handler.is_match(INDEX_HTML), "inline event handler");
    }

    #[actix_web::test]
    async fn the_editors_page_is_served_with_the_same_policy() {
        let app = init_service(App::new().configure(configure)).await;
        for (path, needle) in [
            ("/staff/kennisbank", "wat de bot niet kon beantwoorden"),
            ("/staff/kennisbank.js", "/api/knowledge/gaps"),
            ("/staff/kennisbank.css", ".gap-list"),
            ("/staff/audit", "Inzageverzoek"),
            ("/staff/audit.js", "/api/exports"),
        ] {
            let response = call_service(&app, TestRequest::get().uri(path).to_request()).await;
            assert_eq!(response.status(), 200, "{path}");
            let policy = response
                .headers()
                .get(header::CONTENT_SECURITY_POLICY)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            assert_eq!(policy, CONTENT_SECURITY_POLICY, "{path}");
            let body = to_bytes(response.into_body()).await.expect("body");
            assert!(String::from_utf8_lossy(&body).contains(needle), "{path}");
        }
    }

    #[test]
    fn the_editors_and_admins_pages_have_no_inline_code_and_never_parse_text_as_markup() {
        let handler = regex::Regex::new(r"\son[a-z]+\s*=").expect("regex");
        for (page, html, js) in [
            ("kennisbank", KENNISBANK_HTML, KENNISBANK_JS),
            ("audit", AUDIT_HTML, AUDIT_JS),
        ] {
            for tag in html.split("<script").skip(1) {
                let open = &tag[..tag.find('>').expect("closed tag")];
                assert!(
                    open.contains("src="),
                    "{page}: inline script: <script{open}>"
                );
            }
            assert!(
                !html.contains("<style") && !html.contains("style="),
                "{page}"
            );
            assert!(!handler.is_match(html), "{page}: inline event handler");
            // Citizens' questions and audit details: text only.
            for sink in MARKUP_SINKS {
                assert!(!js.contains(sink), "{page}.js uses {sink}");
            }
        }
    }

    #[test]
    fn the_page_names_every_hand_over_reason_in_words() {
        use crate::reply::HandoverReason::{self, *};
        // Walks every reason: a new one does not compile here until it is
        // listed, and then needs its words in app.js (the queue rows and
        // the history show words, never a stored code).
        fn after(reason: Option<HandoverReason>) -> Option<HandoverReason> {
            match reason {
                None => Some(NoAnswer),
                Some(NoAnswer) => Some(AskedForPerson),
                Some(AskedForPerson) => Some(FeedbackNo),
                Some(FeedbackNo) => Some(Media),
                Some(Media) => Some(Emergency),
                Some(Emergency) => Some(EntryHandover),
                Some(EntryHandover) => Some(PersonalCase),
                Some(PersonalCase) => Some(NotOurs),
                Some(NotOurs) => Some(Flood),
                Some(Flood) => None,
            }
        }
        let table = &APP_JS[APP_JS
            .find("const REASONS = {")
            .expect("the reasons' words")..];
        let table = &table[..table.find("};").expect("the end of the reasons")];
        // A thread a citizen reopened is queued with the reason "reopened".
        let codes = std::iter::successors(after(None), |reason| after(Some(*reason)))
            .map(HandoverReason::as_str)
            .chain(["reopened"]);
        for code in codes {
            assert!(
                table.contains(&format!("\n  {code}: '")),
                "app.js has no words for the reason {code}"
            );
        }
    }

    #[test]
    fn the_script_never_parses_text_as_markup() {
        // Citizen text is hostile: it may only reach the DOM as text.
        for sink in MARKUP_SINKS {
            assert!(!APP_JS.contains(sink), "app.js uses {sink}");
            assert!(!COMPOSE_JS.contains(sink), "compose.js uses {sink}");
            assert!(!CONTEXT_JS.contains(sink), "context.js uses {sink}");
            assert!(!KEYS_JS.contains(sink), "keys.js uses {sink}");
        }
        // The page loads the module through app.js, by a relative path
        // that resolves to the route above.
        assert!(APP_JS.contains("from './compose.js'"));
        assert!(INDEX_HTML.contains("href=\"/staff/compose.css\""));
        assert!(APP_JS.contains("from './keys.js'"));
        assert!(INDEX_HTML.contains("href=\"/staff/layout.css\""));
    }
}
