//! Enough file descriptors for the connections of a run. Every connection
//! is a socket in the load tool and one in the service (the same process,
//! or a child that inherits this process's limit), and many systems start
//! programs with a soft limit of 1,024 open files: 512 connections would
//! then fail half-way with "too many open files", which reads as a slow
//! service. So the soft limit is raised up to the hard one before the run,
//! and a run the hard limit cannot carry is refused, saying what to do.
//! The `rlimit` crate does the system calls (ADR 0025).

use super::Mode;

/// Descriptors beyond the connections' sockets: the fake Graph API's
/// connections, the database files, the runtime and the standard streams.
const SPARE: u64 = 256;

/// How many open files a run with `connections` needs.
pub fn needed(connections: usize, mode: &Mode) -> u64 {
    let connections = u64::try_from(connections).unwrap_or(u64::MAX);
    let sockets_each = match mode {
        // The service's end of each connection is someone else's.
        Mode::Target(_) => 1,
        Mode::InProcess | Mode::Child { .. } => 2,
    };
    connections
        .saturating_mul(sockets_each)
        .saturating_add(SPARE)
}

/// Raises the soft limit on open files to at least `needed`, as far as
/// the hard limit allows; refuses when that is not far enough.
pub fn allow(needed: u64) -> anyhow::Result<()> {
    let allowed = rlimit::increase_nofile_limit(needed)
        .map_err(|e| anyhow::anyhow!("raising the open-files limit to {needed}: {e}"))?;
    check(needed, allowed)
}

/// Whether a run that needs `needed` open files fits in `allowed`.
fn check(needed: u64, allowed: u64) -> anyhow::Result<()> {
    if needed > allowed {
        anyhow::bail!(
            "these connections need about {needed} open files, but this process may open at most \
             {allowed}; raise the hard limit (`ulimit -Hn`, as root, or LimitNOFILE= in a systemd \
             unit) or use fewer connections"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ends_of_each_connection_count_when_the_service_is_ours() {
        assert_eq!(needed(512, &Mode::InProcess), 512 * 2 + SPARE);
        let child = Mode::Child {
            kill_after: None,
            loket_bin: "loket".into(),
        };
        assert_eq!(needed(512, &child), 512 * 2 + SPARE);
        assert_eq!(
            needed(512, &Mode::Target("http://127.0.0.1:8080".into())),
            512 + SPARE
        );
    }

    #[test]
    fn five_hundred_and_twelve_connections_do_not_fit_the_common_default() {
        // The usual soft limit is too low, the usual hard limit is not.
        let needed = needed(512, &Mode::InProcess);
        assert!(needed > 1024);
        assert!(check(needed, 1024).is_err());
        assert!(check(needed, 524_288).is_ok());
    }

    #[test]
    fn a_hard_limit_too_low_is_refused_with_what_to_do() {
        let error = check(1280, 1024).expect_err("too low").to_string();
        for said in [
            "1280 open files",
            "at most 1024",
            "ulimit -Hn",
            "fewer connections",
        ] {
            assert!(error.contains(said), "{error}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn the_soft_limit_is_raised_for_a_run_that_needs_it() {
        let (soft, hard) = rlimit::Resource::NOFILE.get().expect("readable");
        let wanted = (soft + 1).min(hard);
        allow(wanted).expect("within the hard limit");
        let (raised, _) = rlimit::Resource::NOFILE.get().expect("readable");
        assert!(raised >= wanted, "{raised} < {wanted}");
    }
}
