//! `Retry-After`: delta-seconds or an HTTP-date; anything else is ignored.

use std::time::{Duration, SystemTime};

/// How long a `Retry-After` value asks to wait, seen at `now`: a number of
/// seconds (`"120"`), or an HTTP-date (`"Wed, 21 Oct 2015 07:28:00 GMT"`,
/// zero when it is past). `None` for anything else, which is then ignored.
/// The cap (`[retry] max_retry_after`) is applied by the retry policy.
///
/// ```
/// use staunch_gateway::attempt::parse_retry_after;
/// use std::time::{Duration, SystemTime};
///
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_470);
/// assert_eq!(parse_retry_after("5", now), Some(Duration::from_secs(5)));
/// assert_eq!(
///     parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
///     Some(Duration::from_secs(10))
/// );
/// assert_eq!(parse_retry_after("soon", now), None);
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Digits only: a count too large for u64 is "a very long time".
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn epoch(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn past_dates_mean_no_wait_and_garbage_is_ignored() {
        let now = epoch(1_445_412_490);
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::ZERO)
        );
        for garbage in ["", " ", "-1", "1.5", "5s", "tomorrow", "Wed, 99 Oct 2015"] {
            assert_eq!(parse_retry_after(garbage, now), None, "{garbage:?}");
        }
        assert_eq!(
            parse_retry_after(" 7 ", now),
            Some(Duration::from_secs(7)),
            "whitespace around the number is fine"
        );
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
    }

    proptest! {
        #[test]
        fn delta_seconds_read_back_exactly(secs in any::<u64>(), now in 0u64..4_000_000_000) {
            prop_assert_eq!(
                parse_retry_after(&secs.to_string(), epoch(now)),
                Some(Duration::from_secs(secs))
            );
        }

        #[test]
        fn http_dates_give_the_time_until_them(now in 0u64..4_000_000_000, ahead in 0u64..1_000_000) {
            let text = httpdate::fmt_http_date(epoch(now + ahead));
            prop_assert_eq!(
                parse_retry_after(&text, epoch(now)),
                Some(Duration::from_secs(ahead))
            );
        }
    }
}
