//! Single sign-on with OpenID Connect (ADR 0026): the authorization code
//! flow with PKCE through the `openidconnect` crate, which also verifies
//! the ID token (signature from the provider's JWKS, issuer, audience,
//! expiry, nonce). This module speaks to the provider and decides; the
//! HTTP side is `web::sso`, storage `db::sso`.

use super::{Account, Role, check_username};
use crate::config::SsoSettings;
use crate::db::{PendingSsoLogin, Store, StoreError};
use chrono::{DateTime, Utc};
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenFields,
    IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RefreshToken, RequestTokenError, Scope, StandardErrorResponse, StandardTokenResponse,
    TokenResponse as _,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a login may take at the provider (typing a password, a
/// second factor) before its state is refused.
pub const LOGIN_TIMEOUT: chrono::Duration = chrono::Duration::minutes(10);

/// Logins one client address may start per minute: a person needs a few;
/// each start stores a row for ten minutes, so a flood is cut off here.
const STARTS_PER_MINUTE: u32 = 10;

/// The provider's discovery document and keys are fetched again after
/// this long, so a key rotation is picked up.
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);

/// Claims beyond the standard ones: the groups claim's name is
/// configured, so they are kept by name.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OtherClaims(serde_json::Map<String, serde_json::Value>);

impl AdditionalClaims for OtherClaims {}

type Fields = IdTokenFields<
    OtherClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type Tokens = StandardTokenResponse<Fields, CoreTokenType>;
type OidcClient = openidconnect::Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    Tokens,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Why a single sign-on login (or a session's recheck) is refused. Each
/// has a message for the browser in Dutch and English and a short code for
/// the log and the audit log; none holds a token or a claim's value.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("the state is unknown, used, expired or does not match the browser's")]
    BadState,
    #[error("the provider answered with an error: {0}")]
    ProviderError(String),
    #[error("the provider refused the code (used before or expired)")]
    CodeRefused,
    #[error("the ID token is for another client")]
    WrongAudience,
    #[error("the ID token has expired")]
    Expired,
    #[error("the ID token is invalid: {0}")]
    InvalidToken(String),
    #[error("the user is in no group mapped to a role")]
    NoGroup,
    #[error("the provider's user name cannot be an account name")]
    BadUsername,
    #[error("a local account has the user's name")]
    NameTaken,
    #[error("the account is disabled")]
    Disabled,
    #[error("the provider cannot be reached or answered nonsense: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Refusal {
    /// A short code for the log, the audit log and the page.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::BadState => "sso_state",
            Refusal::ProviderError(_) => "sso_provider_error",
            Refusal::CodeRefused => "sso_code_refused",
            Refusal::WrongAudience => "sso_audience",
            Refusal::Expired => "sso_expired",
            Refusal::InvalidToken(_) => "sso_invalid_token",
            Refusal::NoGroup => "sso_no_access",
            Refusal::BadUsername => "sso_username",
            Refusal::NameTaken => "sso_name_taken",
            Refusal::Disabled => "sso_disabled",
            Refusal::Unavailable(_) => "sso_unavailable",
            Refusal::Store(_) => "sso_store",
        }
    }

    /// What the browser is told: (Dutch, English).
    pub fn messages(&self) -> (&'static str, &'static str) {
        match self {
            Refusal::BadState => (
                "Deze inlogpoging is verlopen, al gebruikt of niet van deze browser. Log opnieuw in.",
                "This login attempt has expired, was used already or did not start in this browser. Please log in again.",
            ),
            Refusal::ProviderError(_) => (
                "De inlogdienst heeft het inloggen afgebroken. Log opnieuw in.",
                "The sign-in service stopped the login. Please log in again.",
            ),
            Refusal::CodeRefused => (
                "De inlogdienst weigerde de inlogcode: die is al gebruikt of verlopen. Log opnieuw in.",
                "The sign-in service refused the login code: it was used already or has expired. Please log in again.",
            ),
            Refusal::WrongAudience => (
                "Het bewijs van de inlogdienst is niet voor Loket bestemd. Inloggen is geweigerd; meld dit aan uw beheerder.",
                "The sign-in service's token is not meant for Loket. The login is refused; tell your administrator.",
            ),
            Refusal::Expired => (
                "Het bewijs van de inlogdienst is verlopen. Log opnieuw in; blijft dit gebeuren, meld het dan aan uw beheerder (klok van de server).",
                "The sign-in service's token has expired. Please log in again; if this keeps happening, tell your administrator (server clock).",
            ),
            Refusal::InvalidToken(_) => (
                "Het bewijs van de inlogdienst is ongeldig. Inloggen is geweigerd; meld dit aan uw beheerder.",
                "The sign-in service's token is invalid. The login is refused; tell your administrator.",
            ),
            Refusal::NoGroup => (
                "U hebt geen toegang tot Loket; vraag uw beheerder om u toe te voegen aan een groep voor Loket.",
                "You have no access to Loket; ask your administrator to add you to a Loket group.",
            ),
            Refusal::BadUsername => (
                "Uw naam bij de inlogdienst kan geen Loket-gebruikersnaam zijn (2 tot 40 tekens: kleine letters, cijfers, '.', '-' of '_'). Vraag uw beheerder.",
                "Your name at the sign-in service cannot be a Loket user name (2 to 40 characters: lower case letters, digits, '.', '-' or '_'). Ask your administrator.",
            ),
            Refusal::NameTaken => (
                "Er is al een Loket-account met uw naam dat met een wachtwoord inlogt. Vraag uw beheerder.",
                "A Loket account with your name exists that logs in with a password. Ask your administrator.",
            ),
            Refusal::Disabled => (
                "Uw Loket-account is uitgeschakeld. Vraag uw beheerder.",
                "Your Loket account is disabled. Ask your administrator.",
            ),
            Refusal::Unavailable(_) | Refusal::Store(_) => (
                "Inloggen lukt nu niet: de inlogdienst of Loket zelf is niet bereikbaar. Probeer het over een paar minuten opnieuw.",
                "Logging in is not possible now: the sign-in service or Loket itself cannot be reached. Please try again in a few minutes.",
            ),
        }
    }
}

/// Who the provider says logged in.
#[derive(Debug, Clone)]
pub struct Identity {
    /// `issuer|sub`: the provider's stable id of the person.
    pub subject: String,
    /// The account name Loket gives them (checked), if the claims allow one.
    pub username: Option<String>,
    /// The configured claim's group ids.
    pub groups: Vec<String>,
    /// For the rechecks; `None` when the provider gave none.
    pub refresh_token: Option<String>,
}

/// A login to send the browser off with.
#[derive(Debug)]
pub struct Start {
    /// The provider's authorization URL (state, nonce, PKCE challenge).
    pub url: url::Url,
    /// For the browser's cookie; the server keeps only its hash.
    pub state: String,
    pub pending: PendingSsoLogin,
}

/// The provider connection: settings, an HTTP client that follows no
/// redirects, the discovered client (cached, see [`DISCOVERY_TTL`]) and
/// the starts per client address.
pub struct Sso {
    pub settings: SsoSettings,
    http: reqwest::Client,
    discovered: tokio::sync::Mutex<Option<(Instant, Arc<OidcClient>)>>,
    starts: crate::rate_limit::PerKey,
}

impl std::fmt::Debug for Sso {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sso")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Sso {
    pub fn new(settings: SsoSettings, timeout: Duration) -> Result<Self, Refusal> {
        // No redirects: a token endpoint that redirects is a
        // misconfiguration or an attack, never followed with a code.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .build()
            .map_err(|e| Refusal::Unavailable(e.to_string()))?;
        Ok(Self {
            settings,
            http,
            discovered: tokio::sync::Mutex::new(None),
            starts: crate::rate_limit::PerKey::per_minute(STARTS_PER_MINUTE),
        })
    }

    /// Whether `client` (an address, `web::client::Client::key`) may
    /// start another login now ([`STARTS_PER_MINUTE`]).
    pub fn may_start(&self, client: &str) -> bool {
        self.starts.allows(client)
    }

    /// The client built from the provider's discovery document.
    async fn client(&self) -> Result<Arc<OidcClient>, Refusal> {
        let mut cached = self.discovered.lock().await;
        if let Some((at, client)) = cached.as_ref()
            && at.elapsed() < DISCOVERY_TTL
        {
            return Ok(client.clone());
        }
        let issuer = IssuerUrl::new(self.settings.issuer.clone())
            .map_err(|e| Refusal::Unavailable(format!("issuer: {e}")))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| Refusal::Unavailable(format!("discovery: {}", error_chain(&e))))?;
        let secret = self
            .settings
            .client_secret
            .as_ref()
            .map(|s| ClientSecret::new(s.expose_secret().to_owned()));
        let redirect = RedirectUrl::new(self.settings.redirect_url.to_string())
            .map_err(|e| Refusal::Unavailable(format!("redirect_url: {e}")))?;
        let client = Arc::new(
            OidcClient::from_provider_metadata(
                metadata,
                ClientId::new(self.settings.client_id.clone()),
                secret,
            )
            .set_redirect_uri(redirect),
        );
        *cached = Some((Instant::now(), client.clone()));
        Ok(client)
    }

    /// Starts a login: where to send the browser, and what to keep.
    pub async fn start(&self, now: DateTime<Utc>) -> Result<Start, Refusal> {
        let client = self.client().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in &self.settings.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        Ok(Start {
            url,
            state: state.secret().clone(),
            pending: PendingSsoLogin {
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
                expires_at: now + LOGIN_TIMEOUT,
            },
        })
    }

    /// Exchanges the provider's code and verifies the ID token against
    /// Loket's clock `now` and the login's nonce.
    pub async fn finish(
        &self,
        code: &str,
        pending: PendingSsoLogin,
        now: DateTime<Utc>,
    ) -> Result<Identity, Refusal> {
        let client = self.client().await?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| Refusal::Unavailable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier))
            .request_async(&self.http)
            .await
            .map_err(token_error)?;
        let nonce = Nonce::new(pending.nonce);
        self.identity(&client, &tokens, now, &nonce, None)
    }

    /// Asks the provider again with a session's refresh token: who is it
    /// now, in which groups. The refreshed ID token carries no nonce of
    /// ours (the spec leaves it out), so none is checked.
    pub async fn refresh(
        &self,
        refresh_token: &str,
        now: DateTime<Utc>,
    ) -> Result<Identity, Refusal> {
        let client = self.client().await?;
        let token = RefreshToken::new(refresh_token.to_owned());
        let tokens = client
            .exchange_refresh_token(&token)
            .map_err(|e| Refusal::Unavailable(e.to_string()))?
            .request_async(&self.http)
            .await
            .map_err(token_error)?;
        self.identity(
            &client,
            &tokens,
            now,
            |_: Option<&Nonce>| Ok(()),
            Some(refresh_token),
        )
    }

    fn identity(
        &self,
        client: &OidcClient,
        tokens: &Tokens,
        now: DateTime<Utc>,
        nonce: impl openidconnect::NonceVerifier,
        old_refresh_token: Option<&str>,
    ) -> Result<Identity, Refusal> {
        let id_token = tokens
            .id_token()
            .ok_or_else(|| Refusal::InvalidToken("the provider sent no ID token".to_owned()))?;
        // Expiry against Loket's clock (tests move it), not the wall clock.
        let verifier = client.id_token_verifier().set_time_fn(move || now);
        let claims = id_token.claims(&verifier, nonce).map_err(claims_error)?;
        let groups = claims
            .additional_claims()
            .0
            .get(&self.settings.roles_claim)
            .map(group_ids)
            .unwrap_or_default();
        let preferred = claims.preferred_username().map(|name| name.as_str());
        let email = claims.email().map(|email| email.as_str());
        Ok(Identity {
            subject: format!("{}|{}", self.settings.issuer, claims.subject().as_str()),
            username: username_from(preferred, email),
            groups,
            refresh_token: tokens
                .refresh_token()
                .map(|t| t.secret().clone())
                .or_else(|| old_refresh_token.map(str::to_owned)),
        })
    }

    /// The role the identity's groups map to.
    pub fn role_of(&self, identity: &Identity) -> Option<Role> {
        self.settings
            .role_for(identity.groups.iter().map(String::as_str))
    }
}

/// The account a verified identity logs in as: found by its subject (its
/// role brought in line with the groups) or made on the first login.
pub async fn account_for(
    store: &Store,
    identity: &Identity,
    role: Role,
    now: DateTime<Utc>,
) -> Result<Account, Refusal> {
    if let Some(mut account) = store.sso_user(&identity.subject).await? {
        if account.disabled {
            return Err(Refusal::Disabled);
        }
        if account.role != role {
            store.set_role(account.id, role).await?;
            account.role = role;
        }
        return Ok(account);
    }
    let username = identity.username.as_deref().ok_or(Refusal::BadUsername)?;
    // A name taken by a local (password) account is not taken over.
    store
        .add_sso_user(username, role, &identity.subject, now)
        .await?
        .ok_or(Refusal::NameTaken)
}

/// An account name from the claims: `preferred_username`, else the
/// e-mail address; of an address (Entra ID's names are) the part before
/// the `@`; lower case, and only if it is a valid name.
pub fn username_from(preferred: Option<&str>, email: Option<&str>) -> Option<String> {
    [preferred, email].into_iter().flatten().find_map(|name| {
        let local = name.split('@').next().unwrap_or(name);
        check_username(&local.to_lowercase()).ok()
    })
}

/// Group ids from the claim: a list of strings, or one string.
fn group_ids(value: &serde_json::Value) -> Vec<String> {
    match value {
        serde_json::Value::Array(items) => items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_owned))
            .collect(),
        serde_json::Value::String(one) => vec![one.clone()],
        _ => Vec::new(),
    }
}

fn claims_error(error: ClaimsVerificationError) -> Refusal {
    match error {
        ClaimsVerificationError::Expired(_) => Refusal::Expired,
        ClaimsVerificationError::InvalidAudience(_) => Refusal::WrongAudience,
        other => Refusal::InvalidToken(other.to_string()),
    }
}

fn token_error<RE: std::error::Error + 'static>(
    error: RequestTokenError<RE, StandardErrorResponse<CoreErrorResponseType>>,
) -> Refusal {
    match error {
        RequestTokenError::ServerResponse(answer)
            if *answer.error() == CoreErrorResponseType::InvalidGrant =>
        {
            Refusal::CodeRefused
        }
        RequestTokenError::ServerResponse(answer) => {
            Refusal::ProviderError(answer.error().as_ref().to_owned())
        }
        other => Refusal::Unavailable(error_chain(&other)),
    }
}

/// An error with its causes, for the log (none of them holds a token).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_come_from_the_claims_and_must_be_valid() {
        assert_eq!(
            username_from(Some("Anna.de-Vries@voorbeeldstad.nl"), None),
            Some("anna.de-vries".to_owned())
        );
        assert_eq!(
            username_from(Some("A B"), Some("bert@voorbeeldstad.nl")),
            Some("bert".to_owned())
        );
        assert_eq!(username_from(Some("anna\nforged"), None), None);
        assert_eq!(username_from(None, None), None);
    }

    #[test]
    fn groups_are_a_list_or_one_string() {
        assert_eq!(
            group_ids(&serde_json::json!(["a", 3, "b"])),
            vec!["a".to_owned(), "b".to_owned()]
        );
        assert_eq!(group_ids(&serde_json::json!("a")), vec!["a".to_owned()]);
        assert!(group_ids(&serde_json::json!({"a": 1})).is_empty());
    }

    #[test]
    fn every_refusal_says_what_to_do_in_both_languages() {
        for refusal in [
            Refusal::BadState,
            Refusal::CodeRefused,
            Refusal::WrongAudience,
            Refusal::Expired,
            Refusal::NoGroup,
            Refusal::Unavailable(String::new()),
        ] {
            let (nl, en) = refusal.messages();
            assert!(nl.len() > 40 && en.len() > 40, "{}", refusal.code());
            assert_ne!(nl, en);
        }
        assert!(
            Refusal::NoGroup
                .messages()
                .0
                .starts_with("U hebt geen toegang tot Loket; vraag uw beheerder")
        );
    }
}
