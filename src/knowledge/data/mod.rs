//! The data behind computed answers: benefit payment dates
//! (`data/uitkering-betaaldata.toml`) and the waste collection calendar
//! (`data/afvalkalender.toml`), plus the sentences that word them and
//! postcode extraction from a citizen's message.
//!
//! Invariant: a calendar that leaves this module is valid (dates exist,
//! each postcode in one area, every area has all four fractions, each
//! `first` falls on its weekday, every_weeks 1 to 8); a file with any error
//! gives its problems, each with a line number, and no calendar. All
//! functions are pure: "today" is always an argument.
//!
//! Layout: `benefit` and `waste` read and word one file each, `postcode`
//! finds a postcode in a message, and `toml_input` turns the TOML parser's
//! positions into problems at a line. The date words themselves
//! ("morgen (dinsdag 22 december)") are `hours::wording`'s, shared with
//! the promised answer times.

mod benefit;
mod postcode;
mod toml_input;
mod waste;

pub use benefit::{BenefitCalendar, Payment, benefit_sentence};
pub use postcode::extract_postcode;
pub use waste::{Area, Collection, Fraction, Shift, WasteCalendar, waste_sentence};

pub(crate) use toml_input::{line_of, toml_problem};

#[cfg(test)]
mod tests;
