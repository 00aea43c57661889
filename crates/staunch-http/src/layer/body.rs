//! [`ReplayBody`]: request bodies the layer can send again.

use bytes::{Buf, Bytes};
use http_body::Body as _;
use http_body_util::combinators::{BoxBody, UnsyncBoxBody};
use http_body_util::{Empty, Full};

/// A request body the [`Staunch`](crate::Staunch) service may copy to send
/// it again on a retry.
///
/// Buffered bodies (`Full`, `Empty`, `Bytes`, `String`, `Vec<u8>`, `()`)
/// copy cheaply; streaming bodies (`BoxBody`, `hyper::body::Incoming`)
/// cannot be copied and are sent once. A body longer than the policy's
/// `max_replay_body` is sent once too.
///
/// ```
/// use bytes::Bytes;
/// use http_body_util::Full;
/// use staunch_http::ReplayBody;
///
/// let body = Full::new(Bytes::from_static(b"{\"id\":1}"));
/// assert_eq!(body.replay_len(), Some(8));
/// assert!(body.try_clone_body().is_some());
/// ```
pub trait ReplayBody: Sized {
    /// A copy to send again, or `None` when the body cannot be copied.
    fn try_clone_body(&self) -> Option<Self>;

    /// The length in bytes of a body that can be copied; `None` for one
    /// that cannot.
    fn replay_len(&self) -> Option<u64>;
}

impl<D: Buf + Clone> ReplayBody for Full<D> {
    fn try_clone_body(&self) -> Option<Self> {
        Some(self.clone())
    }

    fn replay_len(&self) -> Option<u64> {
        self.size_hint().exact()
    }
}

impl<D: Buf> ReplayBody for Empty<D> {
    fn try_clone_body(&self) -> Option<Self> {
        Some(Empty::new())
    }

    fn replay_len(&self) -> Option<u64> {
        Some(0)
    }
}

/// Bodies that are their own bytes.
macro_rules! buffered {
    ($($ty:ty),*) => {$(
        impl ReplayBody for $ty {
            fn try_clone_body(&self) -> Option<Self> {
                Some(self.clone())
            }

            fn replay_len(&self) -> Option<u64> {
                Some(self.len() as u64)
            }
        }
    )*};
}

buffered!(Bytes, String, Vec<u8>, &'static str, &'static [u8]);

impl ReplayBody for () {
    fn try_clone_body(&self) -> Option<Self> {
        Some(())
    }

    fn replay_len(&self) -> Option<u64> {
        Some(0)
    }
}

/// Streaming bodies: never copied, always sent once.
macro_rules! streaming {
    ($($ty:ty),*) => {$(
        impl ReplayBody for $ty {
            fn try_clone_body(&self) -> Option<Self> {
                None
            }

            fn replay_len(&self) -> Option<u64> {
                None
            }
        }
    )*};
}

streaming!(hyper::body::Incoming);

impl<D, E> ReplayBody for BoxBody<D, E> {
    fn try_clone_body(&self) -> Option<Self> {
        None
    }

    fn replay_len(&self) -> Option<u64> {
        None
    }
}

impl<D, E> ReplayBody for UnsyncBoxBody<D, E> {
    fn try_clone_body(&self) -> Option<Self> {
        None
    }

    fn replay_len(&self) -> Option<u64> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffered_bodies_copy_and_know_their_length() {
        assert_eq!(Bytes::from_static(b"abc").replay_len(), Some(3));
        assert_eq!(
            String::from("abcd").try_clone_body().as_deref(),
            Some("abcd")
        );
        assert_eq!(Empty::<Bytes>::new().replay_len(), Some(0));
        assert_eq!(
            Full::new(Bytes::from_static(b"12345")).replay_len(),
            Some(5)
        );
    }

    #[test]
    fn streaming_bodies_are_never_copied() {
        let body: BoxBody<Bytes, std::io::Error> = BoxBody::new(http_body_util::BodyExt::map_err(
            Full::new(Bytes::new()),
            |never| match never {},
        ));
        assert!(body.try_clone_body().is_none());
        assert_eq!(body.replay_len(), None);
    }
}
