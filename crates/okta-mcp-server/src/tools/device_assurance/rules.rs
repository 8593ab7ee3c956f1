//! What each platform's device assurance policy may hold (per Okta's OpenAPI platform
//! schemas), OS version formats, and how a policy is summarised and compared.

use serde_json::{Map, Value, json};

pub const PLATFORMS: [&str; 5] = ["ANDROID", "CHROMEOS", "IOS", "MACOS", "WINDOWS"];

/// Fields Okta sets; dropped from input so a get result can be sent back as a replacement.
pub const READ_ONLY: [&str; 6] = [
    "id",
    "createdBy",
    "createdDate",
    "lastUpdate",
    "lastUpdatedBy",
    "_links",
];

/// Fields every platform takes (the `DeviceAssurance` base schema).
const COMMON: [&str; 5] = [
    "name",
    "platform",
    "gracePeriod",
    "displayRemediationMode",
    "devicePostureChecks",
];

/// The checks a platform supports (its OpenAPI schema's own properties).
pub fn supported(platform: &str) -> &'static [&'static str] {
    match platform {
        "MACOS" => &[
            "osVersion",
            "diskEncryptionType",
            "screenLockType",
            "secureHardwarePresent",
            "thirdPartySignalProviders",
        ],
        "WINDOWS" => &[
            "osVersion",
            "osVersionConstraints",
            "diskEncryptionType",
            "screenLockType",
            "secureHardwarePresent",
            "thirdPartySignalProviders",
        ],
        "IOS" => &[
            "osVersion",
            "jailbreak",
            "screenLockType",
            "thirdPartySignalProviders",
        ],
        "ANDROID" => &[
            "osVersion",
            "diskEncryptionType",
            "jailbreak",
            "screenLockType",
            "secureHardwarePresent",
            "thirdPartySignalProviders",
        ],
        "CHROMEOS" => &["thirdPartySignalProviders"],
        _ => &[],
    }
}

/// The security checks reported in `securityAttributeStatus`.
fn expected(platform: &str) -> &'static [&'static str] {
    match platform {
        "MACOS" | "WINDOWS" => &[
            "osVersion",
            "diskEncryptionType",
            "screenLockType",
            "secureHardwarePresent",
        ],
        "IOS" => &["osVersion", "jailbreak", "screenLockType"],
        "ANDROID" => &[
            "osVersion",
            "diskEncryptionType",
            "jailbreak",
            "screenLockType",
            "secureHardwarePresent",
        ],
        "CHROMEOS" => &["thirdPartySignalProviders"],
        _ => &[],
    }
}

fn disk_values(platform: &str) -> &'static [&'static str] {
    match platform {
        "MACOS" | "WINDOWS" => &["ALL_INTERNAL_VOLUMES"],
        "ANDROID" => &["FULL", "USER"],
        _ => &[],
    }
}

/// Checks a version string for a platform: iOS and macOS take X.Y.Z, Windows 10.0.build
/// (optionally .revision), Android one to four components (a bare major is valid there).
pub fn check_version(platform: &str, version: &str) -> Result<(), String> {
    let parts: Vec<&str> = version.split('.').collect();
    if parts
        .iter()
        .any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(format!(
            "OS version {version:?} must be dot-separated numbers, e.g. 17.4.1"
        ));
    }
    match platform {
        "IOS" | "MACOS" if parts.len() != 3 => Err(format!(
            "{platform} versions need exactly three parts (major.minor.patch), e.g. 17.4.1; {version:?} is ambiguous — ask the user for the exact patch version"
        )),
        "WINDOWS" if !(3..=4).contains(&parts.len()) || parts[0] != "10" || parts[1] != "0" => {
            Err(format!(
                "Windows versions are 10.0.build[.revision] (Windows 10 and 11 both report 10.0), e.g. 10.0.22631; got {version:?}"
            ))
        }
        "ANDROID" if parts.len() > 4 => Err(format!(
            "Android versions have at most four parts, e.g. 14 or 13.0.0; got {version:?}"
        )),
        "CHROMEOS" => Err(
            "ChromeOS device assurance has no OS version check; use thirdPartySignalProviders (Chrome Device Trust)".into(),
        ),
        _ => Ok(()),
    }
}

/// Numeric comparison of dotted versions; missing parts count as 0. None if unparsable.
pub fn compare(a: &str, b: &str) -> Option<std::cmp::Ordering> {
    let parse = |v: &str| -> Option<Vec<u64>> { v.split('.').map(|p| p.parse().ok()).collect() };
    let (mut x, mut y) = (parse(a)?, parse(b)?);
    let len = x.len().max(y.len());
    x.resize(len, 0);
    y.resize(len, 0);
    Some(x.cmp(&y))
}

/// Validates a policy body against its platform; every problem is listed at once.
pub fn validate(body: &Map<String, Value>) -> Result<(), String> {
    let mut problems = Vec::new();
    if body
        .get("name")
        .and_then(Value::as_str)
        .is_none_or(|n| n.trim().is_empty())
    {
        problems.push("name is required".to_owned());
    }
    let platform = body.get("platform").and_then(Value::as_str).unwrap_or("");
    if !PLATFORMS.contains(&platform) {
        problems.push(format!("platform must be one of {}", PLATFORMS.join(", ")));
        return Err(problems.join("; "));
    }
    let allowed = supported(platform);
    for key in body.keys() {
        if !COMMON.contains(&key.as_str()) && !allowed.contains(&key.as_str()) {
            problems.push(format!(
                "{key} is not supported on {platform} (supported: {})",
                allowed.join(", ")
            ));
        }
    }
    if let Some(os) = body.get("osVersion").filter(|v| !v.is_null()) {
        let minimum = os.get("minimum");
        let dynamic = os.get("dynamicVersionRequirement");
        match (minimum, dynamic) {
            (Some(_), Some(_)) => problems.push(
                "osVersion takes either minimum or dynamicVersionRequirement, not both".into(),
            ),
            (Some(Value::String(v)), None) => {
                if let Err(e) = check_version(platform, v) {
                    problems.push(e);
                }
            }
            (Some(_), None) => problems.push("osVersion.minimum must be a string".into()),
            (None, Some(_)) => {}
            (None, None) => {
                problems.push("osVersion needs minimum (e.g. {\"minimum\":\"17.4.1\"})".into())
            }
        }
    }
    if let Some(disk) = body.get("diskEncryptionType").filter(|v| !v.is_null()) {
        check_include(
            &mut problems,
            "diskEncryptionType",
            disk,
            disk_values(platform),
        );
    }
    if let Some(lock) = body.get("screenLockType").filter(|v| !v.is_null()) {
        check_include(
            &mut problems,
            "screenLockType",
            lock,
            &["PASSCODE", "BIOMETRIC"],
        );
    }
    if let Some(v) = body.get("secureHardwarePresent")
        && !v.is_boolean()
    {
        problems.push("secureHardwarePresent must be true or false".into());
    }
    match body.get("jailbreak") {
        None | Some(Value::Bool(false)) => {}
        Some(_) => problems.push(
            "jailbreak must be false (it blocks jailbroken or rooted devices); leave it out to not check"
                .into(),
        ),
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

fn check_include(problems: &mut Vec<String>, field: &str, value: &Value, allowed: &[&str]) {
    let Some(items) = value.get("include").and_then(Value::as_array) else {
        problems.push(format!(
            "{field} must look like {{\"include\": [\"{}\"]}}",
            allowed.first().unwrap_or(&"…")
        ));
        return;
    };
    for item in items {
        if item.as_str().is_none_or(|s| !allowed.contains(&s)) {
            problems.push(format!(
                "{field}: {item} is not one of {}",
                allowed.join(", ")
            ));
        }
    }
}

/// Adds `securityAttributeStatus`: configured / not_configured for each check the platform
/// offers, so a reader sees what a policy leaves unchecked.
pub fn enrich(mut policy: Value) -> Value {
    let platform = policy["platform"].as_str().unwrap_or("").to_owned();
    let status: Map<String, Value> = expected(&platform)
        .iter()
        .map(|attr| {
            let set = policy.get(*attr).is_some_and(|v| !v.is_null());
            let state = if set { "configured" } else { "not_configured" };
            ((*attr).to_owned(), json!(state))
        })
        .collect();
    if let Some(map) = policy.as_object_mut() {
        map.insert("securityAttributeStatus".into(), Value::Object(status));
    }
    policy
}

/// The attributes that differ between two versions of a policy, each with what it means.
pub fn changes(before: &Value, after: &Value) -> Vec<Value> {
    let mut keys: Vec<&String> = Vec::new();
    for side in [before, after] {
        if let Some(map) = side.as_object() {
            for k in map.keys() {
                if !READ_ONLY.contains(&k.as_str()) && !keys.contains(&k) {
                    keys.push(k);
                }
            }
        }
    }
    keys.into_iter()
        .filter(|k| before.get(k.as_str()) != after.get(k.as_str()))
        .map(|k| {
            let (b, a) = (
                before.get(k.as_str()).cloned().unwrap_or(Value::Null),
                after.get(k.as_str()).cloned().unwrap_or(Value::Null),
            );
            json!({"attribute": k, "before": b, "after": a, "implication": implication(k, &b, &a)})
        })
        .collect()
}

fn implication(attribute: &str, before: &Value, after: &Value) -> String {
    let added = before.is_null() && !after.is_null();
    let removed = !before.is_null() && after.is_null();
    match attribute {
        "osVersion" => {
            let (b, a) = (before["minimum"].as_str(), after["minimum"].as_str());
            match (b, a) {
                (Some(b), Some(a)) => match compare(a, b) {
                    Some(std::cmp::Ordering::Greater) => format!(
                        "Stricter: devices below {a} (previously {b}) will now fail this check."
                    ),
                    Some(std::cmp::Ordering::Less) => {
                        format!("Looser: devices from {a} up (previously {b}) will now pass.")
                    }
                    _ => "OS version requirement rewritten.".into(),
                },
                (None, Some(a)) => format!("Devices below {a} will now fail this check."),
                (Some(_), None) if removed => "The OS version is no longer checked.".into(),
                _ => "OS version requirement changed.".into(),
            }
        }
        "diskEncryptionType" if added => "Devices must now have disk encryption.".into(),
        "diskEncryptionType" if removed => "Disk encryption is no longer required.".into(),
        "screenLockType" if added => "Devices must now have a screen lock.".into(),
        "screenLockType" if removed => "A screen lock is no longer required.".into(),
        "secureHardwarePresent" if after == &json!(true) => {
            "Devices must now have secure hardware (TPM / Secure Enclave).".into()
        }
        "secureHardwarePresent" => "Secure hardware is no longer required.".into(),
        "jailbreak" if after == &json!(false) => {
            "Jailbroken or rooted devices are now blocked.".into()
        }
        "jailbreak" => "Jailbroken or rooted devices are no longer checked.".into(),
        "name" => "Renamed.".into(),
        _ if added => format!("{attribute} is now required."),
        _ if removed => format!("{attribute} is no longer checked."),
        _ => format!("{attribute} changed."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

    #[test]
    fn versions_follow_each_platform() {
        assert!(check_version("IOS", "17.4.1").is_ok());
        assert!(
            check_version("MACOS", "14.2")
                .unwrap_err()
                .contains("exact patch")
        );
        assert!(check_version("IOS", "17.4.1.2").is_err());
        assert!(
            check_version("ANDROID", "14").is_ok(),
            "major-only is valid on Android"
        );
        assert!(check_version("ANDROID", "13.0.0.1").is_ok());
        assert!(check_version("ANDROID", "1.2.3.4.5").is_err());
        assert!(check_version("WINDOWS", "10.0.22631").is_ok());
        assert!(check_version("WINDOWS", "10.0.19045.3803").is_ok());
        assert!(check_version("WINDOWS", "11.0.1").is_err());
        assert!(check_version("CHROMEOS", "120.0.1").is_err());
        assert!(check_version("IOS", "17.x.1").is_err());
        assert!(check_version("IOS", "17..1").is_err());
    }

    #[test]
    fn compares_numerically() {
        assert_eq!(compare("10.0.9", "10.0.10"), Some(Ordering::Less));
        assert_eq!(compare("14", "14.0.0"), Some(Ordering::Equal));
        assert_eq!(compare("14.1", "14.0.9"), Some(Ordering::Greater));
        assert_eq!(compare("x", "1"), None);
    }

    #[test]
    fn platform_rules_follow_okta_schemas() {
        let ok = |v: Value| validate(v.as_object().unwrap());
        assert!(ok(json!({"name": "Mac", "platform": "MACOS", "osVersion": {"minimum": "14.2.1"},
            "diskEncryptionType": {"include": ["ALL_INTERNAL_VOLUMES"]}, "secureHardwarePresent": true,
            "screenLockType": {"include": ["PASSCODE", "BIOMETRIC"]}})).is_ok());
        assert!(
            ok(
                json!({"name": "Droid", "platform": "ANDROID", "osVersion": {"minimum": "13"},
            "diskEncryptionType": {"include": ["FULL"]}, "jailbreak": false})
            )
            .is_ok()
        );
        let e = ok(
            json!({"name": "i", "platform": "IOS", "diskEncryptionType": {"include": ["FULL"]}}),
        )
        .unwrap_err();
        assert!(
            e.contains("diskEncryptionType is not supported on IOS"),
            "{e}"
        );
        let e = ok(json!({"name": "w", "platform": "WINDOWS", "jailbreak": false})).unwrap_err();
        assert!(e.contains("jailbreak is not supported on WINDOWS"), "{e}");
        let e = ok(json!({"name": "c", "platform": "CHROMEOS", "osVersion": {"minimum": "1.2.3"}}))
            .unwrap_err();
        assert!(e.contains("osVersion is not supported on CHROMEOS"), "{e}");
        let e = ok(json!({"name": "a", "platform": "ANDROID", "jailbreak": true})).unwrap_err();
        assert!(e.contains("jailbreak must be false"), "{e}");
        let e = ok(
            json!({"name": "m", "platform": "MACOS", "diskEncryptionType": {"include": ["FULL"]}}),
        )
        .unwrap_err();
        assert!(e.contains("ALL_INTERNAL_VOLUMES"), "{e}");
        let e = ok(json!({"platform": "BEOS"})).unwrap_err();
        assert!(
            e.contains("name is required") && e.contains("platform must be"),
            "{e}"
        );
        assert!(ok(json!({"name": "dyn", "platform": "IOS", "osVersion": {"dynamicVersionRequirement": {"type": "EXACT_ANY_SUPPORTED"}}})).is_ok());
    }

    #[test]
    fn enrichment_and_changes() {
        let p = enrich(json!({"platform": "IOS", "osVersion": {"minimum": "17.0.0"}}));
        assert_eq!(p["securityAttributeStatus"]["osVersion"], "configured");
        assert_eq!(p["securityAttributeStatus"]["jailbreak"], "not_configured");
        let before = json!({"id": "dae1", "name": "A", "osVersion": {"minimum": "16.0.0"}, "lastUpdate": "x"});
        let after = json!({"id": "dae1", "name": "A", "osVersion": {"minimum": "17.4.1"}, "jailbreak": false, "lastUpdate": "y"});
        let c = changes(&before, &after);
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!(c[0]["attribute"], "osVersion");
        assert!(
            c[0]["implication"]
                .as_str()
                .unwrap()
                .starts_with("Stricter")
        );
        assert_eq!(c[1]["attribute"], "jailbreak");
    }
}
