//! [`UpstreamResponse`]: an upstream's answer as the gateway relays it.

use http::{Response, StatusCode, Version};

use super::UpstreamBody;
use crate::h1::raw_fields::RawFields;

/// An upstream's answer: its status, its end-to-end header fields as they
/// came (hop-by-hop ones are left out), and its body, still streaming from
/// the connection.
#[derive(Debug)]
pub struct UpstreamResponse {
    status: StatusCode,
    version: Version,
    fields: RawFields,
    body: UpstreamBody,
}

impl UpstreamResponse {
    pub(crate) fn new(
        status: StatusCode,
        version: Version,
        fields: RawFields,
        body: UpstreamBody,
    ) -> Self {
        Self {
            status,
            version,
            fields,
            body,
        }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The HTTP version the upstream spoke.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The end-to-end header fields.
    pub fn fields(&self) -> &RawFields {
        &self.fields
    }

    /// The body, still to be read.
    pub fn body(&self) -> &UpstreamBody {
        &self.body
    }

    /// The body.
    pub fn into_body(self) -> UpstreamBody {
        self.body
    }

    /// The status, the fields and the body.
    pub fn into_parts(self) -> (StatusCode, RawFields, UpstreamBody) {
        (self.status, self.fields, self.body)
    }

    /// The answer as an [`http::Response`], its fields in a header map.
    pub fn into_http(self) -> Response<UpstreamBody> {
        let mut response = Response::new(self.body);
        *response.status_mut() = self.status;
        *response.version_mut() = self.version;
        *response.headers_mut() = self.fields.to_header_map();
        response
    }
}
