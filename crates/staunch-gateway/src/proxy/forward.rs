//! Forward proxying of absolute-form requests (`curl -x`): the request goes
//! to its own target, directly or through the upstream proxy pool.

use http::uri::Scheme;
use http::Response;
use serde_json::json;

use super::own::refuse_own_listener;
use crate::active::ActiveConfig;
use crate::client::ProxyBody;
use crate::reply;
use crate::request::ClientRequest;
use crate::upstream::Upstream;

/// Where an absolute-form request goes: the forward pool, unless the
/// target is not one the gateway forwards (answered at once).
pub(super) fn upstream<'a>(
    active: &'a ActiveConfig,
    request: &ClientRequest,
) -> Result<&'a Upstream, Box<Response<ProxyBody>>> {
    let target = &request.head.uri;
    if target.scheme() != Some(&Scheme::HTTP) {
        return Err(Box::new(reply::bad_request(
            "only http:// targets are forwarded; use CONNECT for https",
            json!({ "scheme": target.scheme_str() }),
        )));
    }
    let authority = match target.authority() {
        Some(a) if !a.host().is_empty() && !a.as_str().contains('@') => a,
        _ => {
            return Err(Box::new(reply::bad_request(
                "the target needs a host and no credentials",
                json!({ "target": target.host() }),
            )))
        }
    };
    if let Some(refused) = refuse_own_listener(authority, 80, active.settings()) {
        return Err(Box::new(refused));
    }
    Ok(active.forward())
}
