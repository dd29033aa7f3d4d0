//! `loket export`: everything stored about one citizen in one JSON file,
//! to answer an access request (AVG art. 15, inzageverzoek). The file is
//! created readable by its owner only and never overwrites another; each
//! export is written to the audit log (counts only, not the number).

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{CitizenExport, Retention};
use crate::domain::CitizenKey;
use anyhow::Context;
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};

/// `loket export`
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The citizen's phone number in any common form (06 12345678,
    /// +31 6 12345678, 0031 6 12345678) or user id.
    pub citizen: String,
    /// Where to write the JSON (default: loket-export-<time>.json here).
    /// An existing file is not overwritten.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `loket export`: writes the file and returns what it holds.
pub async fn run(
    args: &ExportArgs,
    settings: &Settings,
    clock: &dyn Clock,
) -> anyhow::Result<(PathBuf, CitizenExport)> {
    let key = CitizenKey::parse(&args.citizen)?;
    let now = clock.now();
    let path = args.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!("loket-export-{}.json", now.format("%Y%m%d-%H%M%S")))
    });
    let store = crate::cli::open_store(settings).await?;
    let export = store
        .export_citizen(key.as_str(), Retention::from(&settings.privacy), now)
        .await?;
    let json = serde_json::to_vec_pretty(&export).context("writing the export as JSON")?;
    write_private(&path, &json)?;
    // No export without its audit entry: if that cannot be written, the
    // file goes too.
    if let Err(error) = store
        .audit("cli", "export", None, Some(&export.summary()), now)
        .await
    {
        let _ = std::fs::remove_file(&path);
        return Err(error).context("writing the export to the audit log; the file was removed");
    }
    store.close().await;
    println!("{}: {}", path.display(), export.summary());
    if export.is_empty() {
        println!("nothing is stored about {}", key.as_str());
    }
    Ok((path, export))
}

/// Creates `path` for its owner only (0600: it holds a citizen's
/// messages), refusing to replace an existing file.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).with_context(|| {
        format!(
            "creating {} (an existing file is not replaced)",
            path.display()
        )
    })?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}
