//! The JSON API behind the staff page (and for other tools). Routes are
//! listed once, in [`ENDPOINTS`]: `configure` registers exactly that table,
//! and a test checks it against the OpenAPI document that `doc` generates
//! from the handlers' own annotations and types.

pub mod attachment;
pub mod audit;
pub mod context;
pub mod doc;
pub mod editors;
pub mod error;
pub mod events;
pub mod knowledge;
pub mod login_options;
pub mod media;
pub mod mfa;
pub mod public;
pub mod queue;
pub mod report;
pub mod rights;
pub mod saved_replies;
pub mod session;
pub mod sessions;
pub mod webchat;

use super::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError, Route, web};

/// Staff who had the page open this recently count as online.
pub fn online_since(state: &AppState) -> chrono::DateTime<chrono::Utc> {
    state.clock.now() - chrono::Duration::minutes(2)
}

/// Largest JSON body the API reads: the bodies here are small.
pub const JSON_LIMIT: usize = 64 * 1024;

/// One API route: its method (lower case, as in OpenAPI), its full path
/// and how to build the actix route to its handler.
#[derive(Clone, Copy)]
pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    route: fn() -> Route,
}

/// Every API route. `configure` registers these and nothing else.
pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "post",
        path: "/api/session",
        route: || web::post().to(session::login),
    },
    Endpoint {
        method: "get",
        path: "/api/session",
        route: || web::get().to(session::current),
    },
    Endpoint {
        method: "delete",
        path: "/api/session",
        route: || web::delete().to(session::logout),
    },
    Endpoint {
        method: "delete",
        path: "/api/sessions",
        route: || web::delete().to(sessions::end_all),
    },
    Endpoint {
        method: "get",
        path: "/api/mfa",
        route: || web::get().to(mfa::status),
    },
    Endpoint {
        method: "post",
        path: "/api/mfa/enrolment",
        route: || web::post().to(mfa::start),
    },
    Endpoint {
        method: "post",
        path: "/api/mfa/enrolment/confirm",
        route: || web::post().to(mfa::confirm),
    },
    Endpoint {
        method: "post",
        path: "/api/mfa/disable",
        route: || web::post().to(mfa::disable),
    },
    Endpoint {
        method: "get",
        path: "/api/login-options",
        route: || web::get().to(login_options::show),
    },
    Endpoint {
        method: "get",
        path: "/api/queue",
        route: || web::get().to(queue::list),
    },
    Endpoint {
        method: "get",
        path: "/api/conversations/{id}",
        route: || web::get().to(queue::show),
    },
    Endpoint {
        method: "get",
        path: "/api/conversations/{id}/media/{media}",
        route: || web::get().to(media::download),
    },
    Endpoint {
        method: "post",
        path: "/api/conversations/{id}/reveal",
        route: || web::post().to(queue::reveal),
    },
    Endpoint {
        method: "post",
        path: "/api/conversations/{id}/claim",
        route: || web::post().to(queue::claim),
    },
    Endpoint {
        method: "post",
        path: "/api/conversations/{id}/read",
        route: || web::post().to(queue::mark_read),
    },
    Endpoint {
        method: "post",
        path: "/api/conversations/{id}/release",
        route: || web::post().to(queue::release),
    },
    Endpoint {
        method: "post",
        path: "/api/conversations/{id}/reply",
        route: || web::post().to(queue::reply),
    },
    Endpoint {
        method: "post",
        path: "/api/conversations/{id}/attachment",
        route: || web::post().to(attachment::send),
    },
    Endpoint {
        method: "post",
        path: "/api/conversations/{id}/transfer",
        route: || web::post().to(queue::transfer),
    },
    Endpoint {
        method: "post",
        path: "/api/conversations/{id}/notes",
        route: || web::post().to(context::add),
    },
    Endpoint {
        method: "get",
        path: "/api/conversations/{id}/earlier",
        route: || web::get().to(context::earlier),
    },
    Endpoint {
        method: "get",
        path: "/api/closed-conversations",
        route: || web::get().to(context::search),
    },
    Endpoint {
        method: "post",
        path: "/api/conversations/{id}/close",
        route: || web::post().to(queue::close),
    },
    Endpoint {
        method: "get",
        path: "/api/staff",
        route: || web::get().to(queue::colleagues),
    },
    Endpoint {
        method: "get",
        path: "/api/saved-replies",
        route: || web::get().to(saved_replies::list),
    },
    Endpoint {
        method: "get",
        path: "/api/knowledge/search",
        route: || web::get().to(knowledge::search),
    },
    Endpoint {
        method: "get",
        path: "/api/knowledge/gaps",
        route: || web::get().to(editors::gaps),
    },
    Endpoint {
        method: "post",
        path: "/api/knowledge/gaps/handled",
        route: || web::post().to(editors::mark_handled),
    },
    Endpoint {
        method: "get",
        path: "/api/knowledge/usage",
        route: || web::get().to(editors::usage),
    },
    Endpoint {
        method: "get",
        path: "/api/knowledge/confusions",
        route: || web::get().to(editors::confusions),
    },
    Endpoint {
        method: "get",
        path: "/api/events",
        route: || web::get().to(events::stream),
    },
    Endpoint {
        method: "get",
        path: "/api/availability",
        route: || web::get().to(public::availability),
    },
    Endpoint {
        method: "post",
        path: "/api/webchat/sessions",
        route: || web::post().to(webchat::start),
    },
    Endpoint {
        method: "options",
        path: "/api/webchat/sessions",
        route: || {
            web::route()
                .method(actix_web::http::Method::OPTIONS)
                .to(webchat::preflight_sessions)
        },
    },
    Endpoint {
        method: "post",
        path: "/api/webchat/messages",
        route: || web::post().to(webchat::send),
    },
    Endpoint {
        method: "options",
        path: "/api/webchat/messages",
        route: || {
            web::route()
                .method(actix_web::http::Method::OPTIONS)
                .to(webchat::preflight_messages)
        },
    },
    Endpoint {
        method: "get",
        path: "/api/webchat/stream",
        route: || web::get().to(webchat::stream),
    },
    Endpoint {
        method: "options",
        path: "/api/webchat/stream",
        route: || {
            web::route()
                .method(actix_web::http::Method::OPTIONS)
                .to(webchat::preflight_stream)
        },
    },
    Endpoint {
        method: "get",
        path: "/api/openapi.json",
        route: || web::get().to(doc::serve),
    },
    Endpoint {
        method: "get",
        path: "/api/audit",
        route: || web::get().to(audit::list),
    },
    Endpoint {
        method: "post",
        path: "/api/exports",
        route: || web::post().to(rights::export),
    },
    Endpoint {
        method: "get",
        path: "/api/report",
        route: || web::get().to(report::show),
    },
    Endpoint {
        method: "get",
        path: "/api/report/csv",
        route: || web::get().to(report::csv),
    },
    Endpoint {
        method: "get",
        path: "/api/report/now",
        route: || web::get().to(report::now),
    },
];

/// Every API route as (method, path), e.g. `("get", "/api/queue")`.
pub fn routes() -> impl Iterator<Item = (&'static str, &'static str)> {
    ENDPOINTS.iter().map(|e| (e.method, e.path))
}

/// The paths in table order, each once, with the methods it serves.
fn resources() -> Vec<(&'static str, Vec<&'static Endpoint>)> {
    let mut grouped: Vec<(&'static str, Vec<&'static Endpoint>)> = Vec::new();
    for endpoint in ENDPOINTS {
        match grouped.iter_mut().find(|(path, _)| *path == endpoint.path) {
            Some((_, endpoints)) => endpoints.push(endpoint),
            None => grouped.push((endpoint.path, vec![endpoint])),
        }
    }
    grouped
}

/// Registers the API routes: one resource per path, so a method the path
/// does not serve gets 405 with an `Allow` header (RFC 9110), not 404.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let json = web::JsonConfig::default()
        .limit(JSON_LIMIT)
        .error_handler(|err, _| error::ApiError::from_json(&err, JSON_LIMIT).into());
    let query = web::QueryConfig::default()
        .error_handler(|err, _| error::ApiError::from_query(&err).into());
    let path =
        web::PathConfig::default().error_handler(|err, _| error::ApiError::from_path(&err).into());
    let mut scope = web::scope("/api")
        .app_data(json)
        .app_data(query)
        .app_data(path)
        .default_service(web::to(not_found));
    for (full_path, endpoints) in resources() {
        let allow = endpoints
            .iter()
            .map(|e| e.method.to_uppercase())
            .collect::<Vec<_>>()
            .join(", ");
        let mut resource = web::resource(full_path.strip_prefix("/api").unwrap_or(full_path));
        for endpoint in &endpoints {
            resource = resource.route((endpoint.route)());
        }
        resource = resource.default_service(web::to(move || {
            let allow = allow.clone();
            async move { method_not_allowed(&allow) }
        }));
        scope = scope.service(resource);
    }
    cfg.service(scope);
}

/// 405 for a known path, with the methods it does serve.
fn method_not_allowed(allow: &str) -> HttpResponse {
    let mut response = error::ApiError::method_not_allowed(allow).error_response();
    if let Ok(value) = header::HeaderValue::from_str(allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// 404 for a path under `/api` that does not exist, in the API's JSON.
async fn not_found() -> HttpResponse {
    error::ApiError::new(
        actix_web::http::StatusCode::NOT_FOUND,
        "not_found",
        "Deze API-route bestaat niet; zie /api/openapi.json.",
    )
    .error_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_path_is_one_resource_with_all_its_methods() {
        let grouped = resources();
        let methods = |wanted: &str| {
            grouped
                .iter()
                .find(|(path, _)| *path == wanted)
                .map(|(_, endpoints)| endpoints.iter().map(|e| e.method).collect::<Vec<_>>())
        };
        assert_eq!(methods("/api/session"), Some(vec!["post", "get", "delete"]));
        assert_eq!(methods("/api/queue"), Some(vec!["get"]));
        assert_eq!(
            grouped.iter().map(|(_, e)| e.len()).sum::<usize>(),
            ENDPOINTS.len(),
            "every endpoint is registered once"
        );
        assert!(
            grouped.iter().all(|(path, _)| path.starts_with("/api/")),
            "every route lives under /api, the scope configure registers"
        );
    }
}
