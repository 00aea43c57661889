//! Forward proxying of absolute-form requests (`curl -x`): the request goes
//! to its own target, directly or through the upstream proxy pool.

use http::uri::Scheme;
use serde_json::json;

use super::exchange::{exchange, Mode};
use super::own::refuse_own_listener;
use super::Peer;
use crate::active::ActiveConfig;
use crate::answer::Answer;
use crate::engine::{Engine, LivePolicy};
use crate::reply;
use crate::request::ClientRequest;

/// Forwards an absolute-form request.
pub(super) async fn handle(
    engine: &Engine,
    (active, policy): (&ActiveConfig, &LivePolicy),
    request: ClientRequest,
    peer: &Peer,
) -> Answer {
    let target = request.head.uri.clone();
    if target.scheme() != Some(&Scheme::HTTP) {
        return reply::bad_request(
            "only http:// targets are forwarded; use CONNECT for https",
            json!({ "scheme": target.scheme_str() }),
        )
        .into();
    }
    match target.authority() {
        Some(a) if !a.host().is_empty() && !a.as_str().contains('@') => {}
        _ => {
            return reply::bad_request(
                "the target needs a host and no credentials",
                json!({ "target": target.host() }),
            )
            .into()
        }
    }
    if let Some(authority) = target.authority() {
        if let Some(refused) = refuse_own_listener(authority, 80, active.settings()) {
            return refused.into();
        }
    }
    exchange(
        engine,
        policy,
        request,
        target,
        active.forward(),
        active.max_replay_body(),
        peer,
        Mode::Forward,
    )
    .await
}
