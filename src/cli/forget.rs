//! `loket purge` and `loket forget`: the retention purge by hand, and
//! erasing one citizen at their request.

use crate::clock::Clock;
use crate::config::{HumanDuration, Settings};
use crate::db::Removed;
use crate::domain::CitizenKey;
use clap::Args;

/// `loket purge`
#[derive(Debug, Args)]
pub struct PurgeArgs {
    /// Only count what would be deleted.
    #[arg(long)]
    pub dry_run: bool,
    /// Delete conversations closed or idle longer ago than this ("7d",
    /// "12h"; "0s" = everything closed or idle now). Default: [privacy] retention.
    #[arg(long, value_parser = parse_duration)]
    pub older_than: Option<HumanDuration>,
}

/// `loket forget`
#[derive(Debug, Args)]
pub struct ForgetArgs {
    /// The citizen's phone number in any common form (06 12345678,
    /// +31 6 12345678, 0031 6 12345678, 31612345678) or user id.
    pub citizen: String,
    /// Only count what would be deleted.
    #[arg(long)]
    pub dry_run: bool,
}

fn parse_duration(text: &str) -> Result<HumanDuration, String> {
    humantime::parse_duration(text)
        .map(HumanDuration)
        .map_err(|e| {
            format!("{text:?} is not a duration ({e}); write e.g. \"7d\", \"12h\" or \"0s\"")
        })
}

/// The stored form of a citizen as people write them: a phone number in
/// any common form becomes its WhatsApp id (E.164 without `+`), a user id
/// stays; anything else is refused with the reason.
pub fn normalise_citizen(text: &str) -> Result<String, String> {
    CitizenKey::parse(text)
        .map(|key| key.as_str().to_owned())
        .map_err(|e| e.to_string())
}

fn print(removed: &Removed, dry_run: bool) {
    let verb = if dry_run { "would remove" } else { "removed" };
    println!(
        "{verb}: {} conversation(s), {} message(s), {} reply(ies), {} delivery status(es), {} history event(s), {} media file(s)",
        removed.conversations,
        removed.messages,
        removed.replies,
        removed.statuses,
        removed.events,
        removed.media
    );
}

/// `loket purge`
pub async fn purge(args: &PurgeArgs, settings: &Settings, clock: &dyn Clock) -> anyhow::Result<()> {
    let store = crate::cli::open_store(settings).await?;
    let older_than = args.older_than.unwrap_or(settings.privacy.retention).0;
    let rollup = crate::report::rollup::Rollup::from_settings(settings);
    let removed = crate::retention::purge(&store, clock, &rollup, older_than, args.dry_run).await?;
    if !args.dry_run {
        store
            .audit(
                "cli",
                "purge",
                None,
                Some(&crate::retention::summary(&removed)),
                clock.now(),
            )
            .await?;
    }
    store.close().await;
    print(&removed, args.dry_run);
    Ok(())
}

/// `loket forget`: what was (or, `--dry-run`, would be) removed.
pub async fn forget(
    args: &ForgetArgs,
    settings: &Settings,
    clock: &dyn Clock,
) -> anyhow::Result<Removed> {
    let citizen = normalise_citizen(&args.citizen).map_err(anyhow::Error::msg)?;
    let store = crate::cli::open_store(settings).await?;
    let removed = store.forget(&citizen, args.dry_run).await?;
    if removed.total() == 0 {
        // Said in words: "removed 0" alone reads like a mistyped number.
        println!("nothing is stored about {citizen}");
    }
    if !args.dry_run {
        // The number itself is not written down: that would undo the forgetting.
        store
            .audit(
                "cli",
                "forget",
                None,
                Some(&crate::retention::summary(&removed)),
                clock.now(),
            )
            .await?;
    }
    store.close().await;
    print(&removed, args.dry_run);
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_normalised_as_people_write_them() {
        assert_eq!(
            normalise_citizen("+31 6 00000001"),
            Ok("31600000001".to_owned())
        );
        assert_eq!(
            normalise_citizen("0031600000001"),
            Ok("31600000001".to_owned())
        );
        assert_eq!(
            normalise_citizen("06-00000001"),
            Ok("31600000001".to_owned())
        );
        assert!(normalise_citizen("06-").is_err());
    }
}
