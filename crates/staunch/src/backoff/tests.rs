use super::*;
use proptest::prelude::*;
use rand::rngs::SmallRng;
use rand::SeedableRng;

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

fn first(backoff: Backoff, n: usize) -> Vec<Duration> {
    backoff.iter(SmallRng::seed_from_u64(42)).take(n).collect()
}

#[test]
fn default_schedule_is_one_two_four_seconds() {
    assert_eq!(
        first(Backoff::default(), 3),
        [secs(1.0), secs(2.0), secs(4.0)]
    );
}

#[test]
fn linear_grows_by_base_each_retry() {
    let delays = first(Backoff::linear(secs(2.0)), 3);
    assert_eq!(delays, [secs(2.0), secs(4.0), secs(6.0)]);
}

#[test]
fn fixed_repeats_base() {
    let delays = first(Backoff::fixed(Duration::from_millis(250)), 4);
    assert!(delays.iter().all(|d| *d == Duration::from_millis(250)));
}

#[test]
fn exponential_is_capped_at_max_delay() {
    let delays = first(Backoff::default(), 8);
    assert_eq!(delays[4], secs(16.0));
    assert_eq!(delays[5], secs(30.0));
    assert_eq!(delays[7], secs(30.0));
}

#[test]
fn multiplier_below_one_never_shrinks_delays() {
    let delays = first(Backoff::exponential(secs(1.0), 0.5), 3);
    assert_eq!(delays, [secs(1.0), secs(1.0), secs(1.0)]);
}

#[test]
fn decorrelated_retry_times_have_median_near_powers_of_two() {
    // As in Polly v8: over many seeded calls, the median time of retry n
    // after the first failure (the sum of the delays so far) is near
    // base * 2^(n-1).
    let backoff = Backoff::decorrelated(secs(1.0)).with_max_delay(secs(1000.0));
    let mut rng = SmallRng::seed_from_u64(1);
    let mut per_retry: Vec<Vec<f64>> = vec![Vec::new(); 5];
    for _ in 0..2001 {
        let mut state = BackoffState::default();
        let mut elapsed = 0.0;
        for (i, samples) in per_retry.iter_mut().enumerate() {
            let retry = u32::try_from(i + 1).unwrap();
            elapsed += backoff.delay(retry, &mut state, &mut rng).as_secs_f64();
            samples.push(elapsed);
        }
    }
    for (i, samples) in per_retry.iter_mut().enumerate() {
        samples.sort_by(f64::total_cmp);
        let median = samples[samples.len() / 2];
        let want = 2f64.powi(i32::try_from(i).unwrap());
        assert!(
            (median / want - 1.0).abs() < 0.15,
            "retry {}: median {median} vs {want}",
            i + 1
        );
    }
}

#[test]
fn decorrelated_delays_are_spread_not_identical() {
    let a = first(Backoff::decorrelated(secs(1.0)), 3);
    let b: Vec<_> = Backoff::decorrelated(secs(1.0))
        .iter(SmallRng::seed_from_u64(43))
        .take(3)
        .collect();
    assert_ne!(a, b);
}

#[test]
fn same_seed_gives_same_jittered_delays() {
    let backoff = Backoff::default().with_jitter(Jitter::Full);
    assert_eq!(first(backoff, 5), first(backoff, 5));
}

#[test]
fn full_jitter_stays_between_zero_and_delay() {
    let backoff = Backoff::default().with_jitter(Jitter::Full);
    for (i, d) in first(backoff, 4).into_iter().enumerate() {
        assert!(d <= secs(2f64.powi(i32::try_from(i).unwrap())), "{d:?}");
    }
}

#[test]
fn equal_jitter_stays_between_half_and_whole_delay() {
    let backoff = Backoff::default().with_jitter(Jitter::Equal);
    for (i, d) in first(backoff, 4).into_iter().enumerate() {
        let whole = secs(2f64.powi(i32::try_from(i).unwrap()));
        assert!(d >= whole / 2 && d <= whole, "{d:?}");
    }
}

#[test]
fn jitter_spreads_delays_sitting_at_the_cap() {
    let backoff = Backoff::default()
        .with_jitter(Jitter::Proportional(0.2))
        .with_max_delay(secs(10.0));
    let delays: Vec<_> = backoff
        .iter(SmallRng::seed_from_u64(3))
        .skip(6)
        .take(20)
        .collect();
    assert!(delays.iter().all(|d| *d <= secs(10.0) && *d >= secs(8.0)));
    assert!(delays.iter().any(|d| *d < secs(10.0)));
}

#[test]
fn multiplier_ten_at_attempt_one_thousand_is_the_cap() {
    let backoff = Backoff::exponential(secs(1.0), 10.0);
    let mut rng = SmallRng::seed_from_u64(0);
    let d = backoff.delay(1000, &mut BackoffState::default(), &mut rng);
    assert_eq!(d, secs(30.0));
}

#[test]
fn decorrelated_at_huge_attempts_is_the_cap() {
    let backoff = Backoff::decorrelated(secs(1.0));
    let mut rng = SmallRng::seed_from_u64(0);
    let mut state = BackoffState::default();
    for retry in [1, 2, 1500, 1501, u32::MAX] {
        let d = backoff.delay(retry, &mut state, &mut rng);
        assert!(d <= secs(30.0));
    }
    assert_eq!(backoff.delay(2000, &mut state, &mut rng), secs(30.0));
}

fn any_duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        (0u64..100_000_000_000).prop_map(Duration::from_nanos),
        (0u64..u64::MAX, 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
        Just(Duration::ZERO),
        Just(Duration::MAX),
    ]
}

fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        -10.0f64..1000.0,
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(10.0),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
    ]
}

fn any_schedule() -> impl Strategy<Value = Schedule> {
    prop_oneof![
        (any_duration(), any_f64()).prop_map(|(b, m)| Schedule::exponential(b, m)),
        any_duration().prop_map(Schedule::linear),
        any_duration().prop_map(Schedule::fixed),
        any_duration().prop_map(Schedule::decorrelated),
    ]
}

fn any_jitter() -> impl Strategy<Value = Jitter> {
    prop_oneof![
        Just(Jitter::None),
        Just(Jitter::Full),
        Just(Jitter::Equal),
        any_f64().prop_map(Jitter::Proportional),
    ]
}

proptest! {
    #[test]
    fn delay_never_exceeds_cap_whatever_the_parameters(
        schedule in any_schedule(),
        jitter in any_jitter(),
        cap in any_duration(),
        retries in proptest::collection::vec(prop_oneof![0u32..2000, any::<u32>()], 1..8),
        seed in any::<u64>(),
    ) {
        let backoff = Backoff::new(schedule).with_jitter(jitter).with_max_delay(cap);
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut state = BackoffState::default();
        for retry in retries {
            let d = backoff.delay(retry, &mut state, &mut rng);
            prop_assert!(d <= cap, "{:?} > {:?}", d, cap);
        }
    }

    #[test]
    fn proportional_jitter_stays_within_its_bounds(
        base_ms in 1u64..10_000,
        retry in 1u32..6,
        f in 0.0f64..=1.0,
        seed in any::<u64>(),
    ) {
        let plain = Backoff::exponential(Duration::from_millis(base_ms), 2.0)
            .with_max_delay(Duration::MAX);
        let jittered = plain.with_jitter(Jitter::Proportional(f));
        let mut rng = SmallRng::seed_from_u64(seed);
        let d = plain.delay(retry, &mut BackoffState::default(), &mut rng).as_secs_f64();
        let j = jittered.delay(retry, &mut BackoffState::default(), &mut rng).as_secs_f64();
        // One nanosecond of slack for float rounding.
        prop_assert!(j >= d * (1.0 - f) - 1e-9, "{} < {}", j, d * (1.0 - f));
        prop_assert!(j <= d * (1.0 + f) + 1e-9, "{} > {}", j, d * (1.0 + f));
    }

    #[test]
    fn cap_holds_after_proportional_jitter(
        retry in 1u32..40,
        cap_ms in 0u64..60_000,
        seed in any::<u64>(),
    ) {
        let cap = Duration::from_millis(cap_ms);
        let backoff = Backoff::default()
            .with_jitter(Jitter::Proportional(0.2))
            .with_max_delay(cap);
        let mut rng = SmallRng::seed_from_u64(seed);
        prop_assert!(backoff.delay(retry, &mut BackoffState::default(), &mut rng) <= cap);
    }

    #[test]
    fn exponential_without_jitter_doubles_until_cap(retry in 1u32..64) {
        let backoff = Backoff::default().with_max_delay(Duration::MAX);
        let mut rng = SmallRng::seed_from_u64(0);
        let d = backoff.delay(retry, &mut BackoffState::default(), &mut rng);
        let want = 2f64.powi(i32::try_from(retry - 1).unwrap());
        prop_assert!((d.as_secs_f64() / want - 1.0).abs() < 1e-9);
    }
}
