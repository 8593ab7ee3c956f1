//! MCP prompts (`prompts/list`, `prompts/get`): the workflows admins run most, each a
//! numbered plan naming the tools to use in order, with dry runs and confirmations where
//! they belong. A prompt is declared once here (name, arguments, the tools it names and how
//! it renders); a test checks that every tool it names is in the registry, so a renamed
//! tool cannot leave a prompt pointing at nothing.

use rmcp::ErrorData;
use rmcp::model::{GetPromptResult, JsonObject, Prompt, PromptArgument, PromptMessage, Role};
use std::collections::BTreeMap;

/// One argument a prompt takes.
pub struct PromptArg {
    pub name: &'static str,
    pub description: &'static str,
    pub required: bool,
}

/// One prompt: what `prompts/list` shows and how `prompts/get` renders it.
pub struct PromptDef {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub arguments: &'static [PromptArg],
    /// Every tool the rendered steps may name (checked against the registry by a test).
    pub tools: &'static [&'static str],
    /// The message text for checked arguments, or what is wrong with them.
    render: fn(&Args) -> Result<String, String>,
}

/// A prompt's arguments after the common checks (known names, strings, one line).
pub struct Args(BTreeMap<String, String>);

impl Args {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

/// Longest argument value taken (a login is at most 100 characters, an app label 100).
const MAX_ARGUMENT_CHARS: usize = 256;

/// Every prompt, in the order `prompts/list` shows them.
pub const PROMPTS: &[PromptDef] = &[
    PromptDef {
        name: "offboard_user",
        title: "Offboard a user",
        description: "Offboard a leaving user step by step: sessions, factors, app assignments, groups, then deactivation, each change dry-run first and confirmed.",
        arguments: &[PromptArg {
            name: "user",
            description: "The user's ID (00u…) or login, e.g. jane.doe@acme.com",
            required: true,
        }],
        tools: &[
            "get_user",
            "clear_user_sessions",
            "list_user_factors",
            "reset_all_user_factors",
            "list_user_applications",
            "list_application_users",
            "unassign_user_from_application",
            "list_user_groups",
            "remove_user_from_group",
            "deactivate_user",
            "delete_deactivated_user",
        ],
        render: offboard_user,
    },
    PromptDef {
        name: "investigate_failed_sign_ins",
        title: "Investigate failed sign-ins",
        description: "Find out why sign-ins fail for a user or from an IP address: log summary, the failures, the user's status and factors. Read-only.",
        arguments: &[
            PromptArg {
                name: "user",
                description: "The user's ID (00u…) or login (give this or ip)",
                required: false,
            },
            PromptArg {
                name: "ip",
                description: "The client IP address, e.g. 203.0.113.7 (give this or user)",
                required: false,
            },
            PromptArg {
                name: "since",
                description: "Start of the window, ISO 8601 (default: 24 hours ago)",
                required: false,
            },
        ],
        tools: &[
            "summarize_logs",
            "get_login_failures",
            "get_user",
            "list_user_factors",
            "unlock_user",
            "reset_user_password",
        ],
        render: investigate_failed_sign_ins,
    },
    PromptDef {
        name: "access_review",
        title: "Access review",
        description: "Review who has access to an app (users and groups), or who holds admin roles, and flag what looks wrong. Read-only.",
        arguments: &[PromptArg {
            name: "target",
            description: "An app's ID (0oa…) or label, or `admin roles` to review administrators",
            required: true,
        }],
        tools: &[
            "get_application",
            "list_applications",
            "list_application_groups",
            "list_application_users",
            "list_group_users",
            "unassign_user_from_application",
            "unassign_group_from_application",
            "list_admins",
            "list_user_admin_roles",
            "list_group_admin_roles",
            "get_user",
        ],
        render: access_review,
    },
];

/// What `prompts/list` answers.
pub fn list() -> Vec<Prompt> {
    PROMPTS
        .iter()
        .map(|p| {
            let arguments = p
                .arguments
                .iter()
                .map(|a| {
                    PromptArgument::new(a.name)
                        .with_description(a.description)
                        .with_required(a.required)
                })
                .collect();
            Prompt::new(p.name, Some(p.description), Some(arguments)).with_title(p.title)
        })
        .collect()
}

/// What `prompts/get` answers: the rendered prompt, with a note naming the tools it uses
/// that this server does not offer (read-only mode, `--toolsets`, scopes), so the assistant
/// says which steps cannot be done here instead of calling tools that are not there.
pub fn get(
    name: &str,
    arguments: Option<&JsonObject>,
    offered: &dyn Fn(&str) -> bool,
) -> Result<GetPromptResult, ErrorData> {
    let prompt = PROMPTS.iter().find(|p| p.name == name).ok_or_else(|| {
        let known: Vec<&str> = PROMPTS.iter().map(|p| p.name).collect();
        ErrorData::invalid_params(
            format!("unknown prompt {name:?}; known: {}", known.join(", ")),
            None,
        )
    })?;
    let args = check_arguments(prompt, arguments)
        .map_err(|problem| ErrorData::invalid_params(format!("{name}: {problem}"), None))?;
    let mut text = (prompt.render)(&args)
        .map_err(|problem| ErrorData::invalid_params(format!("{name}: {problem}"), None))?;
    let missing: Vec<String> = prompt
        .tools
        .iter()
        .filter(|t| text.contains(&format!("`{t}`")) && !offered(t))
        .map(|t| format!("`{t}`"))
        .collect();
    if !missing.is_empty() {
        text.push_str(&format!(
            "\n\nNot available on this server (read-only mode, the enabled toolsets or missing scopes): {}. Skip the steps that need them and tell me which were skipped.",
            missing.join(", ")
        ));
    }
    Ok(
        GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
            .with_description(prompt.description),
    )
}

/// Known names, string values, one line each, not too long; required ones present.
fn check_arguments(prompt: &PromptDef, arguments: Option<&JsonObject>) -> Result<Args, String> {
    let mut out = BTreeMap::new();
    for (key, value) in arguments.into_iter().flatten() {
        if !prompt.arguments.iter().any(|a| a.name == key.as_str()) {
            let known: Vec<&str> = prompt.arguments.iter().map(|a| a.name).collect();
            return Err(format!(
                "unknown argument {key:?}; this prompt takes {}",
                known.join(", ")
            ));
        }
        let Some(text) = value.as_str() else {
            return Err(format!("argument {key} must be a string, not {value}"));
        };
        let text = text.trim();
        if text.chars().any(char::is_control) {
            return Err(format!("argument {key} must be a single line of text"));
        }
        if text.chars().count() > MAX_ARGUMENT_CHARS {
            return Err(format!(
                "argument {key} is longer than {MAX_ARGUMENT_CHARS} characters"
            ));
        }
        if !text.is_empty() {
            out.insert(key.clone(), text.to_owned());
        }
    }
    for arg in prompt.arguments.iter().filter(|a| a.required) {
        if !out.contains_key(arg.name) {
            return Err(format!(
                "the argument {} is required: {}",
                arg.name, arg.description
            ));
        }
    }
    Ok(Args(out))
}

/// A value to be quoted inside an Okta filter expression: no quotes or backslashes.
fn filter_safe<'a>(name: &str, value: &'a str) -> Result<&'a str, String> {
    if value.contains(['"', '\\', '`']) {
        return Err(format!(
            "argument {name} must not contain quotes, backticks or backslashes"
        ));
    }
    Ok(value)
}

fn offboard_user(args: &Args) -> Result<String, String> {
    let user = filter_safe("user", args.get("user").unwrap_or_default())?;
    Ok(format!(
        "Offboard the Okta user \"{user}\". Work through these steps in order. Before each change, tell me what you found and what you are about to do. Every change accepts `dry_run: true`: run it as a dry run first, show me the plan, and only then run it for real; destructive steps also ask me to confirm.

1. Look the user up with `get_user` (user_id: \"{user}\"). Note their id, login and status. Stop and tell me if they are not found or already DEPROVISIONED.
2. End their sessions with `clear_user_sessions`, revoking their OAuth tokens too.
3. List their factors with `list_user_factors`, then reset them all with `reset_all_user_factors`.
4. List the apps they reach with `list_user_applications`. For each app, `list_application_users` (q: their login) shows how they have it: scope USER is a direct assignment, which you remove with `unassign_user_from_application`; scope GROUP comes from a group and goes with step 5.
5. List their groups with `list_user_groups` and remove them from each with `remove_user_from_group` (skip Everyone and other groups Okta manages).
6. Deactivate the account with `deactivate_user`. Do not delete it with `delete_deactivated_user` unless I ask: deletion cannot be undone.
7. Summarize what was done, what was skipped and why."
    ))
}

fn investigate_failed_sign_ins(args: &Args) -> Result<String, String> {
    let user = args
        .get("user")
        .map(|u| filter_safe("user", u))
        .transpose()?;
    let ip = args
        .get("ip")
        .map(|ip| {
            ip.parse::<std::net::IpAddr>()
                .map(|parsed| parsed.to_string())
                .map_err(|_| format!("argument ip {ip:?} is not an IP address, e.g. 203.0.113.7"))
        })
        .transpose()?;
    let since = match args.get("since") {
        Some(since) => {
            chrono::DateTime::parse_from_rfc3339(since).map_err(|_| {
                format!(
                    "argument since {since:?} is not an ISO 8601 time, e.g. 2026-12-01T00:00:00Z"
                )
            })?;
            format!("since: \"{since}\"")
        }
        None => "the default window (the last 24 hours)".to_owned(),
    };
    let failures = "outcome.result eq \\\"FAILURE\\\"";
    let (subject, filter, failures_args, status_step) = match (&user, &ip) {
        (Some(user), None) => (
            format!("the user \"{user}\""),
            format!("{failures} and actor.alternateId eq \\\"{user}\\\""),
            format!("user_id: \"{user}\""),
            format!(
                "3. Check the account with `get_user` (user_id: \"{user}\"): status (LOCKED_OUT, PASSWORD_EXPIRED, SUSPENDED, RECOVERY), lastLogin and passwordChanged. Then `list_user_factors` for the factors they have enrolled and their status."
            ),
        ),
        (None, Some(ip)) => (
            format!("the IP address {ip}"),
            format!("{failures} and client.ipAddress eq \\\"{ip}\\\""),
            format!("q: \"{ip}\""),
            "3. For the users this IP failed for most (from the summary), check each with `get_user` (status, lastLogin) and `list_user_factors`. Many different users from one IP suggests password spraying or credential stuffing.".to_owned(),
        ),
        (Some(user), Some(ip)) => (
            format!("the user \"{user}\" from the IP address {ip}"),
            format!(
                "{failures} and actor.alternateId eq \\\"{user}\\\" and client.ipAddress eq \\\"{ip}\\\""
            ),
            format!("user_id: \"{user}\", q: \"{ip}\""),
            format!(
                "3. Check the account with `get_user` (user_id: \"{user}\"): status, lastLogin and passwordChanged. Then `list_user_factors` for their enrolled factors."
            ),
        ),
        (None, None) => {
            return Err(
                "give the argument user (an ID or login) or ip (an IP address), or both".into(),
            );
        }
    };
    Ok(format!(
        "Investigate the failed sign-ins of {subject} in {since}. Only read: change nothing unless I ask.

1. Get the overview with `summarize_logs` (filter: \"{filter}\", and {since}): which event types, outcomes, reasons, users, IPs and countries, and when.
2. Read the individual failures with `get_login_failures` ({failures_args}): the reason of each, the client (IP, location, user agent) and the time.
{status_step}
4. Conclude with the most likely cause (a forgotten or expired password, a lockout, a factor problem, a policy denying the sign-in, or an attack) and the evidence for it, and suggest next steps such as `unlock_user` or `reset_user_password`, but run none of them without my go-ahead."
    ))
}

fn access_review(args: &Args) -> Result<String, String> {
    let target = filter_safe("target", args.get("target").unwrap_or_default())?;
    let folded = target.to_ascii_lowercase().replace(['_', '-'], " ");
    if matches!(
        folded.as_str(),
        "admin roles" | "admin" | "admins" | "administrators" | "roles"
    ) {
        return Ok("Review who holds Okta admin roles. Only read: change nothing unless I ask.

1. List every user and group holding an admin role with `list_admins`: the role, how it is granted and its targets.
2. For each user in it, `get_user` (status, lastLogin) and `list_user_admin_roles` (their roles and targets). For each group, `list_group_admin_roles`, and `list_group_users` for the people who hold the role through it.
3. Flag: more than a handful of Super Administrators; admins who are not ACTIVE or have not signed in for 90 days; roles granted through groups (anyone added to the group becomes an admin); org-wide roles that could be limited to targets.
4. Report a table (who, role, granted directly or through which group, targets, status, last sign-in) followed by the findings and the changes you would suggest."
            .to_owned());
    }
    let find = if target.starts_with("0oa") {
        format!("Get the app with `get_application` (app_id: \"{target}\").")
    } else {
        format!(
            "Find the app with `list_applications` (q: \"{target}\"); if several match, ask me which one."
        )
    };
    Ok(format!(
        "Review who has access to the app \"{target}\". Only read: change nothing unless I ask.

1. {find} Note its label, status and sign-on mode.
2. List the groups assigned to it with `list_application_groups` (priority, app profile), and for each group `list_group_users` for the people it brings.
3. List everyone assigned with `list_application_users` (include_user: true, fetch_all: true): scope USER is a direct assignment, GROUP comes through a group.
4. Flag: users who are not ACTIVE (SUSPENDED, LOCKED_OUT, DEPROVISIONED) yet still assigned; direct assignments that a group assignment already covers; large or broad groups (such as Everyone) assigned to a sensitive app; app profiles that grant elevated roles.
5. Report who has access and how, then the findings. Suggest removals (`unassign_user_from_application`, `unassign_group_from_application`) but make none without my go-ahead; when I agree, dry-run each first."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(value: serde_json::Value) -> JsonObject {
        value.as_object().cloned().unwrap()
    }

    /// Every rendering of every prompt, for the checks below.
    fn renderings() -> Vec<(&'static PromptDef, String)> {
        let cases = [
            ("offboard_user", json!({"user": "jane.doe@acme.com"})),
            (
                "investigate_failed_sign_ins",
                json!({"user": "jane.doe@acme.com"}),
            ),
            ("investigate_failed_sign_ins", json!({"ip": "203.0.113.7"})),
            (
                "investigate_failed_sign_ins",
                json!({"user": "00u1", "ip": "::1", "since": "2026-12-01T00:00:00Z"}),
            ),
            ("access_review", json!({"target": "0oa1abcd"})),
            ("access_review", json!({"target": "Salesforce"})),
            ("access_review", json!({"target": "Admin roles"})),
        ];
        cases
            .into_iter()
            .map(|(name, a)| {
                let prompt = PROMPTS.iter().find(|p| p.name == name).unwrap();
                let checked = check_arguments(prompt, Some(&args(a))).unwrap();
                (prompt, (prompt.render)(&checked).unwrap())
            })
            .collect()
    }

    /// Words in backticks that look like tool names (lower snake case, no spaces or colons).
    fn named_tools(text: &str) -> Vec<&str> {
        text.split('`')
            .skip(1)
            .step_by(2)
            .filter(|w| w.contains('_') && w.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .collect()
    }

    #[test]
    fn a_prompt_names_only_tools_it_declares_and_uses_each_one() {
        let mut used: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (prompt, text) in renderings() {
            for tool in named_tools(&text) {
                assert!(
                    prompt.tools.contains(&tool),
                    "{} names `{tool}` without declaring it",
                    prompt.name
                );
                used.entry(prompt.name).or_default().push(tool.to_owned());
            }
        }
        for prompt in PROMPTS {
            for tool in prompt.tools {
                assert!(
                    used[prompt.name].iter().any(|u| u == tool),
                    "{} declares {tool} but no rendering names it",
                    prompt.name
                );
            }
        }
    }

    /// A prompt that names a tool the server does not have sends the model nowhere.
    #[test]
    fn every_tool_a_prompt_names_is_in_the_registry() {
        let registry: Vec<&str> = crate::tools::all_tools()
            .iter()
            .map(|t| t.spec.name)
            .collect();
        let missing: Vec<(&str, &str)> = PROMPTS
            .iter()
            .flat_map(|p| p.tools.iter().map(move |t| (p.name, *t)))
            .filter(|(_, t)| !registry.contains(t))
            .collect();
        assert!(missing.is_empty(), "prompt → unknown tool: {missing:?}");
    }

    #[test]
    fn bad_arguments_are_refused_with_what_to_give() {
        let all = |_: &str| true;
        let message = |name: &str, a: serde_json::Value| {
            get(name, Some(&args(a)), &all)
                .unwrap_err()
                .message
                .to_string()
        };
        let m = message("offboard_user", json!({}));
        assert!(m.contains("user is required") && m.contains("login"), "{m}");
        let m = message("investigate_failed_sign_ins", json!({}));
        assert!(m.contains("user") && m.contains("ip"), "{m}");
        let m = message("investigate_failed_sign_ins", json!({"ip": "1.2.3"}));
        assert!(m.contains("not an IP address"), "{m}");
        let m = message(
            "investigate_failed_sign_ins",
            json!({"user": "a", "since": "yesterday"}),
        );
        assert!(m.contains("ISO 8601"), "{m}");
        let m = message("offboard_user", json!({"user": "a\" or x"}));
        assert!(m.contains("quotes"), "{m}");
        let m = message("offboard_user", json!({"user": "a\nb"}));
        assert!(m.contains("single line"), "{m}");
        let m = message("offboard_user", json!({"user": 7}));
        assert!(m.contains("string"), "{m}");
        let m = message("offboard_user", json!({"user": "a", "login": "b"}));
        assert!(m.contains("unknown argument \"login\""), "{m}");
        let m = message("nope", json!({}));
        assert!(
            m.contains("unknown prompt") && m.contains("access_review"),
            "{m}"
        );
        assert!(get("offboard_user", None, &all).is_err());
    }

    #[test]
    fn tools_the_server_does_not_offer_are_named_in_a_note() {
        let a = args(json!({"user": "jane@acme.com"}));
        let all = get("offboard_user", Some(&a), &|_| true).unwrap();
        let text = serde_json::to_value(&all.messages[0]).unwrap()["content"]["text"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(!text.contains("Not available"), "{text}");
        assert!(text.contains("\"jane@acme.com\""), "{text}");
        let reads_only = get("offboard_user", Some(&a), &|t| {
            t.starts_with("list_") || t.starts_with("get_")
        })
        .unwrap();
        let text = serde_json::to_value(&reads_only.messages[0]).unwrap()["content"]["text"]
            .as_str()
            .unwrap()
            .to_owned();
        let note = text.split("Not available").nth(1).expect("a note");
        assert!(
            note.contains("`deactivate_user`") && !note.contains("`get_user`"),
            "{note}"
        );
    }
}
