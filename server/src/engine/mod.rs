//! The activity engines: deterministic state machines with no I/O.
//!
//! **Architecture Invariant:** nothing under `engine` knows of tokio, sockets or storage.
//! Given a state, a command and a random source an engine returns events or an error;
//! applying events is deterministic, which is what makes the engines property-testable and
//! their event logs replayable.

pub mod actions;
pub mod grouping;
pub mod labels;
pub mod leancoffee;
pub mod retro;
pub mod scoring;

use lapp_protocol::ErrorCode;

/// A command an engine refused: the protocol code and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Refusal {
    pub code: ErrorCode,
    pub message: String,
}

impl Refusal {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Refusal {
        Refusal { code, message: message.into() }
    }
}

/// Whether `c` may stand in text people wrote: no control characters but line breaks, and
/// no bidirectional overrides or isolates, which could make a card display as something else.
pub fn is_allowed_char(c: char) -> bool {
    let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    (c == '\n' || !c.is_control()) && !bidi
}

/// Checks a card's or note's text: cleaned of disallowed characters, trimmed, not empty, not
/// longer than `max_chars`.
pub fn clean_text(text: &str, max_chars: u32) -> Result<String, Refusal> {
    let cleaned: String =
        text.chars().map(|c| if c == '\t' { ' ' } else { c }).filter(|&c| is_allowed_char(c)).collect();
    let trimmed = cleaned.trim();
    if trimmed.is_empty() {
        return Err(Refusal::new(ErrorCode::EmptyText, "the text is empty"));
    }
    if trimmed.chars().count() > max_chars as usize {
        return Err(Refusal::new(
            ErrorCode::TextTooLong,
            format!("the text is longer than {max_chars} characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cleaned_of_controls_and_direction_overrides() {
        let check = |text: &str, expected: Result<&str, ErrorCode>| {
            assert_eq!(
                clean_text(text, 10).map_err(|refusal| refusal.code),
                expected.map(str::to_owned),
                "{text:?}"
            );
        };
        check("  plain  ", Ok("plain"));
        check("two\nlines", Ok("two\nlines"));
        check("tab\there", Ok("tab here"));
        check("bell\u{7}", Ok("bell"));
        check("\u{202E}gnp.exe", Ok("gnp.exe"));
        check("\u{2066}x\u{2069}", Ok("x"));
        check("\u{0}\u{202E}\n", Err(ErrorCode::EmptyText));
        check("elleve tegn", Err(ErrorCode::TextTooLong));
        check("ti tegn ok", Ok("ti tegn ok"));
        check("æøå", Ok("æøå"));
    }
}
