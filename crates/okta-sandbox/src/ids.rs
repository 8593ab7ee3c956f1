//! Okta-shaped identifiers (`00u…`, `00g…`, `0oa…`: a 3-char prefix and 17 base62 chars)
//! and timestamps, drawn from a seeded RNG so the same seed rebuilds the same org.

use chrono::{DateTime, SecondsFormat, Utc};
use rand::Rng;
use rand::rngs::StdRng;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Prefixes Okta uses for each kind of object.
pub mod prefix {
    pub const USER: &str = "00u";
    pub const GROUP: &str = "00g";
    pub const APP: &str = "0oa";
    pub const USER_TYPE: &str = "oty";
    pub const POLICY: &str = "00p";
    pub const RULE: &str = "0pr";
    pub const DEVICE_ASSURANCE: &str = "dae";
}

/// `prefix` followed by random base62 up to Okta's 20-character id length.
pub fn okta_id(rng: &mut StdRng, prefix: &str) -> String {
    let mut id = String::with_capacity(20);
    id.push_str(prefix);
    while id.len() < 20 {
        id.push(BASE62[rng.gen_range(0..BASE62.len())] as char);
    }
    id
}

/// `len` random base62 characters (transaction ids, session ids).
pub fn base62(rng: &mut StdRng, len: usize) -> String {
    (0..len)
        .map(|_| BASE62[rng.gen_range(0..BASE62.len())] as char)
        .collect()
}

/// A v4-shaped UUID from the seeded RNG.
pub fn uuid(rng: &mut StdRng) -> String {
    let bytes: [u8; 16] = rng.r#gen();
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// Okta's timestamp format: UTC with milliseconds, e.g. `2024-08-13T15:58:20.353Z`.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn ids_have_okta_shape_and_are_deterministic() {
        let mut a = StdRng::seed_from_u64(7);
        let mut b = StdRng::seed_from_u64(7);
        let id = okta_id(&mut a, prefix::USER);
        assert_eq!(id, okta_id(&mut b, prefix::USER));
        assert_eq!(id.len(), 20);
        assert!(id.starts_with("00u"));
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn timestamps_use_millis_and_z() {
        let t = DateTime::parse_from_rfc3339("2024-08-13T15:58:20.353+00:00")
            .map(|t| t.with_timezone(&Utc))
            .unwrap();
        assert_eq!(timestamp(t), "2024-08-13T15:58:20.353Z");
    }
}
