//! Email previews: Okta renders `${…}` template variables with sample values of the admin
//! asking; the sandbox uses one fixed sample user so previews are predictable.

/// Sample values for the variables Okta's templates use.
fn sample(variable: &str, base_url: &str, brand_name: &str) -> Option<String> {
    let value = match variable {
        "user.profile.firstName" => "John".to_owned(),
        "user.profile.lastName" => "Doe".to_owned(),
        "user.profile.login" | "user.profile.email" => "john.doe@example.com".to_owned(),
        "user.profile.locale" => "en_US".to_owned(),
        "org.name" => "Acme Sandbox".to_owned(),
        "org.subDomain" => "acme-sandbox".to_owned(),
        "brand.name" => brand_name.to_owned(),
        "baseURL" => base_url.to_owned(),
        "activationLink" | "registrationActivationLink" => {
            format!("{base_url}/welcome/drpt3PpClRXkBqK6Xcd9")
        }
        "resetPasswordLink" => format!("{base_url}/signin/reset-password/XE6wE17zmphl3KqAPFxO"),
        "unlockAccountLink" => format!("{base_url}/signin/unlock/XE6wE17zmphl3KqAPFxO"),
        "verificationLink" => format!("{base_url}/signin/verify/XE6wE17zmphl3KqAPFxO"),
        "verificationToken" | "oneTimePassword" => "123456".to_owned(),
        _ => return None,
    };
    Some(value)
}

/// Replaces every known `${variable}`; unknown ones are left as written.
pub fn render(text: &str, base_url: &str, brand_name: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                let name = after[..end].trim();
                match sample(name, base_url, brand_name) {
                    Some(value) => out.push_str(&value),
                    None => out.push_str(&rest[start..start + 2 + end + 1]),
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn known_variables_are_filled_and_others_kept() {
        let out = render(
            "Hi ${user.profile.firstName} of ${org.name}: ${activationLink} ${custom.thing} ${",
            "http://127.0.0.1:1",
            "Okta Default",
        );
        assert_eq!(
            out,
            "Hi John of Acme Sandbox: http://127.0.0.1:1/welcome/drpt3PpClRXkBqK6Xcd9 ${custom.thing} ${"
        );
        assert_eq!(render("<p>ünï</p>", "b", "n"), "<p>ünï</p>");
    }
}
