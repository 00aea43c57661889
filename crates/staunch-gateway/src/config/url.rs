//! URLs of backends and upstream proxies.

use base64::Engine as _;
use http::uri::{Authority, Scheme};
use http::{HeaderValue, Uri};
use staunch::config::ConfigError;

use super::BackendBase;

/// Parses `http://host[:port][/base]`, without credentials, query or fragment.
pub(super) fn backend_url(field: &str, text: &str) -> Result<BackendBase, ConfigError> {
    const ALLOWED: &str =
        "an http:// URL with a host, optional port and base path, without credentials or query (https is not supported)";
    let bad = || ConfigError::invalid(field, format!("{text:?}"), ALLOWED);
    let uri: Uri = text.trim().parse().map_err(|_| bad())?;
    let authority = http_authority(&uri).ok_or_else(bad)?;
    if authority.as_str().contains('@') || uri.query().is_some() {
        return Err(bad());
    }
    Ok(BackendBase {
        authority,
        path: uri.path().trim_end_matches('/').to_string(),
    })
}

/// Parses an upstream proxy URL into its address and, when it carries
/// credentials, a ready `Proxy-Authorization: Basic …` value.
pub(super) fn proxy_url(
    field: &str,
    text: &str,
) -> Result<(Authority, Option<HeaderValue>), ConfigError> {
    const ALLOWED: &str =
        "an http:// URL with host and optional user:password, and no path (https proxies are not supported)";
    let shown = format!("{:?}", crate::secret::mask_userinfo(text));
    let bad = || ConfigError::invalid(field, &shown, ALLOWED);
    let uri: Uri = text.trim().parse().map_err(|_| bad())?;
    let full = http_authority(&uri).ok_or_else(bad)?;
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
        return Err(bad());
    }
    let (userinfo, hostport) = match full.as_str().rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, full.as_str()),
    };
    let authority: Authority = hostport.parse().map_err(|_| bad())?;
    let authorization = match userinfo {
        None => None,
        Some(info) => {
            let (user, pass) = info.split_once(':').unwrap_or((info, ""));
            let plain = format!("{}:{}", percent_decode(user), percent_decode(pass));
            let encoded = base64::engine::general_purpose::STANDARD.encode(plain);
            let mut value =
                HeaderValue::from_str(&format!("Basic {encoded}")).map_err(|_| bad())?;
            value.set_sensitive(true);
            Some(value)
        }
    };
    Ok((authority, authorization))
}

/// The authority of an `http://` URI with a non-empty host.
fn http_authority(uri: &Uri) -> Option<Authority> {
    if uri.scheme() != Some(&Scheme::HTTP) {
        return None;
    }
    uri.authority().filter(|a| !a.host().is_empty()).cloned()
}

/// Decodes `%XX` escapes; invalid escapes are kept as written.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_escapes_are_decoded_and_bad_ones_kept() {
        assert_eq!(percent_decode("a%40b%3Ac"), "a@b:c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn backend_base_path_loses_its_trailing_slash() {
        let base = backend_url("f", "http://h:81/v1/").unwrap();
        assert_eq!(base.authority.as_str(), "h:81");
        assert_eq!(base.path, "/v1");
        assert_eq!(backend_url("f", "http://h").unwrap().path, "");
    }

    #[test]
    fn proxy_without_credentials_has_no_authorization() {
        let (authority, auth) = proxy_url("f", "http://proxy.test:3128").unwrap();
        assert_eq!(authority.as_str(), "proxy.test:3128");
        assert!(auth.is_none());
    }

    #[test]
    fn proxy_user_without_password_is_encoded_with_an_empty_one() {
        let (_, auth) = proxy_url("f", "http://token@proxy.test:3128").unwrap();
        // base64("token:")
        assert_eq!(auth.unwrap().to_str().unwrap(), "Basic dG9rZW46");
    }
}
