//! HTTP/1.1 wire pieces shared by the gateway's own client (towards
//! upstreams) and server (towards clients).

pub(crate) mod chunked;
pub(crate) mod date;
pub(crate) mod decode;
pub(crate) mod fields;
pub(crate) mod message_body;
pub(crate) mod raw_fields;
pub(crate) mod reader;
