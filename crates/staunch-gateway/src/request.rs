//! [`ClientRequest`]: a client's request as the proxy listener read it.

use http::{HeaderValue, Method, Uri, Version};

use crate::body::ClientBody;
use crate::control::{Control, ControlError, CONTROL_PREFIX};
use crate::h1::raw_fields::RawFields;
use crate::server::OnUpgrade;

/// A request head as read from a client.
#[derive(Debug)]
pub(crate) struct RequestHead {
    pub(crate) method: Method,
    /// The target: absolute-form (forward), origin-form (reverse route) or
    /// authority-form (`CONNECT`).
    pub(crate) uri: Uri,
    pub(crate) version: Version,
    /// The `Host` field's value.
    pub(crate) host: Option<HeaderValue>,
    /// The end-to-end fields, as they came: without `Host`,
    /// `Content-Length`, `Expect`, `Proxy-Authorization` and the
    /// hop-by-hop fields (RFC 9110 §7.6.1). Control fields are still in
    /// (see `has_control`).
    pub(crate) fields: RawFields,
    /// Whether a field's name starts with `X-Staunch-`.
    pub(crate) has_control: bool,
    /// The `Content-Length`, when one was sent.
    pub(crate) content_length: Option<u64>,
}

/// A client's request: its head, its body (read ahead or streaming) and,
/// for `CONNECT`, the way to the connection once it is handed over.
#[derive(Debug)]
pub(crate) struct ClientRequest {
    pub(crate) head: RequestHead,
    pub(crate) body: ClientBody,
    pub(crate) upgrade: Option<OnUpgrade>,
}

impl RequestHead {
    /// What the control fields ask for.
    pub(crate) fn control(&self) -> Result<Control, ControlError> {
        match self.has_control {
            true => Control::from_fields(&self.fields),
            false => Ok(Control::default()),
        }
    }

    /// Removes the control fields, which are not forwarded.
    pub(crate) fn remove_control(&mut self) {
        if self.has_control {
            let prefix = CONTROL_PREFIX.as_bytes();
            self.fields.retain(|name| {
                !(name.len() > prefix.len() && name[..prefix.len()].eq_ignore_ascii_case(prefix))
            });
            self.has_control = false;
        }
    }
}
