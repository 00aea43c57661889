//! Sending an attempt through the wrapped service.

use std::future::{poll_fn, Future};
use std::marker::PhantomData;

use http::uri::{Parts, PathAndQuery};
use http::{header, HeaderMap, Request, Response, StatusCode, Uri};
use tower_service::Service;

use super::ReplayBody;
use crate::call::{Finished, Route, Transport};
use crate::{BaseUrl, BoxError, ErrorKind};

/// The wrapped service; `ready` while the caller's `poll_ready` still
/// stands for the first attempt.
pub(crate) struct ServiceTransport<S, B, RB> {
    service: S,
    ready: bool,
    bodies: PhantomData<fn(B) -> RB>,
}

impl<S, B, RB> ServiceTransport<S, B, RB> {
    /// `service`, which its caller already polled ready.
    pub(crate) fn ready(service: S) -> Self {
        Self {
            service,
            ready: true,
            bodies: PhantomData,
        }
    }
}

impl<S, B, RB> Transport for ServiceTransport<S, B, RB>
where
    S: Service<Request<B>, Response = Response<RB>> + Send,
    S::Error: Into<BoxError>,
    S::Future: Send,
    B: ReplayBody + Send + 'static,
    RB: 'static,
{
    type Request = Request<B>;
    type Response = Response<RB>;
    type Error = BoxError;
    type Output = Result<Response<RB>, BoxError>;
    type Kept = Request<B>;

    #[inline]
    fn status(response: &Response<RB>) -> StatusCode {
        response.status()
    }

    #[inline]
    fn headers(response: &Response<RB>) -> &HeaderMap {
        response.headers()
    }

    fn error_kind(error: &BoxError) -> ErrorKind {
        ErrorKind::of(error.as_ref())
    }

    fn into_box(error: BoxError) -> BoxError {
        error
    }

    fn output(finished: Finished<Response<RB>, BoxError>) -> Self::Output {
        match finished {
            Finished::Response(response) => Ok(response),
            Finished::Failed(error) => Err(error),
            Finished::GaveUp(error) => Err(error.into()),
        }
    }

    #[inline]
    fn keep(&self, request: &Request<B>) -> Option<Request<B>> {
        self.replay(request)
    }

    fn replay(&self, request: &Request<B>) -> Option<Request<B>> {
        let mut copy = Request::new(request.body().try_clone_body()?);
        *copy.method_mut() = request.method().clone();
        *copy.uri_mut() = request.uri().clone();
        *copy.version_mut() = request.version();
        *copy.headers_mut() = request.headers().clone();
        *copy.extensions_mut() = request.extensions().clone();
        Some(copy)
    }

    fn retarget(
        &self,
        request: &mut Request<B>,
        base: &BaseUrl,
        route: &Route,
    ) -> Result<(), BoxError> {
        let mut parts = Parts::default();
        parts.scheme = Some(base.scheme_part().clone());
        parts.authority = Some(base.authority_part().clone());
        parts.path_and_query = Some(PathAndQuery::try_from(route.path_and_query(base))?);
        *request.uri_mut() = Uri::from_parts(parts)?;
        if let Some(host) = request.headers_mut().get_mut(header::HOST) {
            host.clone_from(base.host_header());
        }
        Ok(())
    }

    fn send(
        &mut self,
        request: Request<B>,
    ) -> impl Future<Output = Result<Response<RB>, BoxError>> + Send + '_ {
        let was_ready = std::mem::replace(&mut self.ready, false);
        async move {
            if !was_ready {
                poll_fn(|cx| self.service.poll_ready(cx))
                    .await
                    .map_err(Into::into)?;
            }
            self.service.call(request).await.map_err(Into::into)
        }
    }
}
