use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proptest::prelude::*;

use super::*;

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// A fixed "now", 2015-10-21 07:27:50 GMT.
const NOW: u64 = 1_445_412_470;

#[test]
fn delta_seconds_are_read_as_seconds() {
    assert_eq!(parse_retry_after(b"0", at(NOW)), Some(Duration::ZERO));
    assert_eq!(
        parse_retry_after(b"1", at(NOW)),
        Some(Duration::from_secs(1))
    );
    assert_eq!(
        parse_retry_after(b" \t30 ", at(NOW)),
        Some(Duration::from_secs(30))
    );
}

#[test]
fn http_date_is_read_relative_to_now_in_all_three_forms() {
    for form in [
        "Wed, 21 Oct 2015 07:28:00 GMT",
        "Wednesday, 21-Oct-15 07:28:00 GMT",
        "Wed Oct 21 07:28:00 2015",
    ] {
        assert_eq!(
            parse_retry_after(form.as_bytes(), at(NOW)),
            Some(Duration::from_secs(10)),
            "{form}"
        );
    }
}

#[test]
fn date_in_the_past_means_no_wait() {
    let past = httpdate::fmt_http_date(at(NOW - 3600));
    assert_eq!(
        parse_retry_after(past.as_bytes(), at(NOW)),
        Some(Duration::ZERO)
    );
}

#[test]
fn garbage_negative_and_fractional_values_are_ignored() {
    for bad in [
        "",
        " ",
        "-1",
        "+5",
        "1.5",
        "1e3",
        "soon",
        "5s",
        "0x10",
        "１２",
        "Wed, 32 Oct 2015 07:28:00 GMT",
    ] {
        assert_eq!(parse_retry_after(bad.as_bytes(), at(NOW)), None, "{bad:?}");
    }
    assert_eq!(parse_retry_after(&[0xff, 0xfe], at(NOW)), None);
}

#[test]
fn absurd_hints_are_ignored_not_capped() {
    let too_far = MAX_RETRY_AFTER_HINT.as_secs() + 1;
    assert_eq!(
        parse_retry_after(too_far.to_string().as_bytes(), at(NOW)),
        None
    );
    assert_eq!(parse_retry_after(b"99999999999999999999999", at(NOW)), None);
    let far_date = httpdate::fmt_http_date(at(NOW + too_far));
    assert_eq!(parse_retry_after(far_date.as_bytes(), at(NOW)), None);
    assert_eq!(
        parse_retry_after(
            MAX_RETRY_AFTER_HINT.as_secs().to_string().as_bytes(),
            at(NOW)
        ),
        Some(MAX_RETRY_AFTER_HINT)
    );
}

#[test]
fn header_map_lookup_uses_the_first_retry_after() {
    let mut headers = http::HeaderMap::new();
    assert_eq!(retry_after(&headers, at(NOW)), None);
    headers.append(http::header::RETRY_AFTER, "7".parse().unwrap());
    headers.append(http::header::RETRY_AFTER, "9".parse().unwrap());
    assert_eq!(retry_after(&headers, at(NOW)), Some(Duration::from_secs(7)));
}

proptest! {
    #[test]
    fn parser_never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..64), now in 0u64..4_000_000_000) {
        let _ = parse_retry_after(&bytes, at(now));
    }

    #[test]
    fn parser_never_panics_on_date_like_text(text in "[A-Za-z]{3}, [0-9]{1,3} [A-Za-z]{3} [0-9]{1,5} [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2} [A-Z]{0,3}") {
        if let Some(wait) = parse_retry_after(text.as_bytes(), at(NOW)) {
            prop_assert!(wait <= MAX_RETRY_AFTER_HINT);
        }
    }

    #[test]
    fn delta_seconds_round_trip(secs in 0u64..=MAX_RETRY_AFTER_HINT.as_secs(), pad in "[ \t]{0,3}") {
        let text = format!("{pad}{secs}{pad}");
        prop_assert_eq!(parse_retry_after(text.as_bytes(), at(NOW)), Some(Duration::from_secs(secs)));
    }

    #[test]
    fn http_date_round_trips(now in 0u64..4_000_000_000, ahead in 0u64..=MAX_RETRY_AFTER_HINT.as_secs()) {
        let text = httpdate::fmt_http_date(at(now + ahead));
        prop_assert_eq!(parse_retry_after(text.as_bytes(), at(now)), Some(Duration::from_secs(ahead)));
    }

    #[test]
    fn negative_numbers_are_always_ignored(n in 1u64..u64::MAX) {
        let text = format!("-{n}");
        prop_assert_eq!(parse_retry_after(text.as_bytes(), at(NOW)), None);
    }

    #[test]
    fn any_accepted_hint_is_within_the_limit(text in "\\PC{0,40}") {
        if let Some(wait) = parse_retry_after(text.as_bytes(), at(NOW)) {
            prop_assert!(wait <= MAX_RETRY_AFTER_HINT);
        }
    }
}
