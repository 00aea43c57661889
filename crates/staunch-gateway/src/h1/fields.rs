//! Header fields of a parsed head: where each sits in the head's bytes,
//! how a field line is written, and the fields that delimit a body and
//! govern the connection.

/// The most header fields accepted in a head.
pub(crate) const MAX_FIELDS: usize = 100;

/// Where one field's name and value sit in a head: start and end offsets
/// of each. Heads are at most a few hundred KiB, so offsets fit in `u32`.
pub(crate) type Span = [u32; 4];

/// Where the field `name: value`, parsed from the buffer starting at
/// `base`, sits in it.
pub(crate) fn span_of(base: *const u8, name: &[u8], value: &[u8]) -> Span {
    let base = base as usize;
    let name_start = (name.as_ptr() as usize - base) as u32;
    let value_start = (value.as_ptr() as usize - base) as u32;
    [
        name_start,
        name_start + name.len() as u32,
        value_start,
        value_start + value.len() as u32,
    ]
}

/// Appends the field line `name: value` to a head being written.
pub(crate) fn write_field(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// What `Content-Length`, `Transfer-Encoding` and `Connection` say.
#[derive(Debug, Default)]
pub(crate) struct FramingFields {
    /// The `Content-Length`, when one was sent.
    pub(crate) length: Option<u64>,
    /// `Some(last coding is chunked)` when `Transfer-Encoding` was sent.
    pub(crate) transfer_encoding: Option<bool>,
    /// `Connection: close`.
    pub(crate) close: bool,
    /// `Connection: keep-alive`.
    pub(crate) keep_alive: bool,
    /// `Connection` lists an option other than those two: a field the
    /// message's sender meant for this hop only.
    pub(crate) names_fields: bool,
}

impl FramingFields {
    /// Takes note of one field, `name` in any case; a malformed or
    /// conflicting length is an error.
    #[inline]
    pub(crate) fn see(&mut self, name: &[u8], value: &[u8]) -> Result<(), String> {
        match name.len() {
            14 if name.eq_ignore_ascii_case(b"content-length") => self.see_length(value),
            17 if name.eq_ignore_ascii_case(b"transfer-encoding") => {
                self.see_transfer_encoding(value);
                Ok(())
            }
            10 if name.eq_ignore_ascii_case(b"connection") => {
                self.see_connection(value);
                Ok(())
            }
            // Not standard, but still sent: the fields it names are for
            // this hop too (its `close` and `keep-alive` are not ours).
            16 if name.eq_ignore_ascii_case(b"proxy-connection") => {
                self.names_fields |= lists_other_options(value);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn see_length(&mut self, value: &[u8]) -> Result<(), String> {
        if let Some(length) = plain_length(value) {
            return self.set_length(length);
        }
        for item in std::str::from_utf8(value).unwrap_or("x").split(',') {
            let item = item.trim();
            let parsed: u64 = item
                .parse()
                .ok()
                .filter(|_| !item.starts_with('+'))
                .ok_or_else(|| format!("invalid Content-Length {item:?}"))?;
            self.set_length(parsed)?;
        }
        Ok(())
    }

    fn see_transfer_encoding(&mut self, value: &[u8]) {
        let last = std::str::from_utf8(value)
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .rfind(|coding| !coding.is_empty());
        // A later field's codings come after an earlier one's.
        if let Some(coding) = last {
            self.transfer_encoding = Some(coding.eq_ignore_ascii_case("chunked"));
        } else if self.transfer_encoding.is_none() {
            self.transfer_encoding = Some(false);
        }
    }

    fn see_connection(&mut self, value: &[u8]) {
        self.names_fields |= lists_other_options(value);
        for token in std::str::from_utf8(value)
            .unwrap_or("")
            .split(',')
            .map(str::trim)
        {
            if token.eq_ignore_ascii_case("close") {
                self.close = true;
            } else if token.eq_ignore_ascii_case("keep-alive") {
                self.keep_alive = true;
            }
        }
    }

    fn set_length(&mut self, length: u64) -> Result<(), String> {
        if self.length.is_some_and(|known| known != length) {
            return Err("conflicting Content-Length values".into());
        }
        self.length = Some(length);
        Ok(())
    }
}

/// Whether a `Connection`-style value lists an option other than `close`
/// and `keep-alive`: a field name.
fn lists_other_options(value: &[u8]) -> bool {
    value.split(|&b| b == b',').any(|token| {
        let token = token.trim_ascii();
        !token.is_empty()
            && !token.eq_ignore_ascii_case(b"close")
            && !token.eq_ignore_ascii_case(b"keep-alive")
    })
}

/// A `Content-Length` of plain digits (nearly all of them), without the
/// general path's splitting and trimming; `None` for anything else,
/// including a number too large for `u64`.
fn plain_length(value: &[u8]) -> Option<u64> {
    if value.is_empty() || value.len() > 19 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        value
            .iter()
            .fold(0u64, |n, digit| n * 10 + u64::from(digit - b'0')),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn length_of(text: &str) -> Result<Option<u64>, String> {
        let mut fields = FramingFields::default();
        fields.see(b"Content-Length", text.as_bytes())?;
        Ok(fields.length)
    }

    #[test]
    fn content_length_forms() {
        assert_eq!(length_of("0"), Ok(Some(0)));
        assert_eq!(length_of("1234"), Ok(Some(1234)));
        assert_eq!(length_of(" 7 , 7"), Ok(Some(7)));
        assert!(length_of("7, 8").is_err());
        assert!(length_of("+7").is_err());
        assert!(length_of("").is_err());
        assert!(length_of("99999999999999999999").is_err(), "over u64");
    }

    proptest! {
        #[test]
        fn plain_digits_read_as_the_general_parser_reads_them(n in any::<u64>(), zeros in 0usize..3) {
            let text = format!("{}{n}", "0".repeat(zeros));
            prop_assert_eq!(length_of(&text), text.parse::<u64>().map(Some).map_err(|e| e.to_string()));
        }
    }
}
