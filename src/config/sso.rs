//! `[sso]`: single sign-on for staff with OpenID Connect (ADR 0026). Off
//! when the section is missing. The client secret is not here: it comes
//! only from `LOKET_SSO_CLIENT_SECRET`.

use super::duration::HumanDuration;
use crate::domain::Role;
use secrecy::SecretString;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// `[sso]` as written in `loket.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsoFile {
    /// The provider's issuer URL, exactly as its discovery document
    /// (`/.well-known/openid-configuration`) names it.
    pub issuer: String,
    /// Loket's client id at the provider.
    pub client_id: String,
    /// Where the provider sends the browser back: this service's public
    /// address followed by `/staff/sso/callback`, registered at the
    /// provider as is.
    pub redirect_url: String,
    /// The button's label on the staff page: "Inloggen met <name>".
    #[serde(default = "default_name")]
    pub name: String,
    /// The ID token claim that lists the user's groups (or roles).
    #[serde(default = "default_roles_claim")]
    pub roles_claim: String,
    /// Group id (as the claim lists it) to role: "staff", "editor" or
    /// "admin". A user in several mapped groups gets the strongest role.
    #[serde(default)]
    pub roles: BTreeMap<String, String>,
    /// Scopes asked for besides `openid`.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// How often a live single sign-on session asks the provider again
    /// (with its refresh token) whether the user is still in a mapped group.
    #[serde(default = "default_recheck")]
    pub recheck: HumanDuration,
}

fn default_name() -> String {
    "uw organisatie-account".to_owned()
}

fn default_roles_claim() -> String {
    "groups".to_owned()
}

fn default_scopes() -> Vec<String> {
    ["profile", "email", "offline_access"]
        .map(str::to_owned)
        .to_vec()
}

fn default_recheck() -> HumanDuration {
    HumanDuration(Duration::from_secs(15 * 60))
}

/// Validated single sign-on settings.
#[derive(Debug, Clone)]
pub struct SsoSettings {
    /// As written (discovery compares it with the provider's own, to the
    /// trailing slash).
    pub issuer: String,
    pub client_id: String,
    pub redirect_url: url::Url,
    pub name: String,
    pub roles_claim: String,
    pub roles: BTreeMap<String, Role>,
    pub scopes: Vec<String>,
    pub recheck: Duration,
    /// `LOKET_SSO_CLIENT_SECRET` (set by `Settings::apply_env`).
    pub client_secret: Option<SecretString>,
}

impl SsoFile {
    /// Checks every key; the error names it and says what is allowed.
    pub(super) fn validate(&self) -> Result<SsoSettings, (String, String)> {
        let bad = |key: &str, message: String| (format!("sso.{key}"), message);
        http_url(&self.issuer).ok_or_else(|| {
            bad(
                "issuer",
                format!(
                    "{:?} is not an http(s) address; write the provider's issuer, e.g. \"https://login.microsoftonline.com/<tenant id>/v2.0\" or \"https://sso.voorbeeldstad.nl/realms/gemeente\"",
                    self.issuer
                ),
            )
        })?;
        if self.client_id.trim().is_empty() {
            return Err(bad(
                "client_id",
                "is empty; write the client (application) id the provider gave Loket".to_owned(),
            ));
        }
        let redirect_url = http_url(&self.redirect_url)
            .filter(|url| url.path().ends_with("/staff/sso/callback"))
            .ok_or_else(|| {
                bad(
                    "redirect_url",
                    format!(
                        "{:?} is not this service's callback; write its public address followed by /staff/sso/callback, e.g. \"https://loket.voorbeeldstad.nl/staff/sso/callback\", and register the same at the provider",
                        self.redirect_url
                    ),
                )
            })?;
        if self.roles_claim.trim().is_empty() {
            return Err(bad(
                "roles_claim",
                "is empty; write the claim that lists the groups, e.g. \"groups\" (Entra ID, Keycloak) or \"roles\"".to_owned(),
            ));
        }
        if self.roles.is_empty() {
            return Err(bad(
                "roles",
                "maps no group to a role, so nobody could log in; add e.g. [sso.roles] \"<group id>\" = \"staff\"".to_owned(),
            ));
        }
        let mut roles = BTreeMap::new();
        for (group, role) in &self.roles {
            let parsed = Role::parse(role).ok_or_else(|| {
                bad(
                    &format!("roles.{group:?}"),
                    format!("{role:?} is not a role; use \"staff\", \"editor\" or \"admin\""),
                )
            })?;
            roles.insert(group.clone(), parsed);
        }
        if let Some(scope) = self
            .scopes
            .iter()
            .find(|s| s.is_empty() || s.contains(char::is_whitespace))
        {
            return Err(bad(
                "scopes",
                format!(
                    "{scope:?} is not a scope; write one word per entry, e.g. [\"profile\", \"email\"]"
                ),
            ));
        }
        if self.recheck.0 < Duration::from_secs(60) || self.recheck.0 > Duration::from_secs(86_400)
        {
            return Err(bad("recheck", "must be between 1m and 24h".to_owned()));
        }
        Ok(SsoSettings {
            // As written: `url` would add a slash to a bare host, and the ID
            // token's `iss` must match the provider's text exactly.
            issuer: self.issuer.trim().to_owned(),
            client_id: self.client_id.trim().to_owned(),
            redirect_url,
            name: self.name.trim().to_owned(),
            roles_claim: self.roles_claim.trim().to_owned(),
            roles,
            scopes: self.scopes.clone(),
            recheck: self.recheck.0,
            client_secret: None,
        })
    }
}

fn http_url(text: &str) -> Option<url::Url> {
    url::Url::parse(text.trim())
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
}

impl SsoSettings {
    /// The strongest role among the mapped groups the user is in; `None`:
    /// in no mapped group.
    pub fn role_for<'a>(&self, groups: impl IntoIterator<Item = &'a str>) -> Option<Role> {
        groups
            .into_iter()
            .filter_map(|group| self.roles.get(group).copied())
            .max_by_key(|role| match role {
                Role::Staff => 0,
                Role::Editor => 1,
                Role::Admin => 2,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SsoFile {
        toml::from_str(text).expect("parses")
    }

    const GOOD: &str = r#"
        issuer = "https://sso.voorbeeldstad.nl/realms/gemeente"
        client_id = "loket"
        redirect_url = "https://loket.voorbeeldstad.nl/staff/sso/callback"
        [roles]
        "loket-medewerkers" = "staff"
        "loket-beheer" = "admin"
    "#;

    #[test]
    fn a_minimal_section_gets_the_defaults() {
        let sso = file(GOOD).validate().expect("valid");
        assert_eq!(sso.roles_claim, "groups");
        assert_eq!(sso.recheck, Duration::from_secs(900));
        assert!(sso.scopes.contains(&"offline_access".to_owned()));
        assert_eq!(sso.role_for(["x", "loket-medewerkers"]), Some(Role::Staff));
        assert_eq!(
            sso.role_for(["loket-medewerkers", "loket-beheer"]),
            Some(Role::Admin)
        );
        assert_eq!(sso.role_for(["andere-groep"]), None);
    }

    #[test]
    fn bad_values_name_their_key() {
        let cases = [
            (
                "issuer = \"https://sso.voorbeeldstad.nl/realms/gemeente\"",
                "issuer = \"sso.voorbeeldstad.nl\"",
                "sso.issuer",
            ),
            (
                "client_id = \"loket\"",
                "client_id = \" \"",
                "sso.client_id",
            ),
            (
                "redirect_url = \"https://loket.voorbeeldstad.nl/staff/sso/callback\"",
                "redirect_url = \"https://loket.voorbeeldstad.nl/\"",
                "sso.redirect_url",
            ),
            (
                "\"loket-beheer\" = \"admin\"",
                "\"loket-beheer\" = \"root\"",
                "sso.roles.\"loket-beheer\"",
            ),
        ];
        for (good, wrong, key) in cases {
            let text = GOOD.replace(good, wrong);
            let (found, message) = file(&text).validate().expect_err(key);
            assert_eq!(found, key, "{message}");
        }
        let none = r#"
            issuer = "https://sso.voorbeeldstad.nl"
            client_id = "loket"
            redirect_url = "https://loket.voorbeeldstad.nl/staff/sso/callback"
        "#;
        let (key, message) = file(none).validate().expect_err("no roles");
        assert_eq!(key, "sso.roles");
        assert!(message.contains("nobody could log in"), "{message}");
    }
}
