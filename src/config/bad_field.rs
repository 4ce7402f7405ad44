//! One configuration value that cannot work: its key, the value given and what is allowed, so
//! a start-up error tells the operator what to write instead of where to look.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadField {
    /// The key, relative to its section (`max_prob`, `kelly_fraction`).
    pub field: &'static str,
    /// The value as given.
    pub value: String,
    /// What is allowed, in words (`in [0.5, 1]`).
    pub expected: &'static str,
}

impl BadField {
    pub fn new(field: &'static str, value: impl fmt::Display, expected: &'static str) -> Self {
        BadField {
            field,
            value: value.to_string(),
            expected,
        }
    }
}

impl fmt::Display for BadField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} = {}: expected {}",
            self.field, self.value, self.expected
        )
    }
}

/// `a = 1: expected …; b = 2: expected …` for an error message.
pub fn join(fields: &[BadField]) -> String {
    fields
        .iter()
        .map(BadField::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
