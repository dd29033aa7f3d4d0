//! `loket user add|list|disable|reset-mfa`: staff accounts, from the
//! operator's shell.

use crate::accounts::{self, Role, password};
use crate::config::Settings;
use crate::db::Store;
use chrono::{DateTime, Utc};
use clap::Subcommand;
use std::io::{BufRead, IsTerminal};

/// `loket user ...`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add an account. The password is read from standard input when it is
    /// piped (`echo "$PW" | loket user add anna --role staff`); otherwise a
    /// strong one is generated and printed once.
    Add {
        /// Login name: lowercase letters, digits, '.', '-', '_'.
        name: String,
        /// staff (the queue), editor (knowledge base) or admin (everything).
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// List accounts (name, role, disabled).
    List,
    /// Disable an account and end its sessions (threads it holds stay claimed
    /// until an admin releases them).
    Disable { name: String },
    /// Remove an account's second factor (a lost phone) and end its
    /// sessions; its next login needs only the password, and under
    /// `[staff] require_mfa` it sets up a new one.
    ResetMfa { name: String },
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| format!("{text:?} is not a role; use staff, editor or admin"))
}

/// Runs a `user` subcommand.
pub async fn run(
    command: &UserCommand,
    settings: &Settings,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let store = crate::cli::open_store(settings).await?;
    let result = match command {
        UserCommand::Add { name, role } => add(&store, name, *role, now).await,
        UserCommand::List => list(&store).await,
        UserCommand::Disable { name } => match crate::accounts::check_username(name) {
            Err(bad) => Err(anyhow::Error::new(bad)),
            Ok(name) if store.disable_user(&name).await? => {
                println!("{name} is disabled; its sessions have ended.");
                Ok(())
            }
            Ok(name) => Err(anyhow::anyhow!(
                "there is no account named {name:?}; see `loket user list`"
            )),
        },
        UserCommand::ResetMfa { name } => reset_mfa(&store, name, now).await,
    };
    store.close().await;
    result
}

async fn add(store: &Store, name: &str, role: Role, now: DateTime<Utc>) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    let (password, generated) = if stdin.is_terminal() {
        (password::generate(), true)
    } else {
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        let line = line.trim_end_matches(['\n', '\r']).to_owned();
        if line.is_empty() {
            (password::generate(), true)
        } else {
            (line, false)
        }
    };
    let account = accounts::create(store, name, role, &password, now).await?;
    println!("added {} ({})", account.username, account.role.as_str());
    if generated {
        println!("password (shown once, pass it on safely): {password}");
    }
    Ok(())
}

async fn reset_mfa(store: &Store, name: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
    let name = crate::accounts::check_username(name)?;
    match store.reset_mfa(&name).await? {
        None => Err(anyhow::anyhow!(
            "there is no account named {name:?}; see `loket user list`"
        )),
        Some(had) => {
            // The account is named as a reference, as audit actors are.
            let detail = format!("staff:{name}");
            store
                .audit("cli", "mfa_reset", None, Some(&detail), now)
                .await?;
            if had {
                println!(
                    "{name}'s second factor and recovery codes are removed; its sessions have ended."
                );
            } else {
                println!("{name} had no second factor; its sessions have ended.");
            }
            Ok(())
        }
    }
}

async fn list(store: &Store) -> anyhow::Result<()> {
    let users = store.users().await?;
    if users.is_empty() {
        println!("no accounts yet; add one with `loket user add NAME --role admin`");
    }
    for user in users {
        println!(
            "{:<24} {:<7} {}",
            user.username,
            user.role.as_str(),
            if user.disabled { "disabled" } else { "active" }
        );
    }
    Ok(())
}
