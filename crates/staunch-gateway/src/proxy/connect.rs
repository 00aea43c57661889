//! `CONNECT` tunnels: the connect step runs through the attempt loop (so it
//! fails over); once the tunnel is up, bytes are copied both ways and never
//! retried.

use http::{Response, StatusCode};
use serde_json::json;
use tokio::time::Instant;

use crate::active::ActiveConfig;
use crate::attempt::{run_attempts_under, AttemptLimits, ConnectAttempt};
use crate::client::ProxyBody;
use crate::control::{attempts_value, ATTEMPTS, ENDPOINT};
use crate::engine::LivePolicy;
use crate::reply;
use crate::request::ClientRequest;
use crate::server::Shared;

/// Opens a tunnel for a `CONNECT host:port` request.
pub(super) async fn handle(
    shared: &Shared,
    (active, policy): (&ActiveConfig, &LivePolicy),
    request: ClientRequest,
) -> Response<ProxyBody> {
    let target = match request.head.uri.authority() {
        Some(a) if a.port().is_some() && !a.host().is_empty() && !a.as_str().contains('@') => {
            a.clone()
        }
        _ => {
            return reply::bad_request(
                "CONNECT needs a host:port target",
                json!({ "target": request.head.uri.to_string() }),
            )
        }
    };
    if let Some(refused) = super::own::refuse_own_listener(&target, 443, active.settings()) {
        return refused;
    }
    let control = match request.head.control() {
        Ok(control) => control,
        Err(err) => return reply::bad_control_header(&err),
    };
    let engine = shared.engine();
    let limits = AttemptLimits {
        max_attempts: control
            .max_attempts
            .unwrap_or_else(|| policy.max_attempts()),
        deadline: control
            .timeout
            .or_else(|| policy.timeout())
            .map(|t| Instant::now() + t),
        // Nothing of the tunnel is sent before it is established.
        repeat_after_delivery: true,
    };
    let mut attempt = ConnectAttempt::new(target.clone());
    let done =
        match run_attempts_under(policy, engine, active.forward(), &limits, &mut attempt).await {
            Ok(done) => done,
            Err(failed) => {
                tracing::warn!(
                    %target,
                    attempts = failed.attempts,
                    error = failed.last_error().map(tracing::field::display),
                    "tunnel could not be opened"
                );
                return reply::attempts_failed(&failed);
            }
        };
    let Some(upgrade) = request.upgrade else {
        return reply::json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "no_upgrade",
            "this connection cannot carry a tunnel",
            json!({}),
        );
    };
    let force = shared.force_close();
    let tunnel = done.output;
    shared.spawn(async move {
        let mut client = match upgrade.upgraded().await {
            Ok(upgraded) => upgraded,
            Err(err) => {
                tracing::debug!(%err, "client left before the tunnel started");
                return;
            }
        };
        tokio::select! {
            result = tunnel.splice(&mut client) => match result {
                Ok((up, down)) => tracing::debug!(%target, up, down, "tunnel closed"),
                Err(err) => tracing::debug!(%target, %err, "tunnel ended with an error"),
            },
            () = force.cancelled() => tracing::debug!(%target, "tunnel cut at the end of the drain"),
        }
    });
    let mut response = Response::new(reply::full(Default::default()));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(ATTEMPTS, attempts_value(done.attempts));
    if let Some(id) = done.endpoint.id_value() {
        headers.insert(ENDPOINT, id.clone());
    }
    response
}
