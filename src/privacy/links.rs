//! Links in citizens' messages, for the staff screen. Staff worry about
//! malicious links, so a link is never made clickable: the text is split
//! into [`Segment`]s and each link carries the domain it really goes to,
//! which the page shows next to the link text.
//!
//! - `linkify` finds the links (`https://...`, `www....`, and bare domains
//!   like `voorbeeldstad.nl/afval`); it gets the edges right with the
//!   punctuation around links in chat text.
//! - A bare domain without scheme or `www.` counts when it ends in a
//!   suffix on the Public Suffix List (the `psl` crate, ADR 0023): every
//!   top-level domain, `voorbeeldstad.zip` and `betaal-gemeente.help` as
//!   much as `voorbeeldstad.nl`, while "ja.ok" or "om 10.30 uur" stay
//!   text. `https://` and `www.` links count whatever their ending.
//! - The domain comes from the `url` crate, which applies IDNA: a lookalike
//!   written with Cyrillic letters shows as its `xn--` form, and a link
//!   like `https://voorbeeldstad.nl@example.com/` shows `example.com`, the
//!   host it really opens.
//! - E-mail addresses are not links here; they are personal data
//!   (`super::pii`).
//!
//! Rendering rule for the staff page: every segment is escaped text; a
//! `Link` is shown as its `full` text plus its `domain`, never as `href`.

use serde::Serialize;

/// A piece of a citizen's message: plain text or a link. Concatenating
/// every segment's text gives the message back unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Segment {
    Text {
        text: String,
    },
    Link {
        /// The host the link opens, lower case, IDNA (`xn--`) form; empty
        /// when the link has no host we can read.
        domain: String,
        /// The link as the citizen wrote it.
        full: String,
    },
}

impl Segment {
    /// The original characters of this segment.
    pub fn as_str(&self) -> &str {
        match self {
            Segment::Text { text } => text,
            Segment::Link { full, .. } => full,
        }
    }
}

/// Whether `host` (lower case, IDNA form) is a name under a suffix on
/// the Public Suffix List: `voorbeeldstad.zip`, `betaal-gemeente.help`,
/// `bit.ly`, but not `ja.ok` (no such suffix) nor a suffix alone. The
/// list comes with the `psl` crate (ADR 0023), so a new top-level domain
/// needs a `cargo update -p psl`, not a hand-kept list that phishing
/// domains slip past.
pub fn under_public_suffix(host: &str) -> bool {
    psl::domain(host.trim_end_matches('.').as_bytes()).is_some_and(|d| d.suffix().is_known())
}

/// `text` split into plain text and links, in order.
pub fn segments(text: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut at = 0;
    for link in find_links(text) {
        if link.start > at {
            out.push(Segment::Text {
                text: text.get(at..link.start).unwrap_or_default().to_owned(),
            });
        }
        out.push(Segment::Link {
            domain: link.domain,
            full: text
                .get(link.start..link.end)
                .unwrap_or_default()
                .to_owned(),
        });
        at = link.end;
    }
    if at < text.len() {
        out.push(Segment::Text {
            text: text.get(at..).unwrap_or_default().to_owned(),
        });
    }
    out
}

/// One link in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundLink {
    pub start: usize,
    pub end: usize,
    pub domain: String,
}

/// The links in `text`, in order.
pub fn find_links(text: &str) -> Vec<FoundLink> {
    let mut finder = linkify::LinkFinder::new();
    finder
        .kinds(&[linkify::LinkKind::Url])
        .url_must_have_scheme(false);
    finder
        .links(text)
        .filter_map(|link| {
            let full = link.as_str();
            let explicit = has_scheme(full) || starts_with_www(full);
            let domain = domain_of(full).unwrap_or_default();
            // An e-mail-like "user@host" without scheme is an address, not a link.
            let address = !explicit && full.contains('@');
            (explicit || (!address && under_public_suffix(&domain))).then(|| FoundLink {
                start: link.start(),
                end: link.end(),
                domain,
            })
        })
        .collect()
}

fn has_scheme(link: &str) -> bool {
    link.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

fn starts_with_www(link: &str) -> bool {
    link.get(..4)
        .is_some_and(|start| start.eq_ignore_ascii_case("www."))
}

/// The host `link` opens, lower case and in IDNA form; a link without
/// scheme is read as `https://`. `None` when there is no host.
pub fn domain_of(link: &str) -> Option<String> {
    let parsed = if has_scheme(link) {
        url::Url::parse(link)
    } else {
        url::Url::parse(&format!("https://{link}"))
    };
    let host = parsed
        .ok()?
        .host_str()?
        .trim_end_matches('.')
        .to_lowercase();
    (!host.is_empty()).then_some(host)
}

/// Whether `host` is an allowlisted domain or a subdomain of one
/// (`www.voorbeeldstad.nl` for `voorbeeldstad.nl`, but never
/// `voorbeeldstad.nl.example.com` or `notvoorbeeldstad.nl`).
pub fn host_allowed(host: &str, allowlist: &[String]) -> bool {
    let host = host.trim_end_matches('.').to_lowercase();
    allowlist.iter().any(|allowed| {
        let allowed = allowed.trim_end_matches('.').to_lowercase();
        host == allowed
            || host
                .strip_suffix(allowed.as_str())
                .is_some_and(|prefix| prefix.ends_with('.'))
    })
}

/// Whether `link` goes to a domain on `allowlist` or a subdomain of one;
/// the same rule `loket lint` applies to links in answers.
pub fn domain_allowed(link: &str, allowlist: &[String]) -> bool {
    domain_of(link).is_some_and(|host| host_allowed(&host, allowlist))
}

/// Domains of links in an outgoing text that are not on the allowlist
/// (answers may only send citizens to known, trusted sites).
pub fn disallowed_domains(text: &str, allowlist: &[String]) -> Vec<String> {
    let mut bad: Vec<String> = find_links(text)
        .into_iter()
        .filter(|link| !host_allowed(&link.domain, allowlist))
        .map(|link| {
            if link.domain.is_empty() {
                text[link.start..link.end].to_owned()
            } else {
                link.domain
            }
        })
        .collect();
    bad.dedup();
    bad
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_subdomain_of_an_allowlisted_domain_is_allowed() {
        let allow = list(&["voorbeeldstad.nl", "overheid.nl"]);
        assert!(host_allowed("voorbeeldstad.nl", &allow));
        assert!(host_allowed("www.voorbeeldstad.nl", &allow));
        assert!(host_allowed("loket.wetten.overheid.nl", &allow));
    }

    #[test]
    fn a_lookalike_domain_is_not_allowed() {
        let allow = list(&["voorbeeldstad.nl"]);
        assert!(!host_allowed("notvoorbeeldstad.nl", &allow));
        assert!(!host_allowed("voorbeeldstad.nl.example.com", &allow));
        assert!(!host_allowed("example.com", &allow));
        assert!(!host_allowed("", &allow));
    }

    #[test]
    fn outgoing_links_must_be_on_the_allowlist() {
        let allow = vec!["voorbeeldstad.nl".to_owned()];
        assert!(disallowed_domains("Zie https://www.voorbeeldstad.nl/afval", &allow).is_empty());
        assert_eq!(
            disallowed_domains("Zie https://voorbeeldstad.nl.evil.example/afval", &allow),
            vec!["voorbeeldstad.nl.evil.example".to_owned()]
        );
    }

    fn links(text: &str) -> Vec<(String, String)> {
        segments(text)
            .into_iter()
            .filter_map(|s| match s {
                Segment::Link { domain, full } => Some((domain, full)),
                Segment::Text { .. } => None,
            })
            .collect()
    }

    fn pair(domain: &str, full: &str) -> (String, String) {
        (domain.to_owned(), full.to_owned())
    }

    #[test]
    fn links_with_scheme_www_or_a_bare_domain_are_found() {
        assert_eq!(
            links("kijk op https://www.voorbeeldstad.nl/afval."),
            vec![pair(
                "www.voorbeeldstad.nl",
                "https://www.voorbeeldstad.nl/afval"
            )]
        );
        assert_eq!(
            links("zie www.Voorbeeldstad.nl"),
            vec![pair("www.voorbeeldstad.nl", "www.Voorbeeldstad.nl")]
        );
        assert_eq!(
            links("(voorbeeldstad.nl/afval)"),
            vec![pair("voorbeeldstad.nl", "voorbeeldstad.nl/afval")]
        );
        assert_eq!(
            links("http://example.com:8080/x?y=1 en bit.ly/abc"),
            vec![
                pair("example.com", "http://example.com:8080/x?y=1"),
                pair("bit.ly", "bit.ly/abc")
            ]
        );
    }

    #[test]
    fn bare_domains_under_any_public_suffix_are_links() {
        // Found by the black-box test: top-level domains a hand-kept list missed.
        for (text, domain, full) in [
            (
                "betaal via voorbeeldstad-betalen.nu/ideal vandaag",
                "voorbeeldstad-betalen.nu",
                "voorbeeldstad-betalen.nu/ideal",
            ),
            (
                "zie voorbeeldstad.zip",
                "voorbeeldstad.zip",
                "voorbeeldstad.zip",
            ),
            (
                "betaal-gemeente.help.",
                "betaal-gemeente.help",
                "betaal-gemeente.help",
            ),
        ] {
            assert_eq!(links(text), vec![pair(domain, full)], "{text}");
        }
        assert!(under_public_suffix("gemeente.amsterdam"));
        assert!(under_public_suffix("voorbeeldstad.co.uk"));
        assert!(!under_public_suffix("co.uk"), "a suffix alone is no domain");
        assert!(!under_public_suffix("ja.ok"));
        assert!(!under_public_suffix(""));
    }

    #[test]
    fn links_outside_the_allowlist_are_refused_whatever_their_suffix() {
        let allow = list(&["voorbeeldstad.nl"]);
        for (text, domain) in [
            (
                "Betaal op voorbeeldstad-betalen.nu/ideal",
                "voorbeeldstad-betalen.nu",
            ),
            ("Download voorbeeldstad.zip", "voorbeeldstad.zip"),
            ("Hulp: betaal-gemeente.help", "betaal-gemeente.help"),
        ] {
            assert_eq!(
                disallowed_domains(text, &allow),
                vec![domain.to_owned()],
                "{text}"
            );
        }
    }

    #[test]
    fn chat_text_with_dots_is_not_a_link() {
        assert_eq!(links("ja.ok dat is goed"), vec![]);
        assert_eq!(links("om 10.30 uur"), vec![]);
        assert_eq!(links("mail jan@example.nl"), vec![]);
        assert_eq!(links("geen link hier"), vec![]);
    }

    #[test]
    fn the_domain_shown_is_the_one_the_link_really_opens() {
        assert_eq!(
            links("https://voorbeeldstad.nl@example.com/login"),
            vec![pair(
                "example.com",
                "https://voorbeeldstad.nl@example.com/login"
            )]
        );
        // A Cyrillic "о" in a lookalike shows up as punycode.
        let found = links("https://vооrbeeldstad.nl/betalen");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].0.starts_with("xn--"), "{found:?}");
    }

    #[test]
    fn segments_keep_every_character_in_order() {
        let text = "Hoi, zie https://voorbeeldstad.nl/afval en www.example.com!";
        let parts = segments(text);
        assert_eq!(parts.len(), 5, "{parts:?}");
        assert_eq!(parts.iter().map(Segment::as_str).collect::<String>(), text);
        assert_eq!(segments(""), vec![]);
    }

    #[test]
    fn subdomains_of_allowed_domains_are_allowed_and_lookalikes_not() {
        let allow = vec!["voorbeeldstad.nl".to_owned(), "overheid.nl".to_owned()];
        assert!(domain_allowed("https://www.voorbeeldstad.nl/afval", &allow));
        assert!(domain_allowed("voorbeeldstad.nl", &allow));
        assert!(domain_allowed("https://wetten.overheid.nl/x", &allow));
        assert!(!domain_allowed(
            "https://voorbeeldstad.nl.example.com",
            &allow
        ));
        assert!(!domain_allowed(
            "https://voorbeeldstad.nl@example.com/",
            &allow
        ));
        assert!(!domain_allowed("https://notvoorbeeldstad.nl", &allow));
        assert!(!domain_allowed("geen link", &[]));
    }

    proptest! {
        #[test]
        fn segments_never_panic_and_give_the_text_back(text in "\\PC{0,200}") {
            let parts = segments(&text);
            prop_assert_eq!(parts.iter().map(Segment::as_str).collect::<String>(), text);
        }

        #[test]
        fn url_like_text_never_panics(text in "[a-z.:/@ w0-9?=&#%-]{0,120}") {
            let parts = segments(&text);
            prop_assert_eq!(parts.iter().map(Segment::as_str).collect::<String>(), text);
        }
    }
}
