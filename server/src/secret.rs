//! Facilitator keys and resume tokens: 128 random bits, shown as 32 hex digits, compared in
//! constant time, never logged (their `Debug` hides them).

use std::fmt;

use rand::Rng;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use subtle::ConstantTimeEq;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Secret([u8; 16]);

impl Secret {
    pub fn generate(rng: &mut impl Rng) -> Secret {
        Secret(rng.random())
    }

    /// Reads 32 hex digits; anything else is no secret of ours.
    pub fn parse(text: &str) -> Option<Secret> {
        if text.len() != 32 || !text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return None;
        }
        let mut bytes = [0u8; 16];
        for (byte, pair) in bytes.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
            let pair = std::str::from_utf8(pair).ok()?;
            *byte = u8::from_str_radix(pair, 16).ok()?;
        }
        Some(Secret(bytes))
    }

    pub fn to_hex(&self) -> String {
        self.0.iter().map(|byte| format!("{byte:02x}")).collect()
    }

    /// Whether `offered` is this secret, in time that does not depend on where they differ.
    pub fn matches(&self, offered: &str) -> bool {
        // Parsing looks only at the offered text, so an early return there tells nothing of ours.
        let Some(offered) = Secret::parse(offered) else {
            return false;
        };
        bool::from(self.0.ct_eq(&offered.0))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Secret::parse(&text).ok_or_else(|| serde::de::Error::custom("a secret is 32 hex digits"))
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn secrets_round_trip_and_match_only_themselves() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let secret = Secret::generate(&mut rng);
        let hex = secret.to_hex();
        assert_eq!(hex.len(), 32);
        assert_eq!(Secret::parse(&hex), Some(secret));
        assert!(secret.matches(&hex));
        assert!(secret.matches(&hex.to_uppercase()));
        assert!(!secret.matches(&Secret::generate(&mut rng).to_hex()));
        assert!(!secret.matches(""));
        assert!(!secret.matches(&hex[..31]));
        assert!(!secret.matches(&format!("{}g", &hex[..31])));
        assert!(!secret.matches(&format!("+{}", &hex[1..])));
        assert!(!format!("{secret:?}").contains(&hex));
    }
}
