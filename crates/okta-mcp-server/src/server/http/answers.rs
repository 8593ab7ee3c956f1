//! Answers to this server's own requests (a 2025-era client's `elicitation/create`, the
//! confirmation prompt of a destructive call) that reach another replica. The client sends
//! its answer as a new POST in the same MCP session, and a load balancer may hand it to any
//! replica, while only the one that asked is waiting for it.
//!
//! So, with a shared Redis, every request a replica sends to a client carries the replica's
//! name in its JSON-RPC id ([`Answers::tag`]; clients echo ids verbatim), and a replica that
//! receives an answer tagged with another replica's name publishes it on that replica's
//! Redis channel instead of taking it itself. Each replica listens on its own channel and
//! hands what arrives to the waiting session. Without Redis ids go out untouched.

use crate::team::store::StoreError;
use crate::team::store::redis::{KEY_PREFIX, RedisConnection, StateUrl};
use futures::StreamExt;
use rmcp::model::{ClientJsonRpcMessage, NumberOrString, RequestId};
use std::time::Duration;

/// Tagged ids read `okta-mcp:<replica>:n:<number>` or `okta-mcp:<replica>:s:<string>`.
const TAG: &str = "okta-mcp:";

pub struct Answers {
    /// This process's name among the replicas (random, fresh at each start).
    replica: String,
    redis: Option<Shared>,
}

struct Shared {
    publish: RedisConnection,
    url: StateUrl,
}

/// One forwarded answer, as published.
#[derive(serde::Serialize, serde::Deserialize)]
struct Forwarded {
    session: String,
    message: ClientJsonRpcMessage,
}

fn channel(replica: &str) -> String {
    format!("{KEY_PREFIX}answers:{replica}")
}

impl Answers {
    /// No forwarding: ids go out as they are.
    pub fn local() -> Self {
        Self {
            replica: String::new(),
            redis: None,
        }
    }

    pub fn shared(url: &StateUrl) -> Result<Self, StoreError> {
        Ok(Self {
            replica: uuid::Uuid::new_v4().simple().to_string(),
            redis: Some(Shared {
                publish: RedisConnection::open(url)?,
                url: url.clone(),
            }),
        })
    }

    /// The id of a request this replica sends to a client, naming the replica.
    pub fn tag(&self, id: RequestId) -> RequestId {
        if self.redis.is_none() {
            return id;
        }
        let inner = match id {
            NumberOrString::Number(n) => format!("n:{n}"),
            NumberOrString::String(s) => format!("s:{s}"),
        };
        NumberOrString::String(format!("{TAG}{}:{inner}", self.replica).into())
    }

    /// The id as this replica sent it, if `id` is one of its tags; others pass unchanged.
    pub fn untag(&self, id: RequestId) -> RequestId {
        let NumberOrString::String(s) = &id else {
            return id;
        };
        let Some((replica, inner)) = split(s) else {
            return id;
        };
        if replica != self.replica {
            return id;
        }
        match inner.split_once(':') {
            Some(("n", n)) => n.parse().map(NumberOrString::Number).unwrap_or(id),
            Some(("s", s)) => NumberOrString::String(s.to_owned().into()),
            _ => id,
        }
    }

    /// The replica an answer belongs to, when that is another replica.
    pub fn elsewhere(&self, message: &ClientJsonRpcMessage) -> Option<String> {
        self.redis.as_ref()?;
        let id = match message {
            ClientJsonRpcMessage::Response(r) => &r.id,
            ClientJsonRpcMessage::Error(e) => e.id.as_ref()?,
            _ => return None,
        };
        let NumberOrString::String(s) = id else {
            return None;
        };
        let (replica, _) = split(s)?;
        (replica != self.replica).then(|| replica.to_owned())
    }

    /// Publishes `message` (an answer in `session`) to the replica that asked.
    pub async fn forward(
        &self,
        replica: &str,
        session: &str,
        message: ClientJsonRpcMessage,
    ) -> Result<(), StoreError> {
        let Some(shared) = &self.redis else {
            return Ok(());
        };
        let payload = serde_json::to_vec(&Forwarded {
            session: session.to_owned(),
            message,
        })
        .map_err(|e| StoreError(e.to_string()))?;
        let channel = channel(replica);
        let receivers: i64 = shared
            .publish
            .run(move |mut conn| async move {
                redis::cmd("PUBLISH")
                    .arg(channel)
                    .arg(payload)
                    .query_async(&mut conn)
                    .await
            })
            .await?;
        if receivers == 0 {
            tracing::warn!(
                "an answer to another replica's request found nobody listening (that replica is gone); the request it answers has ended with it"
            );
        } else {
            tracing::info!("forwarded an answer to the replica that asked");
        }
        Ok(())
    }

    /// Hands every answer published for this replica to `deliver` (session id, message),
    /// for as long as the process runs; reconnects after a Redis outage.
    pub fn listen<F, Fut>(&self, deliver: F)
    where
        F: Fn(String, ClientJsonRpcMessage) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send,
    {
        let Some(shared) = &self.redis else {
            return;
        };
        let url = shared.url.clone();
        let channel = channel(&self.replica);
        tokio::spawn(async move {
            let mut warned = false;
            loop {
                match subscribe(&url, &channel).await {
                    Ok(mut pubsub) => {
                        warned = false;
                        let mut messages = pubsub.on_message();
                        while let Some(message) = messages.next().await {
                            let Ok(forwarded) =
                                serde_json::from_slice::<Forwarded>(message.get_payload_bytes())
                            else {
                                tracing::warn!("ignored a forwarded answer that could not be read");
                                continue;
                            };
                            tracing::info!("took an answer another replica forwarded");
                            deliver(forwarded.session, forwarded.message).await;
                        }
                    }
                    Err(e) if !warned => {
                        warned = true;
                        tracing::warn!(error = %e, "cannot listen for answers forwarded by other replicas; retrying");
                    }
                    Err(_) => {}
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
}

async fn subscribe(url: &StateUrl, channel: &str) -> Result<redis::aio::PubSub, String> {
    let client = url.client()?;
    let mut pubsub = tokio::time::timeout(Duration::from_secs(3), client.get_async_pubsub())
        .await
        .map_err(|_| "no answer from Redis".to_owned())?
        .map_err(|e| e.to_string())?;
    pubsub.subscribe(channel).await.map_err(|e| e.to_string())?;
    Ok(pubsub)
}

/// `(replica, rest)` of a tagged id.
fn split(id: &str) -> Option<(&str, &str)> {
    id.strip_prefix(TAG)?.split_once(':')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tagging(replica: &str) -> Answers {
        Answers {
            replica: replica.to_owned(),
            redis: Some(Shared {
                publish: RedisConnection::open(&StateUrl::parse("redis://127.0.0.1:1").unwrap())
                    .unwrap(),
                url: StateUrl::parse("redis://127.0.0.1:1").unwrap(),
            }),
        }
    }

    #[tokio::test]
    async fn ids_name_the_replica_and_come_back_as_sent() {
        let a = tagging("aaaa");
        let b = tagging("bbbb");
        for id in [
            NumberOrString::Number(7),
            NumberOrString::String("x:y".to_owned().into()),
        ] {
            let tagged = a.tag(id.clone());
            assert_ne!(tagged, id);
            assert_eq!(a.untag(tagged.clone()), id);
            // Another replica leaves it alone, and knows whose it is.
            assert_eq!(b.untag(tagged.clone()), tagged);
            let answer: ClientJsonRpcMessage = serde_json::from_value(serde_json::json!({
                "jsonrpc": "2.0", "id": tagged, "result": {}
            }))
            .unwrap();
            assert_eq!(b.elsewhere(&answer).as_deref(), Some("aaaa"));
            assert_eq!(a.elsewhere(&answer), None);
        }
        // Without Redis nothing is tagged.
        assert_eq!(
            Answers::local().tag(NumberOrString::Number(3)),
            NumberOrString::Number(3)
        );
    }
}
