//! Sending an attempt down the rest of the middleware chain.

use std::future::Future;

use http::{header, Extensions, HeaderMap, StatusCode};
use reqwest::{Request, Response};
use reqwest_middleware::Next;

use crate::call::{Finished, Route, Transport};
use crate::{BaseUrl, BoxError, ErrorKind};

/// A copy of `request` to send again; `None` for a streaming body.
///
/// A request without a body is copied from its public parts. reqwest's own
/// `try_clone` writes the copy's timeout through `timeout_mut`, which sets
/// up an extension map even when there is no timeout and then replaces it
/// with a clone of the original's: a third of this middleware's own cost
/// on a request that succeeds at once. Of a request's extensions the
/// client (reqwest 0.12.28) reads only the timeout, which is copied; a
/// request that carries others (one converted from an `http::Request`)
/// has a body and is copied with `try_clone`. A test compares the two
/// copies, to notice a later 0.12 release that keeps more settings there.
fn copy_request(request: &Request) -> Option<Request> {
    if request.body().is_some() {
        return request.try_clone();
    }
    let mut copy = Request::new(request.method().clone(), request.url().clone());
    // The client adds its default headers after the middleware, so many
    // requests have none here.
    if !request.headers().is_empty() {
        copy.headers_mut().clone_from(request.headers());
    }
    *copy.version_mut() = request.version();
    if let Some(&timeout) = request.timeout() {
        *copy.timeout_mut() = Some(timeout);
    }
    Some(copy)
}

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
    fn replay(&self, request: &Request) -> Option<Request> {
        copy_request(request)
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use http::{HeaderValue, Method, Version};

    use super::*;

    fn request(method: Method) -> Request {
        let mut request = Request::new(method, "http://api.test:8080/a?b=c".parse().unwrap());
        request
            .headers_mut()
            .insert("x-trace", HeaderValue::from_static("t1"));
        *request.version_mut() = Version::HTTP_11;
        request
    }

    fn assert_same_head(copy: &Request, original: &Request) {
        assert_eq!(copy.method(), original.method());
        assert_eq!(copy.url(), original.url());
        assert_eq!(copy.headers(), original.headers());
        assert_eq!(copy.version(), original.version());
        assert_eq!(copy.timeout(), original.timeout());
    }

    #[test]
    fn copy_without_a_body_keeps_the_head_and_the_timeout() {
        let mut original = request(Method::GET);
        *original.timeout_mut() = Some(Duration::from_millis(250));
        let copy = copy_request(&original).unwrap();
        assert_same_head(&copy, &original);
        assert_eq!(copy.timeout(), Some(&Duration::from_millis(250)));
        assert!(copy.body().is_none());
    }

    #[test]
    fn copy_of_a_request_without_headers_has_none() {
        let original = Request::new(Method::GET, "http://api.test/".parse().unwrap());
        let copy = copy_request(&original).unwrap();
        assert_same_head(&copy, &original);
        assert!(copy.headers().is_empty());
    }

    #[test]
    fn copy_without_a_timeout_has_none() {
        let original = request(Method::DELETE);
        let copy = copy_request(&original).unwrap();
        assert_same_head(&copy, &original);
        assert_eq!(copy.timeout(), None);
    }

    #[test]
    fn copy_of_a_buffered_body_has_the_same_bytes() {
        let mut original = request(Method::PUT);
        *original.body_mut() = Some(reqwest::Body::from("payload"));
        let copy = copy_request(&original).unwrap();
        assert_same_head(&copy, &original);
        assert_eq!(
            copy.body().and_then(|b| b.as_bytes()),
            Some(&b"payload"[..])
        );
    }

    /// What reqwest's own copy has: the same extensions as ours, seen
    /// through the conversion to an `http::Request`.
    #[test]
    fn copy_has_what_reqwests_own_copy_has() {
        let client = reqwest::Client::new();
        let original = client
            .get("http://api.test/a")
            .timeout(Duration::from_secs(3))
            .header("x-trace", "t1")
            .version(Version::HTTP_11)
            .build()
            .unwrap();
        let ours = copy_request(&original).unwrap();
        let theirs = original.try_clone().unwrap();
        assert_same_head(&ours, &theirs);
        let ours = http::Request::try_from(ours).unwrap();
        let theirs = http::Request::try_from(theirs).unwrap();
        assert_eq!(ours.extensions().len(), theirs.extensions().len());
        assert_eq!(ours.headers(), theirs.headers());
    }

    #[test]
    fn streaming_body_cannot_be_copied() {
        let mut original = request(Method::POST);
        let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from("x"))]);
        *original.body_mut() = Some(reqwest::Body::wrap_stream(chunks));
        assert!(copy_request(&original).is_none());
    }
}
