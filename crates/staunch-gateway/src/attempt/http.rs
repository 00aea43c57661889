//! One HTTP attempt: the request rewritten for one endpoint, sent, and the
//! response head awaited.

use std::future::Future;
use std::time::{Duration, SystemTime};

use http::header::{HOST, PROXY_AUTHORIZATION};
use http::uri::PathAndQuery;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;

use super::{Attempt, AttemptError, AttemptErrorKind};
use crate::body::RequestBody;
use crate::client::ProxyBody;
use crate::endpoint::{Endpoint, Via};
use crate::engine::StatusSet;

/// A client request as it will be forwarded, before an endpoint is chosen.
///
/// `uri` is absolute (`http://host/path?query`): for forward traffic it is
/// the client's target; for a reverse route only its path and query are
/// used, appended to the chosen backend's base path. `headers` are already
/// cleaned (hop-by-hop and control headers removed, `X-Forwarded-*` set);
/// `Host` is set per endpoint.
#[derive(Debug)]
pub struct Outgoing {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: RequestBody,
}

impl Outgoing {
    /// A request to forward.
    pub fn new(method: Method, uri: Uri, headers: HeaderMap, body: RequestBody) -> Self {
        Self {
            method,
            uri,
            headers,
            body,
        }
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

    /// The request for one attempt at `endpoint`, or `None` when the body
    /// streamed to an earlier attempt.
    pub fn request_for(&mut self, endpoint: &Endpoint) -> Option<Request<ProxyBody>> {
        let body = self.body.for_attempt()?;
        let mut headers = self.headers.clone();
        let uri = match endpoint.via() {
            Via::Backend { base, host, .. } => {
                headers.insert(HOST, host.clone());
                backend_target(&base.path, &self.uri)?
            }
            Via::Direct(_) | Via::Proxy { .. } => {
                if let Some(authority) = self.uri.authority() {
                    headers.insert(HOST, header_value(authority.as_str()));
                }
                self.uri.clone()
            }
        };
        if let Via::Proxy {
            authorization: Some(auth),
            ..
        } = endpoint.via()
        {
            headers.insert(PROXY_AUTHORIZATION, auth.clone());
        }
        let mut request = Request::new(body);
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = uri;
        *request.headers_mut() = headers;
        Some(request)
    }
}

/// The origin-form target at a backend: its base path, then the request's
/// path and query. Without a base path an origin-form target is reused as
/// it is.
fn backend_target(base: &str, uri: &Uri) -> Option<Uri> {
    let path_and_query = uri.path_and_query();
    if base.is_empty() {
        if uri.scheme().is_none() && uri.authority().is_none() {
            return Some(uri.clone());
        }
        let mut parts = http::uri::Parts::default();
        parts.path_and_query = Some(
            path_and_query
                .cloned()
                .unwrap_or_else(|| PathAndQuery::from_static("/")),
        );
        return Uri::from_parts(parts).ok();
    }
    let path = path_and_query.map_or("/", PathAndQuery::as_str);
    Uri::try_from(format!("{base}{path}")).ok()
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Sends `request` to `endpoint` and waits for the response head, at most
/// `time_left` when set.
///
/// The response body is not read: it streams to the client afterwards.
pub async fn attempt_once(
    endpoint: &Endpoint,
    request: Request<ProxyBody>,
    time_left: Option<Duration>,
) -> Result<Response<Incoming>, AttemptError> {
    let sending = match endpoint.via() {
        Via::Direct(client) | Via::Backend { client, .. } | Via::Proxy { client, .. } => {
            client.send(request)
        }
    };
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
    type Output = Response<Incoming>;

    fn attempt(
        &mut self,
        endpoint: &Endpoint,
        time_left: Option<Duration>,
    ) -> impl Future<Output = Result<Self::Output, AttemptError>> + Send {
        let request = self.outgoing.request_for(endpoint);
        let endpoint = endpoint.clone();
        async move {
            match request {
                Some(request) => attempt_once(&endpoint, request, time_left).await,
                None => Err(AttemptError::new(
                    AttemptErrorKind::BodyNotReplayable,
                    endpoint.id(),
                )),
            }
        }
    }

    fn is_retryable(&self, response: &Response<Incoming>) -> bool {
        self.retry_statuses.contains(response.status().as_u16())
    }

    fn is_endpoint_failure(&self, response: &Response<Incoming>) -> bool {
        staunch_http::StatusSet::DEFAULT_BREAKER.contains(response.status().as_u16())
    }

    fn retry_after(&self, response: &Response<Incoming>) -> Option<Duration> {
        staunch_http::retry_after(response.headers(), SystemTime::now())
    }

    fn status(&self, response: &Response<Incoming>) -> Option<u16> {
        Some(response.status().as_u16())
    }

    fn discard(&mut self, response: Response<Incoming>) {
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
