//! Typed records over the [`StateStore`]: what the OAuth endpoints, the bearer check and the
//! per-person Okta clients read and write. Secrets are kept only as SHA-256 hashes (tokens
//! and codes this server issued) or sealed with the state key (people's Okta tokens, the
//! PKCE verifier of a sign-in in progress).

use super::opened::OpenedRecords;
use super::seal::StateKeys;
use super::store::{Kind, Links, StateStore, StoreError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use okta_auth::Secret;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use sha2::Digest;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a sign-in may wait for Okta's callback, and an issued code for its redemption.
pub const CODE_TTL: Duration = Duration::from_secs(600);
/// Lifetime of the access tokens this server issues.
pub const ACCESS_TTL: Duration = Duration::from_secs(900);
/// A grant unused (not refreshed) this long ends.
pub const GRANT_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// A registration unused (no sign-in through it) this long is forgotten, so anonymous
/// registrations cannot pile up for ever; a client that comes back registers again.
pub const CLIENT_TTL: Duration = Duration::from_secs(180 * 24 * 3600);
/// How often a grant's last-used time is written (at most).
const TOUCH_EVERY_SECS: i64 = 60;
/// Opened records each kind keeps in memory ([`OpenedRecords`]): about the people calling
/// one replica at once, a few KiB each.
const OPENED_RECORDS: usize = 2048;

const ACCESS_PREFIX: &str = "omcp_at_";
const REFRESH_PREFIX: &str = "omcp_rt_";

/// An MCP client registered through /register.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClientRecord {
    pub client_id: String,
    pub client_name: Option<String>,
    pub redirect_uris: Vec<String>,
    pub created_at: i64,
}

/// A sign-in sent to Okta and waiting for its callback (sealed: holds the PKCE verifier).
#[derive(Clone, Serialize, Deserialize)]
pub struct PendingSignIn {
    pub client_id: String,
    pub client_name: Option<String>,
    pub redirect_uri: String,
    /// The MCP client's own `state`, handed back with our code.
    pub client_state: Option<String>,
    /// The MCP client's PKCE challenge (S256).
    pub code_challenge: String,
    pub scopes: Vec<String>,
    /// Our PKCE verifier toward Okta.
    pub upstream_verifier: String,
    pub nonce: String,
}

/// What an authorization code this server issued stands for.
#[derive(Clone, Serialize, Deserialize)]
pub struct CodeRecord {
    pub client_id: String,
    pub client_name: Option<String>,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub scopes: Vec<String>,
    pub user_id: String,
    pub login: String,
}

/// One signed-in client of one person: its refresh token chain.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Grant {
    pub grant_id: String,
    pub user_id: String,
    pub login: String,
    pub client_id: String,
    pub client_name: Option<String>,
    pub scopes: Vec<String>,
    /// SHA-256 of the one refresh token that may be used next.
    pub refresh_hash: String,
    pub created_at: i64,
}

/// An access token this server issued.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccessRecord {
    pub grant_id: String,
    pub user_id: String,
    pub login: String,
    pub client_id: String,
    pub client_name: Option<String>,
    /// Shared with every [`crate::caller::Caller`] made from this record, never copied.
    #[serde(with = "shared_list")]
    pub scopes: Arc<[String]>,
    /// The resource (our MCP URL) the token is for.
    pub audience: String,
    pub expires_at: i64,
}

/// A person's Okta tokens (sealed at rest).
#[derive(Serialize, Deserialize)]
pub struct UpstreamTokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_at: i64,
    pub scopes: Vec<String>,
    pub login: String,
    /// Not stored: `Bearer <access_token>` as a header value, made on the first request with
    /// this opened record and reused while the store holds it (see `OpenedRecords`).
    #[serde(skip)]
    pub bearer: std::sync::OnceLock<Option<reqwest::header::HeaderValue>>,
}

/// A copy starts without the header: it may be given another access token.
impl Clone for UpstreamTokens {
    fn clone(&self) -> Self {
        Self {
            access_token: self.access_token.clone(),
            refresh_token: self.refresh_token.clone(),
            expires_at: self.expires_at,
            scopes: self.scopes.clone(),
            login: self.login.clone(),
            bearer: Default::default(),
        }
    }
}

impl UpstreamTokens {
    /// The `Authorization` value for the access token, checked once per record.
    pub fn bearer_header(&self) -> Option<reqwest::header::HeaderValue> {
        self.bearer
            .get_or_init(|| {
                okta_auth::sensitive_header(&Secret::new(format!("Bearer {}", self.access_token)))
            })
            .clone()
    }
}

/// What a presented refresh token turned out to be.
pub enum Refreshed {
    /// The current one: the grant now expects `refresh_token` next.
    Rotated {
        grant: Grant,
        refresh_token: Secret,
    },
    /// An earlier one of a live grant: the grant was revoked (RFC 9700 reuse detection).
    Reused(Grant),
    Unknown,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Seal(#[from] super::seal::SealError),
    #[error("a stored record could not be read; it was written by another version")]
    Corrupt,
}

/// The typed state of the team server. Cheap to clone.
#[derive(Clone)]
pub struct State {
    store: Arc<dyn StateStore>,
    keys: StateKeys,
    /// Access records decoded before (the bearer check reads one per request).
    opened_access: Arc<OpenedRecords<AccessRecord>>,
    /// People's Okta tokens unsealed before (every Okta request of a tool call reads them).
    opened_upstream: Arc<OpenedRecords<UpstreamTokens>>,
    /// When this replica last wrote each grant's last-used time, so a request within
    /// TOUCH_EVERY_SECS of it needs no store read.
    touched: Arc<Mutex<hashlink::LruCache<String, i64>>>,
}

/// (De)serialises a shared list as a plain JSON array.
mod shared_list {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::sync::Arc;

    pub fn serialize<S: Serializer>(
        list: &Arc<[String]>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        list.as_ref().serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Arc<[String]>, D::Error> {
        Vec::<String>::deserialize(deserializer).map(Arc::from)
    }
}

/// A fresh random token: 32 bytes from the OS, base64url.
pub fn random_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// How a secret is looked up without being stored.
pub fn digest(secret: &str) -> String {
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(secret.as_bytes()))
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("records serialise")
}

/// The access record stored as `bytes` under `key`: as opened before, or decoded now and
/// kept for the next request with the same token.
fn open_access(
    opened: &OpenedRecords<AccessRecord>,
    key: &str,
    bytes: &[u8],
) -> Result<Arc<AccessRecord>, StateError> {
    if let Some(record) = opened.get(key, bytes) {
        return Ok(record);
    }
    let record = Arc::new(decode::<AccessRecord>(bytes)?);
    opened.insert(key, bytes.to_vec(), record.clone());
    Ok(record)
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StateError> {
    serde_json::from_slice(bytes).map_err(|_| StateError::Corrupt)
}

impl State {
    pub fn new(store: Arc<dyn StateStore>, keys: StateKeys) -> Self {
        Self {
            store,
            keys,
            opened_access: Arc::new(OpenedRecords::new(OPENED_RECORDS)),
            opened_upstream: Arc::new(OpenedRecords::new(OPENED_RECORDS)),
            touched: Arc::new(Mutex::new(hashlink::LruCache::new(OPENED_RECORDS))),
        }
    }

    /// The store underneath, for state kept beside the OAuth records (MCP sessions).
    pub fn store(&self) -> Arc<dyn StateStore> {
        self.store.clone()
    }

    // ---- clients

    pub async fn register_client(&self, client: &ClientRecord) -> Result<(), StateError> {
        let value = encode(client);
        Ok(self
            .store
            .put(
                Kind::Client,
                client.client_id.clone(),
                value,
                Some(CLIENT_TTL),
            )
            .await?)
    }

    pub async fn client(&self, client_id: &str) -> Result<Option<ClientRecord>, StateError> {
        match self.store.get(Kind::Client, client_id.to_owned()).await? {
            Some(bytes) => Ok(Some(decode(&bytes)?)),
            None => Ok(None),
        }
    }

    // ---- sign-ins in progress and codes (single use)

    pub async fn begin_sign_in(
        &self,
        state: &str,
        pending: &PendingSignIn,
    ) -> Result<(), StateError> {
        let key = digest(state);
        let sealed = self.keys.seal(&format!("pending/{key}"), &encode(pending));
        Ok(self
            .store
            .put(Kind::Pending, key, sealed.into_bytes(), Some(CODE_TTL))
            .await?)
    }

    pub async fn finish_sign_in(&self, state: &str) -> Result<Option<PendingSignIn>, StateError> {
        let key = digest(state);
        let Some(bytes) = self.store.take(Kind::Pending, key.clone()).await? else {
            return Ok(None);
        };
        let sealed = String::from_utf8(bytes).map_err(|_| StateError::Corrupt)?;
        let opened = self.keys.open(&format!("pending/{key}"), &sealed)?;
        Ok(Some(decode(&opened.plaintext)?))
    }

    /// Stores `record` under a fresh code and returns the code.
    pub async fn issue_code(&self, record: &CodeRecord) -> Result<Secret, StateError> {
        let code = random_token();
        self.store
            .put(Kind::Code, digest(&code), encode(record), Some(CODE_TTL))
            .await?;
        Ok(Secret::new(code))
    }

    pub async fn redeem_code(&self, code: &str) -> Result<Option<CodeRecord>, StateError> {
        match self.store.take(Kind::Code, digest(code)).await? {
            Some(bytes) => Ok(Some(decode(&bytes)?)),
            None => Ok(None),
        }
    }

    /// Remembers that `code` started `grant_id`, for as long as the code could have lived.
    pub async fn mark_code_spent(&self, code: &str, grant_id: &str) -> Result<(), StateError> {
        Ok(self
            .store
            .put(
                Kind::SpentCode,
                digest(code),
                grant_id.as_bytes().to_vec(),
                Some(CODE_TTL),
            )
            .await?)
    }

    /// The grant a code already redeemed started, if `code` is one.
    pub async fn spent_code(&self, code: &str) -> Result<Option<Grant>, StateError> {
        match self.store.get(Kind::SpentCode, digest(code)).await? {
            Some(id) => self.grant(&String::from_utf8_lossy(&id)).await,
            None => Ok(None),
        }
    }

    // ---- grants, refresh and access tokens

    /// Starts a grant for a redeemed code; returns it and its first refresh token.
    pub async fn create_grant(&self, code: &CodeRecord) -> Result<(Grant, Secret), StateError> {
        let grant_id = uuid::Uuid::new_v4().simple().to_string();
        let refresh = refresh_token_for(&grant_id);
        let grant = Grant {
            grant_id: grant_id.clone(),
            user_id: code.user_id.clone(),
            login: code.login.clone(),
            client_id: code.client_id.clone(),
            client_name: code.client_name.clone(),
            scopes: code.scopes.clone(),
            refresh_hash: digest(refresh.expose()),
            created_at: now(),
        };
        self.store
            .put(Kind::Grant, grant_id, encode(&grant), Some(GRANT_TTL))
            .await?;
        Ok((grant, refresh))
    }

    pub async fn issue_access(
        &self,
        grant: &Grant,
        audience: &str,
    ) -> Result<(Secret, Duration), StateError> {
        let token = format!("{ACCESS_PREFIX}{}", random_token());
        let record = AccessRecord {
            grant_id: grant.grant_id.clone(),
            user_id: grant.user_id.clone(),
            login: grant.login.clone(),
            client_id: grant.client_id.clone(),
            client_name: grant.client_name.clone(),
            scopes: grant.scopes.clone().into(),
            audience: audience.to_owned(),
            expires_at: now() + ACCESS_TTL.as_secs() as i64,
        };
        self.store
            .put(
                Kind::Access,
                digest(&token),
                encode(&record),
                Some(ACCESS_TTL),
            )
            .await?;
        Ok((Secret::new(token), ACCESS_TTL))
    }

    /// The live access token `token` names: issued by us, unexpired, its grant not revoked.
    pub async fn access(&self, token: &str) -> Result<Option<Arc<AccessRecord>>, StateError> {
        Ok(self
            .read_access(token, false)
            .await?
            .map(|(record, _)| record))
    }

    /// [`Self::access`] for a request that may act as the person, with the person's sealed
    /// Okta tokens as stored (`None`: none stored). Read with the grant rather than by a
    /// read of their own once the tool runs. They stay sealed: only a tool call opens them
    /// ([`Self::open_upstream`]), so a request that acts as nobody (initialize, a listing)
    /// costs no decryption and fills no cache.
    pub async fn access_with_tokens(
        &self,
        token: &str,
    ) -> Result<Option<(Arc<AccessRecord>, Option<axum::body::Bytes>)>, StateError> {
        self.read_access(token, true).await
    }

    /// The access record, its grant and (`with_tokens`) the person's sealed tokens, read in
    /// one transaction (SQLite) or two round trips (Redis).
    async fn read_access(
        &self,
        token: &str,
        with_tokens: bool,
    ) -> Result<Option<(Arc<AccessRecord>, Option<axum::body::Bytes>)>, StateError> {
        if !token.starts_with(ACCESS_PREFIX) {
            return Ok(None);
        }
        let key = digest(token);
        let links: Links = {
            let (opened, key) = (self.opened_access.clone(), key.clone());
            Arc::new(
                move |bytes: &[u8]| match open_access(&opened, &key, bytes) {
                    Ok(record) if record.expires_at > now() => {
                        let mut named = Vec::with_capacity(2);
                        named.push((Kind::Grant, record.grant_id.clone()));
                        if with_tokens {
                            named.push((Kind::Upstream, record.user_id.clone()));
                        }
                        named
                    }
                    // Expired or unreadable: nothing more to read for it.
                    _ => Vec::new(),
                },
            )
        };
        let (access, linked) = self
            .store
            .get_linked(Kind::Access, key.clone(), links)
            .await?;
        let Some(bytes) = access else {
            self.opened_access.forget(&key);
            return Ok(None);
        };
        let record = open_access(&self.opened_access, &key, &bytes)?;
        if record.expires_at <= now() {
            return Ok(None);
        }
        let mut linked = linked.into_iter();
        // The grant is read on every use: revoking it on any replica ends its tokens at once.
        // Nothing was read when the record expired between the two looks (it named nothing).
        let Some(Some(_grant)) = linked.next() else {
            return Ok(None);
        };
        // Bytes takes the read's buffer as it is: no copy of the sealed record.
        let tokens = linked.next().flatten().map(axum::body::Bytes::from);
        Ok(Some((record, tokens)))
    }

    pub async fn revoke_access(&self, token: &str) -> Result<bool, StateError> {
        Ok(self.store.delete(Kind::Access, digest(token)).await?)
    }

    pub async fn grant(&self, grant_id: &str) -> Result<Option<Grant>, StateError> {
        match self.store.get(Kind::Grant, grant_id.to_owned()).await? {
            Some(bytes) => Ok(Some(decode(&bytes)?)),
            None => Ok(None),
        }
    }

    pub async fn grants(&self) -> Result<Vec<Grant>, StateError> {
        self.store
            .list(Kind::Grant)
            .await?
            .iter()
            .map(|(_, bytes)| decode(bytes))
            .collect()
    }

    /// The grant a refresh token belongs to (whether or not it is the current one).
    pub async fn grant_of_refresh(&self, refresh_token: &str) -> Result<Option<Grant>, StateError> {
        match grant_id_of(refresh_token) {
            Some(id) => self.grant(id).await,
            None => Ok(None),
        }
    }

    /// Rotates on the current refresh token; revokes the grant on an earlier one.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Refreshed, StateError> {
        let Some(grant_id) = grant_id_of(refresh_token) else {
            return Ok(Refreshed::Unknown);
        };
        let Some(current) = self.store.get(Kind::Grant, grant_id.to_owned()).await? else {
            return Ok(Refreshed::Unknown);
        };
        let grant: Grant = decode(&current)?;
        if grant.refresh_hash != digest(refresh_token) {
            self.revoke_grant(&grant.grant_id).await?;
            return Ok(Refreshed::Reused(grant));
        }
        let next = refresh_token_for(grant_id);
        let rotated = Grant {
            refresh_hash: digest(next.expose()),
            ..grant.clone()
        };
        // Compare-and-swap: of two concurrent uses of one refresh token, one rotates and
        // the other finds the hash changed, which is reuse.
        if self
            .store
            .swap(
                Kind::Grant,
                grant_id.to_owned(),
                current,
                encode(&rotated),
                Some(GRANT_TTL),
            )
            .await?
        {
            Ok(Refreshed::Rotated {
                grant: rotated,
                refresh_token: next,
            })
        } else {
            self.revoke_grant(&grant.grant_id).await?;
            Ok(Refreshed::Reused(grant))
        }
    }

    /// Ends a grant: its refresh token and every access token issued under it stop working.
    pub async fn revoke_grant(&self, grant_id: &str) -> Result<bool, StateError> {
        self.store
            .delete(Kind::LastUsed, grant_id.to_owned())
            .await?;
        Ok(self.store.delete(Kind::Grant, grant_id.to_owned()).await?)
    }

    /// Records that a grant was used now (at most once a minute per grant, and without
    /// reading the store when this replica wrote it less than a minute ago).
    pub async fn touch(&self, grant_id: &str) -> Result<(), StateError> {
        let now = now();
        let recently = |at: i64| now - at < TOUCH_EVERY_SECS;
        let touched_here = self.touched_at(grant_id);
        if touched_here.is_some_and(recently) {
            return Ok(());
        }
        if let Some(last) = self.last_used(grant_id).await?
            && recently(last)
        {
            self.remember_touch(grant_id, last);
            return Ok(());
        }
        self.store
            .put(
                Kind::LastUsed,
                grant_id.to_owned(),
                now.to_string().into_bytes(),
                Some(GRANT_TTL),
            )
            .await?;
        self.remember_touch(grant_id, now);
        Ok(())
    }

    fn touched_at(&self, grant_id: &str) -> Option<i64> {
        let mut touched = self.touched.lock().unwrap_or_else(|p| p.into_inner());
        touched.get(grant_id).copied()
    }

    fn remember_touch(&self, grant_id: &str, at: i64) {
        let mut touched = self.touched.lock().unwrap_or_else(|p| p.into_inner());
        touched.insert(grant_id.to_owned(), at);
    }

    pub async fn last_used(&self, grant_id: &str) -> Result<Option<i64>, StateError> {
        Ok(self
            .store
            .get(Kind::LastUsed, grant_id.to_owned())
            .await?
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.parse().ok()))
    }

    // ---- people's Okta tokens

    /// The person's Okta tokens as the store holds them now (opened once per stored value:
    /// see [`OpenedRecords`]).
    pub async fn upstream(&self, user_id: &str) -> Result<Option<Arc<UpstreamTokens>>, StateError> {
        let sealed = self.store.get(Kind::Upstream, user_id.to_owned()).await?;
        self.open_upstream(user_id, sealed.as_deref()).await
    }

    /// Opens a person's sealed token record as read from the store (`None`: there is none),
    /// here or by [`Self::access_with_tokens`] moments before.
    pub async fn open_upstream(
        &self,
        user_id: &str,
        sealed: Option<&[u8]>,
    ) -> Result<Option<Arc<UpstreamTokens>>, StateError> {
        let Some(bytes) = sealed else {
            self.opened_upstream.forget(user_id);
            return Ok(None);
        };
        if let Some(tokens) = self.opened_upstream.get(user_id, bytes) {
            return Ok(Some(tokens));
        }
        let record_key = format!("upstream/{user_id}");
        let sealed = std::str::from_utf8(bytes).map_err(|_| StateError::Corrupt)?;
        let opened = self.keys.open(&record_key, sealed)?;
        let tokens = Arc::new(decode::<UpstreamTokens>(&opened.plaintext)?);
        if !opened.stale {
            self.opened_upstream
                .insert(user_id, bytes.to_vec(), tokens.clone());
        } else {
            // Sealed with an earlier state key: re-seal with the current one, unless
            // someone wrote a newer record meanwhile.
            let resealed = self.keys.seal(&record_key, &opened.plaintext);
            let _ = self
                .store
                .swap(
                    Kind::Upstream,
                    user_id.to_owned(),
                    bytes.to_vec(),
                    resealed.into_bytes(),
                    None,
                )
                .await?;
            tracing::info!(
                user_id,
                key = self.keys.current_id(),
                "re-encrypted a stored Okta token with the current state key"
            );
        }
        Ok(Some(tokens))
    }

    pub async fn put_upstream(
        &self,
        user_id: &str,
        tokens: &UpstreamTokens,
    ) -> Result<(), StateError> {
        let sealed = self
            .keys
            .seal(&format!("upstream/{user_id}"), &encode(tokens));
        Ok(self
            .store
            .put(
                Kind::Upstream,
                user_id.to_owned(),
                sealed.into_bytes(),
                None,
            )
            .await?)
    }

    /// Marks the person's Okta access token expired if it is still `used` (Okta refused it),
    /// so the next call refreshes. A compare-and-swap: a record another replica refreshed
    /// meanwhile is left alone (writing back the old one would resurrect a spent refresh
    /// token).
    pub async fn expire_upstream_access(
        &self,
        user_id: &str,
        used: &str,
    ) -> Result<bool, StateError> {
        let record_key = format!("upstream/{user_id}");
        let Some(current) = self.store.get(Kind::Upstream, user_id.to_owned()).await? else {
            return Ok(false);
        };
        let sealed = String::from_utf8(current.clone()).map_err(|_| StateError::Corrupt)?;
        let mut tokens: UpstreamTokens = decode(&self.keys.open(&record_key, &sealed)?.plaintext)?;
        if tokens.access_token != used {
            return Ok(false);
        }
        tokens.expires_at = 0;
        let resealed = self.keys.seal(&record_key, &encode(&tokens));
        Ok(self
            .store
            .swap(
                Kind::Upstream,
                user_id.to_owned(),
                current,
                resealed.into_bytes(),
                None,
            )
            .await?)
    }

    pub async fn delete_upstream(&self, user_id: &str) -> Result<bool, StateError> {
        self.opened_upstream.forget(user_id);
        Ok(self
            .store
            .delete(Kind::Upstream, user_id.to_owned())
            .await?)
    }
}

impl State {
    // ---- locks, confirmations, readiness

    /// Takes the lock `name` for `ttl`; Some(owner) to release it with, None when another
    /// holder has it.
    pub async fn lock(&self, name: &str, ttl: Duration) -> Result<Option<String>, StateError> {
        let owner = random_token();
        let taken = self.store.lock(name.to_owned(), owner.clone(), ttl).await?;
        Ok(taken.then_some(owner))
    }

    pub async fn unlock(&self, name: &str, owner: String) -> Result<bool, StateError> {
        Ok(self.store.unlock(name.to_owned(), owner).await?)
    }

    /// Keeps a confirmation asked of a person under (a hash of) its handle for `ttl`.
    pub async fn ask_confirmation(
        &self,
        handle: &str,
        record: &ConfirmationRecord,
        ttl: Duration,
    ) -> Result<(), StateError> {
        Ok(self
            .store
            .put(
                Kind::Confirmation,
                digest(handle),
                encode(record),
                Some(ttl),
            )
            .await?)
    }

    /// The confirmation `handle` names, left in place.
    pub async fn confirmation(
        &self,
        handle: &str,
    ) -> Result<Option<ConfirmationRecord>, StateError> {
        match self.store.get(Kind::Confirmation, digest(handle)).await? {
            Some(bytes) => Ok(Some(decode(&bytes)?)),
            None => Ok(None),
        }
    }

    /// Takes the confirmation `handle` names: of two answers, one gets it.
    pub async fn take_confirmation(
        &self,
        handle: &str,
    ) -> Result<Option<ConfirmationRecord>, StateError> {
        match self.store.take(Kind::Confirmation, digest(handle)).await? {
            Some(bytes) => Ok(Some(decode(&bytes)?)),
            None => Ok(None),
        }
    }

    /// Succeeds when the store answers (/readyz).
    pub async fn ping(&self) -> Result<(), StateError> {
        Ok(self.store.ping().await?)
    }
}

/// A confirmation of a destructive call waiting for the person's answer. Holds no argument
/// values: only a digest of the exact arguments the answer must match.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmationRecord {
    /// The person asked (team mode): nobody else's answer confirms their call.
    pub owner: Option<String>,
    pub tool: String,
    /// SHA-256 of the arguments as canonical JSON (all of them: a changed value, secret or
    /// not, is a different call).
    pub args_sha256: String,
}

fn refresh_token_for(grant_id: &str) -> Secret {
    Secret::new(format!("{REFRESH_PREFIX}{grant_id}.{}", random_token()))
}

fn grant_id_of(refresh_token: &str) -> Option<&str> {
    refresh_token
        .strip_prefix(REFRESH_PREFIX)?
        .split_once('.')
        .map(|(id, _)| id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opened_records_bearer_header_is_made_once_and_never_printed() {
        let tokens: UpstreamTokens = serde_json::from_value(serde_json::json!({
            "access_token": "eyJ.access.sig", "refresh_token": null, "expires_at": 0,
            "scopes": [], "login": "a@example.com"
        }))
        .unwrap();
        let header = tokens.bearer_header().expect("a valid header");
        assert_eq!(header.as_bytes(), b"Bearer eyJ.access.sig");
        assert!(header.is_sensitive());
        assert!(!format!("{header:?}").contains("eyJ"));
        // The same value, not made again (it shares the first one's bytes).
        let again = tokens.bearer_header().unwrap();
        assert_eq!(again.as_bytes().as_ptr(), header.as_bytes().as_ptr());
        // Never stored with the record.
        assert!(!serde_json::to_string(&tokens).unwrap().contains("bearer"));
        // A copy given another token makes its own header; a token no header may carry
        // gives none (the client then says so).
        let broken = UpstreamTokens {
            access_token: "line\nbreak".into(),
            ..tokens.clone()
        };
        assert!(broken.bearer_header().is_none());
    }
}
