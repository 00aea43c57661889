//! Credentials that never show.
//!
//! [`Secret`] holds a token; [`SecretUrl`] holds a URL whose user-info
//! (`user:password@`) is a credential. Both print masked through `Debug`,
//! `Display` and `Serialize`, so a config dump, a log line or an API answer
//! cannot leak them by accident. The raw value is reachable only through an
//! explicit `expose()`.

use std::fmt;

use serde::{Deserialize, Serialize, Serializer};

/// What a masked credential prints as.
pub(crate) const MASK: &str = "***";

/// A credential such as an admin token.
///
/// ```
/// use staunch_gateway::Secret;
/// let token = Secret::new("hunter2");
/// assert_eq!(format!("{token:?} {token}"), "*** ***");
/// assert_eq!(token.expose(), "hunter2");
/// ```
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The raw credential. Call sites of this are the only places it can leak.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Compares with `candidate` in time that does not depend on where the
    /// first difference is (only on the lengths).
    pub fn matches(&self, candidate: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), candidate.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(MASK)
    }
}

/// A URL that may carry credentials in its user-info, such as an upstream
/// proxy's `http://user:pass@proxy.example:3128`.
///
/// It shows as `http://user:***@proxy.example:3128`: the user name stays
/// visible (it identifies the account), the password never does. A user-info
/// without a colon (a bare token) is masked whole.
///
/// ```
/// use staunch_gateway::SecretUrl;
/// let url = SecretUrl::new("http://alice:s3cret@10.0.0.1:3128");
/// assert_eq!(url.to_string(), "http://alice:***@10.0.0.1:3128");
/// assert_eq!(url.expose(), "http://alice:s3cret@10.0.0.1:3128");
/// ```
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct SecretUrl(String);

impl SecretUrl {
    /// Wraps a URL.
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL with its credentials.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with the password (or a bare token) replaced by `***`.
    pub fn masked(&self) -> String {
        mask_userinfo(&self.0)
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.masked())
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl Serialize for SecretUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.masked())
    }
}

/// Masks the user-info of `url`.
///
/// Conservative on purpose: everything before the last `@` after the scheme
/// counts as user-info, so a password holding an unencoded `/` or `@` is still
/// hidden.
pub(crate) fn mask_userinfo(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(i) => url.split_at(i + 3),
        None => ("", url),
    };
    let Some(at) = rest.rfind('@') else {
        return url.to_string();
    };
    let (userinfo, host) = (&rest[..at], &rest[at..]);
    let masked = match userinfo.find(':') {
        Some(colon) => format!("{}:{MASK}", &userinfo[..colon]),
        None => MASK.to_string(),
    };
    format!("{scheme}{masked}{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints_its_value() {
        let s = Secret::new("tok-123");
        let json = serde_json::to_string(&s).unwrap();
        for shown in [format!("{s}"), format!("{s:?}"), json] {
            assert!(!shown.contains("tok-123"), "{shown}");
            assert!(shown.contains(MASK), "{shown}");
        }
    }

    #[test]
    fn secret_matches_only_the_same_value() {
        let s = Secret::new("abc");
        assert!(s.matches("abc"));
        assert!(!s.matches("abd"));
        assert!(!s.matches("ab"));
        assert!(!s.matches(""));
    }

    #[test]
    fn url_masks_password_but_keeps_user() {
        let cases = [
            ("http://u:p@h:1", "http://u:***@h:1"),
            ("http://token@h:1", "http://***@h:1"),
            ("http://h:1", "http://h:1"),
            ("http://u:p/x@y@h:1/", "http://u:***@h:1/"),
            ("u:p@h:1", "u:***@h:1"),
        ];
        for (raw, want) in cases {
            assert_eq!(mask_userinfo(raw), want, "{raw}");
        }
    }

    #[test]
    fn url_serializes_and_debugs_masked() {
        let url = SecretUrl::new("http://alice:pw@h:3128");
        let json = serde_json::to_string(&url).unwrap();
        assert_eq!(json, "\"http://alice:***@h:3128\"");
        assert!(!format!("{url:?}").contains("pw"));
    }
}
