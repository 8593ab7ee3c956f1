//! Seeded MFA factors: a few users who can sign in carry the enrollments a help desk sees
//! (email, SMS, Okta Verify push with its TOTP, a security question, one TOTP still pending
//! activation), shaped as `GET /api/v1/users/{id}/factors` returns them.
//!
//! They are added after the rest of the org is built, from their own random stream, so the
//! seeded users, groups, apps and events are the same with or without them.

use crate::ids::{base62, okta_id, timestamp};
use crate::links;
use crate::org::Org;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

/// How many users get factors: enough for list, reset-one and reset-all tests to each take
/// their own, few enough to leave most users unenrolled, as in a young org.
pub const ENROLLED_USERS: usize = 12;

/// Statuses of users who have signed in and so may have enrolled factors.
const ENROLLABLE: [&str; 5] = [
    "ACTIVE",
    "RECOVERY",
    "PASSWORD_EXPIRED",
    "LOCKED_OUT",
    "SUSPENDED",
];

/// Okta's id prefix for each factor type.
fn id_prefix(factor_type: &str) -> &'static str {
    match factor_type {
        "sms" => "mbl",
        "email" => "emf",
        "push" => "opf",
        "token:software:totp" => "ost",
        "question" => "ufs",
        _ => "fac",
    }
}

/// Adds factors to [`ENROLLED_USERS`] users: the first (in id order) of each status in
/// [`ENROLLABLE`], so every such status has someone enrolled, then more ACTIVE users.
pub fn add(org: &mut Org, seed: u64, now: DateTime<Utc>) {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x0fac_7025_eed0_0000);
    // The seeded admins sign in to the team server in tests; their enrollments stay empty.
    let candidates: Vec<(&String, &Value)> = org
        .users
        .iter()
        .filter(|(id, _)| !id.starts_with("00uzzz"))
        .collect();
    let first_of_each = ENROLLABLE.iter().filter_map(|status| {
        candidates
            .iter()
            .find(|(_, u)| u["status"] == *status)
            .copied()
    });
    let mut chosen: Vec<(&String, &Value)> = first_of_each.collect();
    let more_active: Vec<(&String, &Value)> = candidates
        .iter()
        .filter(|(id, u)| u["status"] == "ACTIVE" && !chosen.iter().any(|(c, _)| c == id))
        .take(ENROLLED_USERS.saturating_sub(chosen.len()))
        .copied()
        .collect();
    chosen.extend(more_active);
    let enrollable: Vec<(String, String)> = chosen
        .into_iter()
        .map(|(id, u)| {
            let email = u["profile"]["email"].as_str().unwrap_or_default();
            (id.clone(), email.to_owned())
        })
        .collect();
    for (index, (user_id, email)) in enrollable.into_iter().enumerate() {
        let mut kinds: Vec<&str> = vec!["email"];
        if index % 2 == 0 {
            kinds.push("sms");
        }
        if index % 3 != 2 {
            kinds.extend(["push", "token:software:totp"]);
        }
        if index % 4 == 1 {
            kinds.push("question");
        }
        let factors = kinds
            .into_iter()
            .map(|kind| {
                let enrolled = now - Duration::days(rng.gen_range(5..400));
                // One TOTP is still waiting for its first code, as right after enrollment.
                let pending = kind == "token:software:totp" && index == 3;
                build(
                    &mut rng,
                    &org.base_url,
                    &user_id,
                    &email,
                    kind,
                    pending,
                    enrolled,
                )
            })
            .collect();
        org.factors.insert(user_id, factors);
    }
}

fn build(
    rng: &mut StdRng,
    base: &str,
    user_id: &str,
    email: &str,
    factor_type: &str,
    pending: bool,
    enrolled: DateTime<Utc>,
) -> Value {
    let id = okta_id(rng, id_prefix(factor_type));
    let status = if pending {
        "PENDING_ACTIVATION"
    } else {
        "ACTIVE"
    };
    let (provider, profile) = match factor_type {
        "sms" => (
            "OKTA",
            json!({"phoneNumber": format!("+1555{:07}", rng.gen_range(0..10_000_000))}),
        ),
        "email" => ("OKTA", json!({"email": email})),
        "push" => (
            "OKTA",
            json!({
                "credentialId": email,
                "deviceType": "SmartPhone_IPhone",
                "name": "iPhone",
                "platform": "IOS",
                "version": "9.0",
            }),
        ),
        "token:software:totp" => ("OKTA", json!({"credentialId": email})),
        _ => (
            "OKTA",
            json!({"question": "favorite_art_piece", "questionText": "What is your favorite piece of art?"}),
        ),
    };
    let at = timestamp(enrolled);
    let mut factor = json!({
        "id": id,
        "factorType": factor_type,
        "provider": provider,
        "vendorName": provider,
        "status": status,
        "created": at,
        "lastUpdated": at,
        "profile": profile,
        "_links": links::factor(base, user_id, &id, factor_type, status),
    });
    if pending {
        // What Okta embeds for a TOTP awaiting activation: the shared secret itself.
        factor["_embedded"] = json!({
            "activation": {
                "timeStep": 30,
                "sharedSecret": base62(rng, 16).to_uppercase(),
                "encoding": "base32",
                "keyLength": 16,
            }
        });
    }
    factor
}

#[cfg(test)]
mod tests {
    use crate::SandboxConfig;
    use chrono::Utc;

    #[test]
    fn a_few_users_who_can_sign_in_have_factors() {
        let now = Utc::now();
        let org = crate::seed::build(&SandboxConfig::default(), "http://127.0.0.1:1", now);
        assert_eq!(org.factors.len(), super::ENROLLED_USERS);
        for (user_id, factors) in &org.factors {
            let status = org.users[user_id]["status"].as_str().unwrap();
            assert!(super::ENROLLABLE.contains(&status), "{status}");
            assert!(factors.iter().any(|f| f["factorType"] == "email"));
            for f in factors {
                assert_eq!(f["id"].as_str().unwrap().len(), 20);
            }
        }
        for status in super::ENROLLABLE {
            assert!(
                org.factors
                    .keys()
                    .any(|id| org.users[id]["status"] == status),
                "{status}"
            );
        }
        let pending: Vec<_> = org
            .factors
            .values()
            .flatten()
            .filter(|f| f["status"] == "PENDING_ACTIVATION")
            .collect();
        assert_eq!(pending.len(), 1);
        assert!(pending[0]["_embedded"]["activation"]["sharedSecret"].is_string());
        // Deterministic like the rest of the seed.
        let again = crate::seed::build(&SandboxConfig::default(), "http://127.0.0.1:1", now);
        assert_eq!(org.factors, again.factors);
    }
}
