//! The reports page for the team lead: three static files compiled into
//! the binary, served under `/staff/rapport` with the staff page's strict
//! headers. Like the staff page it holds no data itself; the figures come
//! from `GET /api/report`, which checks the session and the role.

use super::staff_page::asset;
use actix_web::{HttpResponse, web};

const PAGE_HTML: &str = include_str!("staff/rapport.html");
const PAGE_JS: &str = include_str!("staff/rapport.js");
const PAGE_CSS: &str = include_str!("staff/rapport.css");

/// Registers `/staff/rapport` and its script and stylesheet.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/staff/rapport", web::get().to(page))
        .route("/staff/rapport.js", web::get().to(script))
        .route("/staff/rapport.css", web::get().to(stylesheet));
}

async fn page() -> HttpResponse {
    asset("text/html; charset=utf-8", PAGE_HTML)
}

async fn script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", PAGE_JS)
}

async fn stylesheet() -> HttpResponse {
    asset("text/css; charset=utf-8", PAGE_CSS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header;
    use actix_web::test::{TestRequest, call_service, init_service};
    use actix_web::{App, body::to_bytes};

    #[actix_web::test]
    async fn the_page_and_its_assets_are_served_under_the_strict_policy() {
        let app = init_service(App::new().configure(configure)).await;
        for (path, needle) in [
            ("/staff/rapport", "chart-contacts"),
            ("/staff/rapport.js", "/api/report"),
            ("/staff/rapport.css", ".chart-box"),
        ] {
            let response = call_service(&app, TestRequest::get().uri(path).to_request()).await;
            assert_eq!(response.status(), 200, "{path}");
            let policy = response
                .headers()
                .get(header::CONTENT_SECURITY_POLICY)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            assert!(policy.contains("script-src 'self'"), "{path}: {policy}");
            let body = to_bytes(response.into_body()).await.expect("body");
            assert!(
                std::str::from_utf8(&body).expect("utf-8").contains(needle),
                "{path}"
            );
        }
    }

    #[test]
    fn the_page_has_no_inline_script_or_style_and_the_script_builds_no_markup() {
        for tag in PAGE_HTML.split("<script").skip(1) {
            let open = &tag[..tag.find('>').expect("closed tag")];
            assert!(open.contains("src="), "inline script: <script{open}>");
        }
        assert!(!PAGE_HTML.contains("<style") && !PAGE_HTML.contains("style="));
        for sink in crate::web::staff_page::MARKUP_SINKS {
            assert!(!PAGE_JS.contains(sink), "rapport.js uses {sink}");
        }
    }
}
