//! [`RequestCopy`]: what the middleware keeps of a request to send it
//! again.

use std::time::Duration;

use http::{HeaderMap, Method, Version};
use reqwest::{Request, Url};

/// What is kept of a request to send it again.
///
/// A request without a body keeps its public parts, and a request is made
/// from them for each retry. reqwest's own `try_clone` writes the copy's
/// timeout through `timeout_mut`, which sets up an extension map even when
/// there is no timeout and then replaces it with a clone of the
/// original's; and a kept `Request` would carry a header map and an
/// extension map to build and drop on every call, retried or not. Of a
/// request's extensions the client (reqwest 0.12.28) reads only the
/// timeout, which is kept; a request that carries others (one converted
/// from an `http::Request`) has a body and is copied with `try_clone`. A
/// test compares the two copies, to notice a later 0.12 release that keeps
/// more settings there.
pub(crate) enum RequestCopy {
    /// The parts of a request without a body.
    Head(Head),
    /// A request with a buffered body, copied whole.
    Whole(Request),
}

/// The public parts of a request without a body.
pub(crate) struct Head {
    method: Method,
    url: Url,
    /// `None` when there are none: the client adds its default headers
    /// after the middleware, so many requests have none here.
    headers: Option<HeaderMap>,
    version: Version,
    timeout: Option<Duration>,
}

impl RequestCopy {
    /// What to keep of `request`; `None` for a streaming body.
    pub(crate) fn of(request: &Request) -> Option<Self> {
        if request.body().is_some() {
            return request.try_clone().map(Self::Whole);
        }
        Some(Self::Head(Head {
            method: request.method().clone(),
            url: request.url().clone(),
            headers: (!request.headers().is_empty()).then(|| request.headers().clone()),
            version: request.version(),
            timeout: request.timeout().copied(),
        }))
    }

    /// A request to send again.
    pub(crate) fn request(&self) -> Option<Request> {
        let head = match self {
            Self::Head(head) => head,
            Self::Whole(request) => return request.try_clone(),
        };
        let mut copy = Request::new(head.method.clone(), head.url.clone());
        if let Some(headers) = &head.headers {
            copy.headers_mut().clone_from(headers);
        }
        *copy.version_mut() = head.version;
        if let Some(timeout) = head.timeout {
            *copy.timeout_mut() = Some(timeout);
        }
        Some(copy)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use http::{HeaderValue, Method, Version};

    use super::*;

    fn copy_request(request: &Request) -> Option<Request> {
        RequestCopy::of(request)?.request()
    }

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
    fn one_copy_makes_the_same_request_for_every_retry() {
        for body in [None, Some("payload")] {
            let mut original = request(Method::PUT);
            *original.timeout_mut() = Some(Duration::from_millis(40));
            *original.body_mut() = body.map(reqwest::Body::from);
            let copy = RequestCopy::of(&original).unwrap();
            for _ in 0..3 {
                let again = copy.request().unwrap();
                assert_same_head(&again, &original);
                assert_eq!(
                    again.body().and_then(|b| b.as_bytes()),
                    body.map(str::as_bytes)
                );
            }
        }
    }

    #[test]
    fn streaming_body_cannot_be_copied() {
        let mut original = request(Method::POST);
        let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from("x"))]);
        *original.body_mut() = Some(reqwest::Body::wrap_stream(chunks));
        assert!(copy_request(&original).is_none());
    }
}
