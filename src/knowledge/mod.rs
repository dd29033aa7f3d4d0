//! The knowledge base: one markdown file per answer (YAML front matter,
//! WhatsApp markdown body) in `nl/` and `en/`, synonyms, and the data
//! behind computed answers. The file format is documented for editors in
//! `knowledge/README.md`; this module implements exactly that.
//!
//! Invariant: loading never fails as a whole and every problem names the
//! file, the line and what to do, so `loket lint` and the service report
//! the same things in the same words.

pub mod analysis;
pub mod base;
pub mod baseline;
pub mod classifier;
pub mod compose;
pub mod confusions;
pub mod data;
pub mod decision;
pub mod entry;
pub mod eval;
pub mod gaps;
pub mod lint;
pub mod loader;
pub mod rules;
pub mod search;
pub mod synonyms;
pub mod triage;
pub mod usage;
pub mod watch;

pub use data::{
    Area, BenefitCalendar, Collection, Fraction, Payment, Shift, WasteCalendar, benefit_sentence,
    extract_postcode, waste_sentence,
};
pub use entry::{
    Computed, Entry, EntryKind, FaqId, Link, LocalFact, Problem, Severity, parse_entry,
};
pub use lint::{LintReport, check, lint};
pub use loader::{LoadedKnowledge, load_dir};
pub use synonyms::Synonyms;
