//! The device authorization grant (RFC 8628), run in the background: start, prompt, poll.

use super::{Authenticator, DevicePrompt, Person, TokenSource, describe_call_error, lock};
use crate::hints::{Step, to_auth_error};
use crate::oauth::{self, CallError, DEVICE_GRANT};
use crate::record::TokenRecord;
use crate::{AuthError, Secret};
use std::time::{Duration, Instant};

/// OIDC scopes asked for in the device flow besides OKTA_SCOPES (offline_access brings a
/// refresh token).
const DEVICE_OIDC_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];
/// Longest wait for the org to answer a device authorization request.
const DEVICE_START_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Default)]
pub(super) struct DeviceFlowState {
    pub(super) running: bool,
    /// Outcome of the last finished flow, for callers that waited on it.
    outcome: Option<Result<TokenRecord, AuthError>>,
}

impl Authenticator {
    pub(super) fn device_scopes(&self) -> Vec<String> {
        let mut scopes: Vec<String> = DEVICE_OIDC_SCOPES.iter().map(|s| s.to_string()).collect();
        for scope in &self.settings.scopes {
            if !scopes.contains(scope) {
                scopes.push(scope.clone());
            }
        }
        scopes
    }

    /// Starts the background device flow unless one is already running.
    pub(super) fn start_device_flow(&self) {
        {
            let mut device = lock(&self.device);
            if device.running {
                return;
            }
            device.running = true;
            device.outcome = None;
        }
        let Some(this) = self.this.upgrade() else {
            return;
        };
        tokio::spawn(async move {
            let outcome = this.run_device_flow().await;
            if let Err(error) = &outcome {
                tracing::warn!(error = %error, "device authorization failed");
            }
            let message = outcome.as_ref().err().map(ToString::to_string);
            {
                let mut device = lock(&this.device);
                device.running = false;
                device.outcome = Some(outcome);
            }
            this.publish(|s| {
                s.pending = None;
                if message.is_some() {
                    s.last_error = message;
                }
            });
        });
    }

    /// While a device flow runs: waits for its prompt (Start) or its end (Wait).
    /// None when no flow is running.
    pub(super) async fn join_running_device_flow(
        &self,
        person: Person,
    ) -> Option<Result<TokenRecord, AuthError>> {
        if !lock(&self.device).running {
            return None;
        }
        let mut rx = self.state.subscribe();
        let deadline = Instant::now() + DEVICE_START_TIMEOUT;
        loop {
            {
                let device = lock(&self.device);
                if !device.running {
                    return device.outcome.clone();
                }
            }
            if person == Person::Start {
                if let Some(prompt) = rx.borrow_and_update().pending.clone() {
                    return Some(Err(AuthError::AuthorizationPending {
                        verification_uri_complete: prompt.verification_uri_complete,
                        user_code: prompt.user_code,
                    }));
                }
                if Instant::now() > deadline {
                    return Some(Err(AuthError::Network(
                        "the org did not answer the device authorization request".into(),
                    )));
                }
                let _ = tokio::time::timeout(Duration::from_millis(200), rx.changed()).await;
            } else {
                let _ = tokio::time::timeout(Duration::from_millis(500), rx.changed()).await;
            }
        }
    }

    pub(super) async fn run_device_flow(&self) -> Result<TokenRecord, AuthError> {
        let scopes = self.device_scopes();
        let authorization = oauth::device_authorize(
            &self.http,
            &self.endpoints.device,
            &self.settings.client_id,
            &scopes,
        )
        .await
        .map_err(|e| to_auth_error(e, Step::DeviceAuthorization))?;
        let device_code = Secret::new(authorization.device_code);
        let prompt = DevicePrompt {
            verification_uri_complete: authorization
                .verification_uri_complete
                .unwrap_or_else(|| authorization.verification_uri.clone()),
            verification_uri: authorization.verification_uri,
            user_code: authorization.user_code,
            expires_in: authorization.expires_in,
        };
        tracing::info!(
            store = self.store.kind().name(),
            verification_uri = %prompt.verification_uri_complete,
            user_code = %prompt.user_code,
            "device authorization required"
        );
        self.publish(|s| s.pending = Some(prompt.clone()));
        let hook = lock(&self.prompt_hook).clone();
        if let Some(hook) = hook {
            hook(&prompt);
        }
        let mut interval = Duration::from_secs(authorization.interval.unwrap_or(5).max(1));
        let deadline = Instant::now() + Duration::from_secs(authorization.expires_in);
        let mut dpop = self.new_dpop_session()?;
        let client_id = self.settings.client_id.clone();
        let form = || {
            Ok(vec![
                ("client_id", client_id.clone()),
                ("grant_type", DEVICE_GRANT.to_string()),
                ("device_code", device_code.expose().to_string()),
            ])
        };
        loop {
            tokio::time::sleep(interval).await;
            if Instant::now() >= deadline {
                return Err(AuthError::Rejected {
                    message: "The device code expired before the sign-in was approved".into(),
                    hint:
                        "Run `okta-mcp-server auth login` again and approve within the time shown."
                            .into(),
                });
            }
            // Another process sharing the store may have finished a sign-in meanwhile.
            if let Ok(Some(record)) = self.store_load().await
                && self.usable(&record)
            {
                tracing::info!(store = self.store.kind().name(), "reused cached token");
                self.adopt(record.clone(), TokenSource::Cache);
                return Ok(record);
            }
            match self
                .token_call(&form, &mut dpop, &scopes, crate::oauth::Resend::Allowed)
                .await
            {
                Ok(record) => {
                    self.save(&record).await;
                    tracing::info!(
                        store = self.store.kind().name(),
                        "device authorization approved"
                    );
                    self.adopt(record.clone(), TokenSource::DeviceFlow);
                    return Ok(record);
                }
                Err(e) => match e.oauth_error() {
                    Some("authorization_pending") => {}
                    Some("slow_down") => interval += Duration::from_secs(5),
                    _ if matches!(e, CallError::Network(_)) => {
                        tracing::warn!(error = %describe_call_error(&e), "device flow poll failed; retrying");
                    }
                    _ => return Err(to_auth_error(e, Step::DevicePoll)),
                },
            }
        }
    }
}
