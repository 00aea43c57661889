//! Minute numbers and RFC 3339 text for the wall clock.

use std::cell::Cell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

thread_local! {
    /// The last minute this thread converted: `[start, end)` and its number.
    /// Records come in time order, so most conversions are two comparisons
    /// instead of a subtraction and a division.
    static LAST_MINUTE: Cell<(SystemTime, SystemTime, u32)> =
        const { Cell::new((UNIX_EPOCH, UNIX_EPOCH, 0)) };
}

/// Minutes since the Unix epoch; times before it count as minute 0, times
/// past the year 10 000 as the last minute.
#[inline]
pub(crate) fn minute_of(at: SystemTime) -> u32 {
    LAST_MINUTE.with(|last| {
        let (start, end, minute) = last.get();
        if start <= at && at < end {
            return minute;
        }
        let minute = compute_minute(at);
        let start = minute_start(minute);
        last.set((start, start + Duration::from_secs(60), minute));
        minute
    })
}

fn compute_minute(at: SystemTime) -> u32 {
    let secs = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    u32::try_from(secs / 60).unwrap_or(u32::MAX)
}

/// The start of minute `minute`.
pub(crate) fn minute_start(minute: u32) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::from(minute) * 60)
}

/// Seconds since the Unix epoch (0 before it).
pub(crate) fn unix_secs(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Milliseconds since the Unix epoch (0 before it).
pub(crate) fn unix_millis(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// `2026-11-23T15:07:08Z`, to the second, in UTC.
pub(crate) fn rfc3339(at: SystemTime) -> String {
    let secs = unix_secs(at);
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Year, month and day of the `days`th day after 1970-01-01 (Howard
/// Hinnant's algorithm, for non-negative days).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        let at = |secs| UNIX_EPOCH + Duration::from_secs(secs);
        assert_eq!(rfc3339(at(0)), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(at(951_782_400)), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(at(1_700_000_000)), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(at(4_102_444_799)), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn cached_minute_matches_computed_minute() {
        let base = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        for offset in [0, 1, 59, 60, 61, 3599, 3600, 30, 0, 7200, 119] {
            let at = base + Duration::from_millis(offset * 1000 + 999);
            assert_eq!(minute_of(at), compute_minute(at), "{offset}");
        }
        let far = UNIX_EPOCH + Duration::from_secs(u64::from(u32::MAX) * 120);
        assert_eq!(minute_of(far), u32::MAX);
        assert_eq!(minute_of(far), u32::MAX, "cached");
    }

    #[test]
    fn minutes_count_from_the_epoch() {
        assert_eq!(minute_of(UNIX_EPOCH + Duration::from_secs(119)), 1);
        assert_eq!(minute_of(UNIX_EPOCH - Duration::from_secs(60)), 0);
        assert_eq!(minute_start(2), UNIX_EPOCH + Duration::from_secs(120));
    }
}
