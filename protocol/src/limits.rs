//! The bounds every peer keeps. The server enforces them; clients may use them to warn early.

/// The protocol version this crate speaks (`join.v`).
pub const PROTOCOL_VERSION: u32 = 1;

/// Largest text frame the server reads as a request (bytes); larger ones get `too_large`.
pub const MAX_FRAME_BYTES: usize = 16 * 1024;

/// Longest participant name or zone, in characters.
pub const MAX_NAME_CHARS: usize = 40;

/// Longest card or note text any activity may allow, in characters.
pub const MAX_TEXT_CHARS: usize = 1_000;

/// Longest session title and activity prompt, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_PROMPT_CHARS: usize = 500;

/// Most activities in one session's agenda.
pub const MAX_AGENDA_ITEMS: usize = 20;

/// Most scoring rounds an activity may have.
pub const MAX_ROUNDS: u32 = 10;

/// Longest countdown a facilitator may set, in seconds (two hours).
pub const MAX_TIMER_SECONDS: u32 = 7_200;

/// The token clients send back in `join.resume`, and the facilitator key: 128 bits in hex.
pub const SECRET_HEX_CHARS: usize = 32;

/// Longest contact line a participant leaves for their buddy, in characters.
pub const MAX_CONTACT_CHARS: usize = 100;

/// Longest note on a follow-up status, in characters.
pub const MAX_STATUS_NOTE_CHARS: usize = 280;

/// Most follow-up days an actions activity may have, and the latest of them.
pub const MAX_FOLLOW_UP_DAYS: usize = 5;
pub const MAX_FOLLOW_UP_DAY: u32 = 365;
