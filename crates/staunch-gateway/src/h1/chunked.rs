//! The `chunked` transfer coding of response bodies (RFC 9112 §7.1),
//! decoded incrementally from a connection's read buffer.
//!
//! Chunk extensions are skipped; trailer fields are read and dropped (the
//! gateway strips `TE` from requests, so upstreams have no reason to send
//! any). Size lines and trailers are bounded so a hostile upstream cannot
//! make the gateway buffer without limit.

use bytes::{Buf, Bytes, BytesMut};

/// The longest chunk-size line accepted, extensions included.
const MAX_SIZE_LINE: usize = 4096;

/// The most trailer bytes accepted after the last chunk.
const MAX_TRAILERS: usize = 64 * 1024;

/// Where the decoder is in the coded body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Chunked {
    /// Expecting a chunk-size line.
    Size,
    /// Inside a chunk's data, this many bytes left.
    Data(u64),
    /// After a chunk's data, expecting its CRLF.
    DataEnd,
    /// After the last chunk, reading trailer lines; bytes of trailers seen.
    Trailers(usize),
    /// The body is complete.
    Done,
}

/// One step of decoding.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Decoded {
    /// Body bytes.
    Data(Bytes),
    /// The buffer holds no complete next piece: read more.
    NeedMore,
    /// The body is complete; everything after it is left in the buffer.
    End,
}

/// A malformed chunked body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChunkedError(pub(crate) &'static str);

impl std::fmt::Display for ChunkedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid chunked body: {}", self.0)
    }
}

impl std::error::Error for ChunkedError {}

impl Chunked {
    /// A decoder at the start of a body.
    pub(crate) fn new() -> Self {
        Self::Size
    }

    /// Decodes from the front of `buf`, consuming what it uses: the next
    /// data (at most what `buf` holds), or why there is none yet.
    pub(crate) fn decode(&mut self, buf: &mut BytesMut) -> Result<Decoded, ChunkedError> {
        loop {
            match *self {
                Self::Done => return Ok(Decoded::End),
                Self::Size => {
                    let Some(line_end) = find_crlf(buf, MAX_SIZE_LINE)? else {
                        return Ok(Decoded::NeedMore);
                    };
                    let size = parse_size(&buf[..line_end])?;
                    buf.advance(line_end + 2);
                    *self = if size == 0 {
                        Self::Trailers(0)
                    } else {
                        Self::Data(size)
                    };
                }
                Self::Data(left) => {
                    if buf.is_empty() {
                        return Ok(Decoded::NeedMore);
                    }
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
                    let data = buf.split_to(take).freeze();
                    let left = left - take as u64;
                    *self = if left == 0 {
                        Self::DataEnd
                    } else {
                        Self::Data(left)
                    };
                    return Ok(Decoded::Data(data));
                }
                Self::DataEnd => {
                    if buf.len() < 2 {
                        return Ok(Decoded::NeedMore);
                    }
                    if &buf[..2] != b"\r\n" {
                        return Err(ChunkedError("chunk data not followed by CRLF"));
                    }
                    buf.advance(2);
                    *self = Self::Size;
                }
                Self::Trailers(seen) => {
                    let limit = MAX_TRAILERS.saturating_sub(seen);
                    let Some(line_end) = find_crlf(buf, limit)? else {
                        return Ok(Decoded::NeedMore);
                    };
                    buf.advance(line_end + 2);
                    *self = if line_end == 0 {
                        Self::Done
                    } else {
                        Self::Trailers(seen + line_end + 2)
                    };
                }
            }
        }
    }
}

/// The index of the first CRLF in `buf`, `None` when there is none yet;
/// an error when the line is already longer than `limit`.
fn find_crlf(buf: &[u8], limit: usize) -> Result<Option<usize>, ChunkedError> {
    let window = &buf[..buf.len().min(limit.saturating_add(2))];
    match window.windows(2).position(|w| w == b"\r\n") {
        Some(at) => Ok(Some(at)),
        None if buf.len() > limit.saturating_add(1) => Err(ChunkedError("line too long")),
        None => Ok(None),
    }
}

/// The size of a chunk-size line: hex digits, optionally followed by
/// whitespace and `;extensions`.
fn parse_size(line: &[u8]) -> Result<u64, ChunkedError> {
    let digits = line
        .iter()
        .position(|b| !b.is_ascii_hexdigit())
        .unwrap_or(line.len());
    if digits == 0 {
        return Err(ChunkedError("chunk size is not a hex number"));
    }
    if digits > 15 {
        return Err(ChunkedError("chunk size too large"));
    }
    let rest = &line[digits..];
    let after_space = rest
        .iter()
        .position(|b| *b != b' ' && *b != b'\t')
        .map_or(&[][..], |at| &rest[at..]);
    if !after_space.is_empty() && after_space[0] != b';' {
        return Err(ChunkedError("unexpected bytes after the chunk size"));
    }
    if rest.contains(&b'\n') || rest.contains(&b'\r') {
        return Err(ChunkedError("bare CR or LF in a chunk-size line"));
    }
    let mut size = 0u64;
    for &digit in &line[..digits] {
        let value = match digit {
            b'0'..=b'9' => digit - b'0',
            b'a'..=b'f' => digit - b'a' + 10,
            _ => digit - b'A' + 10,
        };
        size = size * 16 + u64::from(value);
    }
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Feeds `coded` to a decoder in pieces of the given sizes (cycled),
    /// and returns the body and what was left after it.
    fn decode_in_pieces(
        coded: &[u8],
        pieces: &[usize],
    ) -> Result<(Vec<u8>, Vec<u8>), ChunkedError> {
        let mut decoder = Chunked::new();
        let mut buf = BytesMut::new();
        let mut body = Vec::new();
        let mut fed = 0;
        let mut sizes = pieces.iter().copied().cycle();
        loop {
            match decoder.decode(&mut buf)? {
                Decoded::Data(data) => body.extend_from_slice(&data),
                Decoded::End => return Ok((body, buf.to_vec())),
                Decoded::NeedMore => {
                    if fed == coded.len() {
                        return Err(ChunkedError("ran out of input"));
                    }
                    let n = sizes.next().unwrap_or(1).max(1).min(coded.len() - fed);
                    buf.extend_from_slice(&coded[fed..fed + n]);
                    fed += n;
                }
            }
        }
    }

    fn encode(chunks: &[Vec<u8>], extension: bool, trailers: bool) -> Vec<u8> {
        let mut out = Vec::new();
        for chunk in chunks.iter().filter(|c| !c.is_empty()) {
            out.extend_from_slice(format!("{:X}", chunk.len()).as_bytes());
            if extension {
                out.extend_from_slice(b" ;name=\"value\"");
            }
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(chunk);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"0\r\n");
        if trailers {
            out.extend_from_slice(b"x-checksum: abc\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out
    }

    #[test]
    fn decodes_a_simple_body_and_leaves_what_follows() {
        let coded = b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\nHTTP/1.1 200 OK";
        let (body, rest) = decode_in_pieces(coded, &[usize::MAX]).unwrap();
        assert_eq!(body, b"hello, world");
        assert_eq!(rest, b"HTTP/1.1 200 OK");
    }

    #[test]
    fn rejects_malformed_bodies() {
        for (coded, why) in [
            (
                &b"zz\r\nhello\r\n0\r\n\r\n"[..],
                "chunk size is not a hex number",
            ),
            (b"5\r\nhelloXY0\r\n\r\n", "chunk data not followed by CRLF"),
            (
                b"5 x\r\nhello\r\n0\r\n\r\n",
                "unexpected bytes after the chunk size",
            ),
            (b"1000000000000000\r\n", "chunk size too large"),
        ] {
            let err = decode_in_pieces(coded, &[3]).unwrap_err();
            assert_eq!(err.0, why, "{}", String::from_utf8_lossy(coded));
        }
    }

    #[test]
    fn rejects_endless_size_lines_and_trailers() {
        let mut long_line = b"1".to_vec();
        long_line.resize(MAX_SIZE_LINE + 8, b' ');
        assert_eq!(
            decode_in_pieces(&long_line, &[512]).unwrap_err().0,
            "line too long"
        );
        let mut trailers = b"0\r\n".to_vec();
        for _ in 0..(MAX_TRAILERS / 10) + 2 {
            trailers.extend_from_slice(b"x-a: 1234\r\n");
        }
        assert_eq!(
            decode_in_pieces(&trailers, &[1000]).unwrap_err().0,
            "line too long"
        );
    }

    proptest! {
        #[test]
        fn any_chunking_decodes_to_the_original_bytes(
            chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..8),
            pieces in proptest::collection::vec(1usize..64, 1..8),
            extension: bool,
            trailers: bool,
        ) {
            let coded = encode(&chunks, extension, trailers);
            let (body, rest) = decode_in_pieces(&coded, &pieces).unwrap();
            prop_assert_eq!(body, chunks.concat());
            prop_assert!(rest.is_empty());
        }

        #[test]
        fn arbitrary_input_never_panics(coded in proptest::collection::vec(any::<u8>(), 0..512), piece in 1usize..32) {
            // Errors are fine; panics and endless loops are not, and a
            // body is never longer than its coding.
            if let Ok((body, rest)) = decode_in_pieces(&coded, &[piece]) {
                prop_assert!(body.len() + rest.len() <= coded.len());
            }
        }
    }
}
