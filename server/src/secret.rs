//! Facilitator keys and resume tokens: 128 random bits, shown as 32 hex digits, compared in
//! constant time, never logged (their `Debug` hides them). The store keeps only their SHA-256
//! ([`SecretHash`]), so a copy of the data folder lets nobody act as a facilitator or a phone.

use std::fmt;

use rand::Rng;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Secret([u8; 16]);

impl Secret {
    pub fn generate(rng: &mut impl Rng) -> Secret {
        Secret(rng.random())
    }

    /// Reads 32 hex digits; anything else is no secret of ours.
    pub fn parse(text: &str) -> Option<Secret> {
        from_hex(text).map(Secret)
    }

    pub fn to_hex(&self) -> String {
        to_hex(&self.0)
    }

    /// The follow-up token of a participant with this resume token: a secret of its own,
    /// which the server can make again whenever the participant comes back, so it keeps only
    /// its hash; knowing it tells nothing of the resume token.
    pub fn follow_up(&self) -> Secret {
        use sha2::{Digest, Sha256};
        let digest = Sha256::new().chain_update(b"lapp follow-up\0").chain_update(self.0).finalize();
        let mut token = [0; 16];
        token.copy_from_slice(&digest[..16]);
        Secret(token)
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

/// What is kept of a secret: its SHA-256. For 128 random bits a plain hash is enough: there
/// is nothing to guess from it that is cheaper than guessing the secret.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SecretHash([u8; 32]);

impl SecretHash {
    pub fn of(secret: &Secret) -> SecretHash {
        SecretHash(Sha256::digest(secret.0).into())
    }

    /// The hash of an offered secret, if it is one (32 hex digits).
    pub fn of_offered(offered: &str) -> Option<SecretHash> {
        Secret::parse(offered).map(|secret| SecretHash::of(&secret))
    }

    /// Whether `offered` is the secret this was made from, in time that does not depend on
    /// where the hashes differ.
    pub fn matches(&self, offered: &str) -> bool {
        SecretHash::of_offered(offered).is_some_and(|offered| bool::from(self.0.ct_eq(&offered.0)))
    }

    fn to_hex(self) -> String {
        to_hex(&self.0)
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHash(…)")
    }
}

impl Serialize for SecretHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

/// 64 hex digits; 32 are a secret as older stores kept it, hashed on reading.
impl<'de> Deserialize<'de> for SecretHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if let Some(secret) = Secret::parse(&text) {
            return Ok(SecretHash::of(&secret));
        }
        from_hex(&text)
            .map(SecretHash)
            .ok_or_else(|| serde::de::Error::custom("a secret's hash is 64 hex digits"))
    }
}

/// Exactly `2 × N` hex digits, as `N` bytes.
fn from_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let mut bytes = [0u8; N];
    hex::decode_to_slice(text, &mut bytes).ok()?;
    Some(bytes)
}

/// Bytes as lowercase hex digits. Every join writes two (the resume token, and its hash in the
/// stored event); one `format!` per byte took about 20,000 instructions for a hash.
pub fn to_hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
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

    #[test]
    fn a_hash_matches_its_secret_only_and_reads_old_plain_secrets() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(8);
        let secret = Secret::generate(&mut rng);
        let hash = SecretHash::of(&secret);
        assert!(hash.matches(&secret.to_hex()));
        assert!(hash.matches(&secret.to_hex().to_uppercase()));
        assert!(!hash.matches(&Secret::generate(&mut rng).to_hex()));
        assert!(!hash.matches("not a secret"));
        let stored = serde_json::to_string(&hash).expect("serializes");
        assert_eq!(stored.len(), 64 + 2);
        assert!(!stored.contains(&secret.to_hex()), "the secret is not in what is stored");
        assert_eq!(serde_json::from_str::<SecretHash>(&stored).expect("reads back"), hash);
        let old = serde_json::to_string(&secret).expect("serializes");
        assert_eq!(serde_json::from_str::<SecretHash>(&old).expect("reads an old one"), hash);
        assert!(serde_json::from_str::<SecretHash>("\"xyz\"").is_err());
        assert!(!format!("{hash:?}").contains(&stored[1..65]));
    }
}
