//! What forward and reverse requests share: control headers, header
//! cleaning, body buffering, the attempt loop and the answer's headers.

use http::header::{CONTENT_LENGTH, EXPECT, HOST};
use http::request::Parts;
use http::{HeaderValue, Uri};
use serde_json::json;
use staunch_http::{is_idempotent, IDEMPOTENCY_KEY};
use tokio::time::Instant;

use super::Peer;
use crate::answer::{Answer, Relayed};
use crate::attempt::{run_attempts, AttemptLimits, HttpAttempt, Outgoing};
use crate::body::ClientBody;
use crate::body::RequestBody;
use crate::control::{attempts_value, Control};
use crate::engine::Engine;
use crate::headers::{strip_request_hop_by_hop, Forwarded};
use crate::reply;
use crate::upstream::Upstream;

/// How the request reached the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Absolute-form, to a forward pool.
    Forward,
    /// Origin-form, to a route's backends; `X-Forwarded-*` are set.
    Reverse,
}

/// Forwards a request to `upstream` and answers with the upstream's
/// response (streamed), or with the gateway's own error.
#[allow(clippy::too_many_arguments)] // each is one fact of the request
pub(super) async fn exchange(
    engine: &Engine,
    mut parts: Parts,
    body: ClientBody,
    target: Uri,
    upstream: &Upstream,
    max_replay_body: u64,
    peer: &Peer,
    mode: Mode,
) -> Answer {
    let control = match Control::take_from(&mut parts.headers) {
        Ok(control) => control,
        Err(err) => return reply::bad_control_header(&err).into(),
    };
    let headers = &mut parts.headers;
    strip_request_hop_by_hop(headers);
    // The gateway already answered `100-continue` by reading the body.
    // (`Host` stays: the upstream client writes each endpoint's own.)
    headers.remove(EXPECT);
    let forwarded = (mode == Mode::Reverse)
        .then(|| Forwarded::of(headers, &peer.forwarded_for, headers.get(HOST)));
    let content_length = match content_length(headers.get(CONTENT_LENGTH)) {
        Ok(len) => len,
        Err(value) => {
            return reply::bad_request("invalid Content-Length", json!({ "value": value })).into();
        }
    };
    let idempotent = is_idempotent(&parts.method)
        || control.idempotent == Some(true)
        || headers.contains_key(IDEMPOTENCY_KEY);
    let body = match RequestBody::read(body, content_length, max_replay_body).await {
        Ok(body) => body,
        Err(err) => {
            return reply::bad_request(
                "could not read the request body",
                json!({ "cause": err.to_string() }),
            )
            .into()
        }
    };
    let policy = engine.policy();
    let limits = AttemptLimits {
        max_attempts: if body.is_replayable() {
            control
                .max_attempts
                .unwrap_or_else(|| policy.max_attempts())
        } else {
            1
        },
        deadline: control
            .timeout
            .or_else(|| policy.timeout())
            .map(|t| Instant::now() + t),
        repeat_after_delivery: idempotent,
    };
    let mut outgoing = Outgoing::new(parts.method, target, parts.headers, body);
    if let Some(forwarded) = forwarded {
        outgoing = outgoing.with_forwarded(forwarded);
    }
    let mut attempt = HttpAttempt::new(outgoing, policy.retry_statuses());
    match run_attempts(engine, upstream, &limits, &mut attempt).await {
        Ok(done) => Answer::Relayed(Box::new(Relayed {
            response: done.output,
            attempts: attempts_value(done.attempts),
            endpoint: done.endpoint.id_value().cloned(),
        })),
        Err(failed) => {
            tracing::warn!(
                attempts = failed.attempts,
                error = failed.last_error().map(tracing::field::display),
                "request failed on every attempt"
            );
            reply::attempts_failed(&failed).into()
        }
    }
}

fn content_length(value: Option<&HeaderValue>) -> Result<Option<u64>, String> {
    match value {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .map(Some)
            .ok_or_else(|| String::from_utf8_lossy(v.as_bytes()).into_owned()),
    }
}
