//! `loket lint`: checks the knowledge base the way the service loads it,
//! and the saved replies of the config folder (`saved-replies/*.md`), and
//! prints one `file:line: severity: message` per problem, so editors (and
//! their editors' problem matchers) can jump to each line.
//!
//! Invariant: the exit code is 1 exactly when there is an error; warnings
//! alone never fail a CI run.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::config::Settings;
use crate::knowledge::{LintReport, check};

/// Arguments of `loket lint`.
#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// The knowledge folder; default LOKET_KNOWLEDGE_DIR or knowledge_dir in config/loket.toml.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Print the problems as a JSON array (the summary goes to stderr).
    #[arg(long)]
    pub json: bool,
    /// Also ask every example question with itself left out and list the
    /// entries whose questions land on another entry, and the confused
    /// pairs (with --json: the whole report as one JSON document).
    #[arg(long)]
    pub confusions: bool,
    /// List the Voorbeeldstad-specific facts (`[[...]]` in the answers)
    /// an editor must adapt, with file and line.
    #[arg(long)]
    pub local: bool,
}

/// Runs `loket lint` with the settings' folder and link allowlist, and
/// returns the exit code.
pub fn run(args: &LintArgs, settings: &Settings) -> anyhow::Result<u8> {
    let dir = args.dir.as_deref().unwrap_or(&settings.knowledge_dir);
    if args.local {
        return local_facts(dir);
    }
    if args.confusions {
        return confusions(dir, settings, args.json);
    }
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let code = lint_to(
        dir,
        Some(&settings.config_dir),
        &settings.knowledge.link_allowlist,
        args.json,
        &mut stdout.lock(),
        &mut stderr.lock(),
    )?;
    Ok(code)
}

/// Lints the knowledge folder `dir` and, with `config_dir`, that config
/// folder's saved replies; writes the report to `out` (the summary to
/// `summary_out` when `json`, so stdout stays one JSON document) and
/// returns the exit code: 1 when there is any error, else 0.
pub fn lint_to(
    dir: &Path,
    config_dir: Option<&Path>,
    link_allowlist: &[String],
    json: bool,
    out: &mut impl Write,
    summary_out: &mut impl Write,
) -> anyhow::Result<u8> {
    let mut report = check(dir, link_allowlist);
    if let Some(config_dir) = config_dir {
        let (_, problems) = crate::config::saved_replies::check_dir(config_dir);
        report.problems.extend(problems);
    }
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report.problems)?)?;
        writeln!(summary_out, "{}", summary(&report))?;
    } else {
        for problem in &report.problems {
            writeln!(out, "{problem}")?;
        }
        writeln!(out, "{}", summary(&report))?;
    }
    Ok(exit_code(&report))
}

/// `loket lint --local`: every `[[...]]` fact, as `file:line: text`.
fn local_facts(dir: &Path) -> anyhow::Result<u8> {
    let loaded = crate::knowledge::load_dir(dir);
    let mut count = 0;
    for entry in &loaded.entries {
        for fact in &entry.local_facts {
            println!("{}:{}: {}", entry.path.display(), fact.line, fact.text);
            count += 1;
        }
    }
    println!(
        "{count} local facts in {} entries: adapt each to your municipality, then remove its [[ ]]",
        loaded.entries.len()
    );
    Ok(0)
}

/// `loket lint --confusions`.
fn confusions(dir: &Path, settings: &Settings, json: bool) -> anyhow::Result<u8> {
    let knowledge = crate::knowledge::base::KnowledgeBase::load(dir)?;
    let report = knowledge.confusion_report(settings.faq.thresholds().urgent);
    if json {
        println!("{}", serde_json::to_string_pretty(&*report)?);
        return Ok(0);
    }
    println!(
        "{} example questions asked with themselves left out: {:.3} land on their own entry",
        report.questions, report.top1
    );
    println!(
        "urgent entries at threshold {:.2}: {:.3} of their questions flagged, {:.3} of the others",
        report.urgent.threshold, report.urgent.recall, report.urgent.false_rate
    );
    if !report.pairs.is_empty() {
        println!("\nconfused pairs (questions of either that land on the other):");
        for pair in &report.pairs {
            println!(
                "  {} <-> {} ({}, {})",
                pair.a,
                pair.b,
                pair.lang.code(),
                pair.questions.len()
            );
            for question in &pair.questions {
                println!("      {question:?}");
            }
        }
    }
    if !report.entries.is_empty() {
        println!("\nentries whose questions land elsewhere:");
        for entry in &report.entries {
            println!(
                "  {} ({}): {} of {} on itself",
                entry.id,
                entry.lang.code(),
                entry.right,
                entry.questions
            );
            for confused in &entry.elsewhere {
                println!(
                    "      {:?} -> {} {:.2}",
                    confused.question, confused.got, confused.probability
                );
            }
        }
    }
    Ok(0)
}

/// 1 when any problem is an error, 0 otherwise.
pub fn exit_code(report: &LintReport) -> u8 {
    u8::from(report.errors() > 0)
}

/// "44 entries, 2 errors, 3 warnings".
pub fn summary(report: &LintReport) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}, {}",
        if report.entries == 1 {
            "1 entry".to_owned()
        } else {
            format!("{} entries", report.entries)
        },
        plural(report.errors(), "error"),
        plural(report.warnings(), "warning")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "---\nid: paspoort\ntitle: Paspoort\nquestions:\n  - paspoort aanvragen\n  - nieuw paspoort\n  - paspoort kwijt\n---\nMaak een afspraak.\n";

    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        }
        dir
    }

    fn run_lint(dir: &Path, json: bool) -> (u8, String, String) {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let code = lint_to(
            dir,
            None,
            &["voorbeeldstad.nl".to_owned()],
            json,
            &mut out,
            &mut err,
        )
        .expect("lint runs");
        (
            code,
            String::from_utf8(out).expect("utf-8"),
            String::from_utf8(err).expect("utf-8"),
        )
    }

    #[test]
    fn warnings_alone_exit_with_zero() {
        // No English translation and no synonyms file: warnings only.
        let dir = folder(&[("nl/paspoort.md", GOOD)]);
        let (code, out, _) = run_lint(dir.path(), false);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("warning: no English translation"), "{out}");
        assert!(out.contains("warning: no sources"), "{out}");
        assert!(out.ends_with("1 entry, 0 errors, 4 warnings\n"), "{out}");
    }

    #[test]
    fn an_error_exits_with_one_and_prints_file_and_line() {
        let broken = GOOD.replace("title: Paspoort", "title:");
        let dir = folder(&[
            ("nl/paspoort.md", &broken),
            (
                "en/paspoort.md",
                &GOOD.replace("id: paspoort", "id: paspoort\nlang: en"),
            ),
            ("synonyms.toml", "[nl]\ngroups = []\n"),
        ]);
        let (code, out, _) = run_lint(dir.path(), false);
        assert_eq!(code, 1, "{out}");
        let expected = format!(
            "{}:3: error: title is empty",
            dir.path().join("nl/paspoort.md").display()
        );
        assert!(out.contains(&expected), "{out}");
        assert!(out.ends_with("1 entry, 1 error, 2 warnings\n"), "{out}");
    }

    #[test]
    fn json_output_is_one_array_with_the_summary_on_stderr() {
        let dir = folder(&[("nl/paspoort.md", GOOD)]);
        let (code, out, err) = run_lint(dir.path(), true);
        assert_eq!(code, 0);
        let problems: serde_json::Value = serde_json::from_str(&out).expect("json");
        let first = &problems[0];
        assert_eq!(first["severity"], "warning");
        assert!(first["line"].is_u64());
        assert!(err.contains("1 entry"), "{err}");
    }

    #[test]
    fn a_saved_reply_with_an_unknown_placeholder_fails_lint_naming_file_and_line() {
        let knowledge = folder(&[("nl/paspoort.md", GOOD)]);
        let config = folder(&[(
            "saved-replies/terugbellen.nl.md",
            "---\nid: terugbellen\ntitle: Terugbellen\nlang: nl\n---\nU spreekt met {naam_medewerker}.\nWij bellen u {wanneer}.\n",
        )]);
        let mut out = Vec::new();
        let mut err = Vec::new();
        let code = lint_to(
            knowledge.path(),
            Some(config.path()),
            &["voorbeeldstad.nl".to_owned()],
            false,
            &mut out,
            &mut err,
        )
        .expect("lint runs");
        let out = String::from_utf8(out).expect("utf-8");
        assert_eq!(code, 1, "{out}");
        let expected = format!(
            "{}:7: error: unknown placeholder {{wanneer}}",
            config
                .path()
                .join("saved-replies/terugbellen.nl.md")
                .display()
        );
        assert!(out.contains(&expected), "{out}");
    }
}
