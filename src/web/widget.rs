//! The website chat widget's files (issue 24): `widget.js`, compiled into
//! the binary, served at a path with a hash of its content
//! (`/widget/widget-<hash>.js`, cached for a year: a new version has a new
//! path), and `/widget.js`, the address organisations put on their sites,
//! a redirect there cached for five minutes, so a new version reaches the
//! sites soon after a deploy. `/widget/demo` is a mock municipality page
//! with the widget on it, served only with `[webchat] demo = true`.

use crate::web::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// The widget's own script, with a line where the shared formatting goes.
const WIDGET_SOURCE: &str = include_str!("widget/widget.js");
/// The line in `widget.js` that the shared formatting replaces.
const FORMAT_SLOT: &str = "  // @include whatsapp-format.js\n";

/// The widget, as served: its script with WhatsApp's formatting (the same
/// file the staff page imports as a module) inside its closure, so one
/// piece of code renders `*bold*` for staff and citizens alike.
pub fn widget_js() -> &'static str {
    static JS: OnceLock<String> = OnceLock::new();
    JS.get_or_init(|| {
        let format =
            crate::web::staff_page::WHATSAPP_FORMAT_JS.replace("export function", "function");
        WIDGET_SOURCE.replacen(FORMAT_SLOT, &format, 1)
    })
}
const DEMO_HTML: &str = include_str!("widget/demo.html");
const DEMO_CSS: &str = include_str!("widget/demo.css");

/// The demo page's policy: nothing but its own files (the widget included).
const DEMO_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The first 16 hex digits of the widget's SHA-256.
pub fn widget_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hex::encode(Sha256::digest(widget_js().as_bytes()))[..16].to_owned())
}

/// Where this build's widget is served.
pub fn widget_path() -> String {
    format!("/widget/widget-{}.js", widget_hash())
}

/// Registers `/widget.js`, `/widget/widget-{hash}.js` and the demo page.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/widget.js", web::get().to(loader))
        .route("/widget/widget-{hash}.js", web::get().to(widget))
        .route("/widget/demo", web::get().to(demo))
        .route("/widget/demo.css", web::get().to(demo_css));
}

/// `/widget.js`: to this build's widget.
async fn loader() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, widget_path()))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .finish()
}

/// The widget. Another hash (a page that cached an older `/widget.js`)
/// is sent on to this build's.
async fn widget(hash: web::Path<String>) -> HttpResponse {
    if hash.as_str() != widget_hash() {
        return HttpResponse::Found()
            .insert_header((header::LOCATION, widget_path()))
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .finish();
    }
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        // Any site may load the script; what it may do is decided by the
        // API's origin check.
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(widget_js())
}

async fn demo(state: web::Data<AppState>) -> HttpResponse {
    if !state.settings.webchat.demo {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("The demo page is off ([webchat] demo = false).");
    }
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, DEMO_POLICY))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(DEMO_HTML)
}

async fn demo_css(state: web::Data<AppState>) -> HttpResponse {
    if !state.settings.webchat.demo {
        return HttpResponse::NotFound().finish();
    }
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(DEMO_CSS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_widget_carries_the_shared_formatting_inside_its_closure() {
        let js = widget_js();
        assert!(!js.contains("@include"), "the slot is filled");
        assert!(
            js.contains("function whatsappNodes"),
            "the shared formatter"
        );
        assert!(!js.contains("export "), "a classic script has no exports");
        // Inside the closure: after its opening, before the widget's code.
        let opened = js.find("(function () {").expect("the closure");
        let formatter = js.find("function whatsappNodes").expect("the formatter");
        let used = js
            .find("whatsappNodes(message.text)")
            .expect("used for messages");
        assert!(opened < formatter && formatter < used);
    }
}
