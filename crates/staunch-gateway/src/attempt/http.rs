//! One HTTP attempt: the request rewritten for one endpoint, sent, and the
//! response head awaited.

use std::future::Future;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, Method, StatusCode, Uri};
use http_body_util::{BodyExt, Limited};

use super::{Attempt, AttemptError, AttemptErrorKind};
use crate::body::RequestBody;
use crate::client::{forwarded_fields, OutRequest, RawFields, UpstreamResponse};
use crate::endpoint::{Endpoint, Via};
use crate::engine::StatusSet;
use crate::headers::Forwarded;

/// A client request as it will be forwarded, before an endpoint is chosen.
///
/// `uri` is absolute (`http://host/path?query`): for forward traffic it is
/// the client's target; for a reverse route only its path and query are
/// used, appended to the chosen backend's base path. `headers` are already
/// cleaned (hop-by-hop and control headers removed); a `Host` in them is
/// ignored (each endpoint gets its own), and `X-Forwarded-*` come from
/// [`Outgoing::with_forwarded`].
#[derive(Debug)]
pub struct Outgoing {
    method: Method,
    uri: Uri,
    fields: RawFields,
    /// The client's `Content-Length`.
    content_length: Option<u64>,
    body: RequestBody,
    forwarded: Option<Forwarded>,
}

impl Outgoing {
    /// A request to forward.
    pub fn new(method: Method, uri: Uri, headers: HeaderMap, body: RequestBody) -> Self {
        let (fields, content_length) = forwarded_fields(&headers);
        Self::with_fields(method, uri, fields, content_length, body)
    }

    /// A request to forward with `fields` as they came (already without
    /// `Host`, `Content-Length` and hop-by-hop fields) and the client's
    /// `content_length`.
    pub(crate) fn with_fields(
        method: Method,
        uri: Uri,
        fields: RawFields,
        content_length: Option<u64>,
        body: RequestBody,
    ) -> Self {
        Self {
            method,
            uri,
            fields,
            content_length,
            body,
            forwarded: None,
        }
    }

    /// The request with `X-Forwarded-*` values that replace any in its
    /// headers (a reverse-proxied request).
    pub fn with_forwarded(mut self, forwarded: Forwarded) -> Self {
        self.set_forwarded(Some(forwarded));
        self
    }

    /// Sets (or clears) the `X-Forwarded-*` values.
    pub(crate) fn set_forwarded(&mut self, forwarded: Option<Forwarded>) {
        self.forwarded = forwarded;
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The absolute target.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// Whether the body can be sent on more than one attempt.
    pub fn is_replayable(&self) -> bool {
        self.body.is_replayable()
    }
}

/// Sends `outgoing` to `endpoint` and waits for the response head, at most
/// `time_left` when set. The request goes out with the endpoint's `Host`
/// (the backend's for a reverse route, the target's otherwise) and, through
/// an upstream proxy with credentials, its `Proxy-Authorization`.
///
/// The response body is not read: it streams to the client afterwards.
pub async fn attempt_once(
    endpoint: &Endpoint,
    outgoing: &mut Outgoing,
    time_left: Option<Duration>,
) -> Result<UpstreamResponse, AttemptError> {
    let Some(body) = outgoing.body.for_attempt() else {
        return Err(AttemptError::new(
            AttemptErrorKind::BodyNotReplayable,
            endpoint.id(),
        ));
    };
    let target_host = outgoing.uri.authority().map_or("", |a| a.as_str());
    let (client, base_path, host, proxy_authorization) = match endpoint.via() {
        Via::Backend { client, base, host } => (client, base.path.as_str(), host.as_bytes(), None),
        Via::Direct(client) => (client, "", target_host.as_bytes(), None),
        Via::Proxy {
            client,
            authorization,
            ..
        } => (client, "", target_host.as_bytes(), authorization.as_ref()),
    };
    let request = OutRequest {
        method: &outgoing.method,
        uri: &outgoing.uri,
        base_path,
        host,
        fields: &outgoing.fields,
        content_length: outgoing.content_length,
        proxy_authorization,
        forwarded: outgoing.forwarded.as_ref(),
    };
    let sending = client.send(&request, body);
    let result = match time_left {
        Some(limit) => tokio::time::timeout(limit, sending)
            .await
            .map_err(|_| AttemptError::new(AttemptErrorKind::Timeout, endpoint.id()))?,
        None => sending.await,
    };
    let response = result.map_err(|e| AttemptError::from_client(endpoint.id(), e))?;
    // A 407 is about the gateway's credentials for this proxy, which the
    // client cannot fix: it is this proxy's refusal, not the target's answer.
    if matches!(endpoint.via(), Via::Proxy { .. })
        && response.status() == StatusCode::PROXY_AUTHENTICATION_REQUIRED
    {
        return Err(AttemptError::new(
            AttemptErrorKind::ProxyRefused(response.status()),
            endpoint.id(),
        ));
    }
    Ok(response)
}

/// Forwards one client request: [`attempt_once`] per endpoint; an answer
/// whose status is in `retry_statuses` is worth another attempt, not before
/// its `Retry-After` ([`staunch_http::retry_after`]); 500, 502, 503 and 504
/// count against the endpoint's breaker
/// ([`staunch_http::StatusSet::DEFAULT_BREAKER`]).
#[derive(Debug)]
pub struct HttpAttempt {
    outgoing: Outgoing,
    retry_statuses: StatusSet,
}

impl HttpAttempt {
    /// Attempts that forward `outgoing`; answers with a status in
    /// `retry_statuses` are worth another attempt.
    pub fn new(outgoing: Outgoing, retry_statuses: StatusSet) -> Self {
        Self {
            outgoing,
            retry_statuses,
        }
    }
}

impl Attempt for HttpAttempt {
    type Output = UpstreamResponse;

    fn attempt(
        &mut self,
        endpoint: &Endpoint,
        time_left: Option<Duration>,
    ) -> impl Future<Output = Result<Self::Output, AttemptError>> + Send {
        attempt_once(endpoint, &mut self.outgoing, time_left)
    }

    fn is_retryable(&self, response: &UpstreamResponse) -> bool {
        self.retry_statuses.contains(response.status().as_u16())
    }

    fn is_endpoint_failure(&self, response: &UpstreamResponse) -> bool {
        staunch_http::StatusSet::DEFAULT_BREAKER.contains(response.status().as_u16())
    }

    fn retry_after(&self, response: &UpstreamResponse) -> Option<Duration> {
        let value = response.fields().get("retry-after")?;
        staunch_http::parse_retry_after(value, SystemTime::now())
    }

    fn status(&self, response: &UpstreamResponse) -> Option<u16> {
        Some(response.status().as_u16())
    }

    fn discard(&mut self, response: UpstreamResponse) {
        let body = Limited::new(response.into_body(), DRAIN_LIMIT);
        tokio::spawn(async move {
            // Read to the end, the connection goes back to the pool; past
            // the limit or the time, it is closed.
            let _ = tokio::time::timeout(DRAIN_TIMEOUT, body.collect()).await;
        });
    }
}

/// The most of a replaced answer's body that is read to keep its connection.
const DRAIN_LIMIT: usize = 64 * 1024;

/// The longest a replaced answer's body is read for.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(1);
