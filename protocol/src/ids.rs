//! Ids, join codes and scores: the small values whose rules live in their types.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Declares an id that is a number on the inside and `<prefix><number>` on the wire.
macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u32);

        impl $name {
            /// The number after the prefix; also the index the server stores it at.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.strip_prefix($prefix)
                    .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|digits| digits.parse().ok())
                    .map($name)
                    .ok_or_else(|| format!(concat!("expected an id like ", $prefix, "12, got {:?}"), s))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

prefixed_id!(
    /// A participant of one session: `p12`.
    Pid,
    "p"
);
prefixed_id!(
    /// A card of one scoring activity: `c17`.
    CardId,
    "c"
);
prefixed_id!(
    /// A group of one grouping activity: `g3`.
    GroupId,
    "g"
);
prefixed_id!(
    /// A note of one grouping activity: `n40`.
    NoteId,
    "n"
);
prefixed_id!(
    /// A micro-action of one actions activity: `a8`.
    ActionId,
    "a"
);
prefixed_id!(
    /// A Lean Coffee topic: `t0`, `t1`, …
    TopicId,
    "t"
);
prefixed_id!(
    /// A Lean Coffee action item: `i0`, `i1`, …
    ItemId,
    "i"
);
prefixed_id!(
    /// A retrospective's note: `r0`, `r1`, …
    RetroNoteId,
    "r"
);

/// A session's join code: always exactly six ASCII digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JoinCode([u8; 6]);

impl JoinCode {
    /// The code for a number below one million, zero-padded (`42` is `000042`).
    pub fn from_number(number: u32) -> Option<JoinCode> {
        (number < 1_000_000).then(|| {
            let mut digits = [b'0'; 6];
            let mut rest = number;
            for digit in digits.iter_mut().rev() {
                *digit = b'0' + (rest % 10) as u8;
                rest /= 10;
            }
            JoinCode(digits)
        })
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("000000")
    }
}

impl fmt::Display for JoinCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JoinCode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes: [u8; 6] =
            s.as_bytes().try_into().map_err(|_| format!("a join code is six digits, got {s:?}"))?;
        if bytes.iter().all(u8::is_ascii_digit) {
            Ok(JoinCode(bytes))
        } else {
            Err(format!("a join code is six digits, got {s:?}"))
        }
    }
}

impl Serialize for JoinCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for JoinCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// One holder's score of one card: only 1..=5 can exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Score(u8);

impl Score {
    pub const MIN: u8 = 1;
    pub const MAX: u8 = 5;

    pub fn new(value: u8) -> Option<Score> {
        (Self::MIN..=Self::MAX).contains(&value).then_some(Score(value))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Score {
    type Error = String;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Score::new(value).ok_or_else(|| format!("a score is 1 to 5, got {value}"))
    }
}

impl From<Score> for u8 {
    fn from(score: Score) -> u8 {
        score.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_only_their_own_prefix_and_digits() {
        let check = |text: &str, expected: Option<u32>| {
            assert_eq!(text.parse::<CardId>().ok().map(|id| id.0), expected, "{text:?}");
        };
        check("c0", Some(0));
        check("c17", Some(17));
        check("c", None);
        check("p17", None);
        check("c-1", None);
        check("c+1", None);
        check("c1x", None);
        check("c99999999999", None);
    }

    #[test]
    fn join_codes_are_six_digits() {
        let check = |text: &str, ok: bool| assert_eq!(text.parse::<JoinCode>().is_ok(), ok, "{text:?}");
        check("123456", true);
        check("000000", true);
        check("12345", false);
        check("1234567", false);
        check("12345a", false);
        check("١٢٣٤٥٦", false);
        assert_eq!(JoinCode::from_number(42).map(|c| c.to_string()), Some("000042".into()));
        assert_eq!(JoinCode::from_number(1_000_000), None);
    }

    #[test]
    fn scores_are_one_to_five() {
        for value in 0..=u8::MAX {
            assert_eq!(Score::new(value).is_some(), (1..=5).contains(&value));
        }
    }
}
