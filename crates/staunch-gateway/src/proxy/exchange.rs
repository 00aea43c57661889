//! What forward and reverse requests share: control headers, header
//! cleaning, body buffering, the attempt loop and the answer's headers.

use serde_json::json;
use staunch_http::{is_idempotent, IDEMPOTENCY_KEY};
use tokio::time::Instant;

use super::Peer;
use crate::answer::{Answer, Relayed};
use crate::attempt::{run_attempts_under, AttemptLimits, HttpAttempt, Outgoing};
use crate::body::RequestBody;
use crate::control::attempts_value;
use crate::engine::{Engine, LivePolicy};
use crate::headers::Forwarded;
use crate::reply;
use crate::request::ClientRequest;
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
pub(super) async fn exchange(
    engine: &Engine,
    policy: &LivePolicy,
    request: ClientRequest,
    upstream: &Upstream,
    max_replay_body: u64,
    peer: &Peer,
    mode: Mode,
) -> Answer {
    // The request's parts end inside this block: only the attempt and its
    // limits are kept while the attempts run, so the state this future
    // holds (and moves) across that wait stays small.
    let (mut attempt, limits) = {
        let ClientRequest { mut head, body, .. } = request;
        let control = match head.control() {
            Ok(control) => control,
            Err(err) => return reply::bad_control_header(&err).into(),
        };
        // Hop-by-hop fields, `Host` and `Expect` (the gateway already answered
        // `100-continue` by reading the body) were left out as the head was
        // read; control fields go now.
        head.remove_control();
        let forwarded = (mode == Mode::Reverse)
            .then(|| Forwarded::of_fields(&head.fields, &peer.forwarded_for, head.host.as_ref()));
        let content_length = head.content_length;
        let idempotent = is_idempotent(&head.method)
            || control.idempotent == Some(true)
            || head.fields.get(IDEMPOTENCY_KEY.as_str()).is_some();
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
        let mut outgoing =
            Outgoing::with_fields(head.method, head.uri, head.fields, content_length, body);
        // Set in place: `with_forwarded` would move the whole request twice.
        outgoing.set_forwarded(forwarded);
        (HttpAttempt::new(outgoing, policy.retry_statuses()), limits)
    };
    match run_attempts_under(policy, engine, upstream, &limits, &mut attempt).await {
        Ok(done) => Answer::Relayed(Box::new(Relayed {
            response: done.output,
            attempts: attempts_value(done.attempts),
            endpoint: done.endpoint,
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
