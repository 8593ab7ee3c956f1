//! Shows a device authorization to the person at the keyboard: on stderr (stdout belongs to
//! JSON-RPC) and in a browser when the machine has a desktop.

use okta_auth::{Authenticator, DevicePrompt};

pub fn install(auth: &Authenticator) {
    auth.on_device_prompt(|prompt: &DevicePrompt| {
        eprintln!(
            "okta-mcp-server: Okta sign-in needed. Open {} and confirm the code {} (valid for {} minutes).",
            prompt.verification_uri_complete,
            prompt.user_code,
            prompt.expires_in / 60
        );
        open_browser(&prompt.verification_uri_complete);
    });
}

/// Best effort: only where a desktop session exists, never blocking, never failing loudly.
fn open_browser(url: &str) {
    let opener: Option<(&str, Vec<&str>)> = if cfg!(target_os = "macos") {
        Some(("open", vec![url]))
    } else if cfg!(windows) {
        Some(("cmd", vec!["/C", "start", "", url]))
    } else if std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some()
    {
        Some(("xdg-open", vec![url]))
    } else {
        None
    };
    if let Some((program, args)) = opener {
        let spawned = std::process::Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        if let Err(e) = spawned {
            tracing::debug!(error = %e, "could not open a browser");
        }
    }
}
