//! Sending an attempt down the rest of the middleware chain.

use std::future::Future;

use http::{header, Extensions, HeaderMap, StatusCode};
use reqwest::{Request, Response};
use reqwest_middleware::Next;

use super::copy::RequestCopy;
use crate::call::{Finished, Route, Transport};
use crate::{BaseUrl, BoxError, ErrorKind};

/// The rest of the chain and the request's extensions.
pub(crate) struct NextTransport<'n, 'e> {
    next: Next<'n>,
    extensions: &'e mut Extensions,
}

impl<'n, 'e> NextTransport<'n, 'e> {
    pub(crate) fn new(next: Next<'n>, extensions: &'e mut Extensions) -> Self {
        Self { next, extensions }
    }
}

impl Transport for NextTransport<'_, '_> {
    type Request = Request;
    type Response = Response;
    type Error = reqwest_middleware::Error;
    type Output = reqwest_middleware::Result<Response>;
    type Kept = RequestCopy;

    #[inline]
    fn status(response: &Response) -> StatusCode {
        response.status()
    }

    #[inline]
    fn headers(response: &Response) -> &HeaderMap {
        response.headers()
    }

    fn error_kind(error: &reqwest_middleware::Error) -> ErrorKind {
        match error {
            reqwest_middleware::Error::Reqwest(e) => ErrorKind::of(e),
            reqwest_middleware::Error::Middleware(e) => ErrorKind::of(e.as_ref()),
        }
    }

    fn into_box(error: reqwest_middleware::Error) -> BoxError {
        Box::new(error)
    }

    fn output(finished: Finished<Response, reqwest_middleware::Error>) -> Self::Output {
        match finished {
            Finished::Response(response) => Ok(response),
            Finished::Failed(error) => Err(error),
            Finished::GaveUp(error) => Err(reqwest_middleware::Error::Middleware(
                anyhow::Error::new(error),
            )),
        }
    }

    #[inline]
    fn keep(&self, request: &Request) -> Option<RequestCopy> {
        RequestCopy::of(request)
    }

    #[inline]
    fn replay(&self, copy: &RequestCopy) -> Option<Request> {
        copy.request()
    }

    fn retarget(
        &self,
        request: &mut Request,
        base: &BaseUrl,
        route: &Route,
    ) -> Result<(), reqwest_middleware::Error> {
        let url = request.url_mut();
        let applied = (url.scheme() == base.scheme() || url.set_scheme(base.scheme()).is_ok())
            && url.set_host(Some(base.host())).is_ok()
            && url.set_port(base.port()).is_ok();
        if !applied {
            return Err(reqwest_middleware::Error::middleware(
                std::io::Error::other(format!("cannot send `{url}` under the base URL `{base}`")),
            ));
        }
        url.set_path(&route.path(base));
        url.set_query(route.query());
        if let Some(host) = request.headers_mut().get_mut(header::HOST) {
            host.clone_from(base.host_header());
        }
        Ok(())
    }

    #[inline]
    fn send(
        &mut self,
        request: Request,
    ) -> impl Future<Output = Result<Response, reqwest_middleware::Error>> + Send + '_ {
        self.next.clone().run(request, self.extensions)
    }
}
