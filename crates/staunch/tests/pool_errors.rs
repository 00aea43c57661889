//! Bad pool input is refused with the field, the value and what is allowed.

use staunch::config::ConfigError;
use staunch::pool::{
    Endpoint, EndpointStats, PerformanceScore, Pool, PoolErrorKind, Sampling, StrategyKind,
};

#[test]
fn an_empty_pool_is_refused() {
    let err = Pool::<()>::new([]).unwrap_err();
    assert_eq!(err.kind(), PoolErrorKind::Empty);
    assert_eq!(err.field(), "pool.endpoints");
    assert!(err.allowed().contains("at least 1 endpoint"), "{err}");
}

#[test]
fn a_duplicate_id_is_refused_at_build_and_at_add() {
    let err = Pool::new([Endpoint::new("a", 1), Endpoint::new("a", 2)]).unwrap_err();
    assert_eq!(err.kind(), PoolErrorKind::DuplicateId);
    assert_eq!(err.field(), "pool.endpoints[\"a\"].id");
    let pool = Pool::new([Endpoint::new("a", 1)]).unwrap();
    let err = pool.add(Endpoint::new("a", 3)).unwrap_err();
    assert_eq!(err.kind(), PoolErrorKind::DuplicateId);
    assert!(err.to_string().contains("not already used"), "{err}");
    assert_eq!(*pool.get("a").unwrap().address(), 1);
}

#[test]
fn weights_that_are_zero_negative_nan_or_infinite_are_refused() {
    for bad in [0.0, -0.0, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let err = Pool::new([Endpoint::new("w", ()).with_weight(bad)]).unwrap_err();
        assert_eq!(err.kind(), PoolErrorKind::InvalidWeight, "{bad}");
        assert_eq!(err.field(), "pool.endpoints[\"w\"].weight");
        assert_eq!(err.value(), bad.to_string());
        assert_eq!(err.allowed(), "a finite number greater than 0");
        let pool = Pool::new([Endpoint::new("a", ())]).unwrap();
        assert_eq!(
            pool.add(Endpoint::new("w", ()).with_weight(bad))
                .unwrap_err(),
            err
        );
        assert!(!pool.contains("w"));
    }
}

#[test]
fn a_total_weight_that_overflows_is_refused() {
    let err = Pool::new([
        Endpoint::new("a", ()).with_weight(f64::MAX),
        Endpoint::new("b", ()).with_weight(f64::MAX),
    ])
    .unwrap_err();
    assert_eq!(err.kind(), PoolErrorKind::InvalidWeight);
    assert_eq!(err.field(), "pool.endpoints[\"b\"].weight");
    let pool = Pool::new([Endpoint::new("a", ()).with_weight(f64::MAX)]).unwrap();
    assert!(pool
        .add(Endpoint::new("b", ()).with_weight(f64::MAX))
        .is_err());
}

#[test]
fn an_empty_id_is_refused() {
    let err = Pool::new([Endpoint::new("", ())]).unwrap_err();
    assert_eq!(err.kind(), PoolErrorKind::InvalidId);
    assert_eq!(err.allowed(), "a non-empty string");
}

#[test]
fn an_ewma_alpha_outside_zero_to_one_is_refused() {
    for bad in [0.0, -0.5, 1.01, f64::NAN] {
        let err = Pool::builder()
            .with_endpoint(Endpoint::new("a", ()))
            .with_ewma_alpha(bad)
            .build()
            .unwrap_err();
        assert_eq!(err.field(), "pool.ewma_alpha");
        assert!(err.allowed().contains("greater than 0 and at most 1"));
        assert!(EndpointStats::new(bad).is_err());
    }
}

#[test]
fn strategy_parameters_out_of_range_are_refused() {
    let err = Sampling::new(64, 0).unwrap_err();
    assert_eq!(err.field(), "pool.strategy.sample_size");
    let err = PerformanceScore::new()
        .with_unknown_success_ratio(1.5)
        .unwrap_err();
    assert_eq!(err.field(), "pool.strategy.unknown_success_ratio");
    let err = PerformanceScore::new().with_refresh_every(0).unwrap_err();
    assert_eq!(err.field(), "pool.strategy.refresh_every");
    assert_eq!(err.kind(), PoolErrorKind::InvalidParameter);
}

#[test]
fn pool_errors_become_config_errors_with_the_same_message() {
    let err = Pool::new([Endpoint::new("x", ()).with_weight(0.0)]).unwrap_err();
    let config: ConfigError = err.clone().into();
    assert_eq!(config.field(), Some("pool.endpoints[\"x\"].weight"));
    assert_eq!(config.to_string(), err.to_string());
    assert_eq!(
        err.to_string(),
        "invalid value for `pool.endpoints[\"x\"].weight`: 0 (allowed: a finite number greater than 0)"
    );
}

#[test]
fn strategy_kinds_parse_from_names_and_refuse_unknown_ones() {
    for name in [
        "round_robin",
        "random",
        "weighted",
        "least_in_flight",
        "p2c",
        "performance",
        "region_affinity",
    ] {
        let kind: StrategyKind = name.parse().unwrap();
        assert_eq!(kind.name(), name);
        let _ = kind.build::<()>();
    }
    let err = "fastest".parse::<StrategyKind>().unwrap_err();
    assert_eq!(err.field(), Some("pool.strategy"));
    assert!(err.to_string().contains("round_robin, random"), "{err}");
}

#[test]
fn strategy_kinds_round_trip_through_toml_and_json() {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Section {
        strategy: StrategyKind,
    }
    let text = "strategy = \"p2c\"";
    let section: Section = toml::from_str(text).unwrap();
    assert_eq!(section.strategy, StrategyKind::P2c);
    assert_eq!(toml::to_string(&section).unwrap().trim(), text);

    let nested = "strategy = { region_affinity = { tag = \"zone\", inner = \"least_in_flight\" } }";
    let section: Section = toml::from_str(nested).unwrap();
    assert_eq!(
        section.strategy,
        StrategyKind::region_affinity("zone", StrategyKind::LeastInFlight)
    );
    let json = serde_json::to_string(&section).unwrap();
    assert_eq!(
        json,
        r#"{"strategy":{"region_affinity":{"tag":"zone","inner":"least_in_flight"}}}"#
    );
    assert_eq!(serde_json::from_str::<Section>(&json).unwrap(), section);

    let plain: Section = toml::from_str("strategy = \"region_affinity\"").unwrap();
    assert_eq!(
        plain.strategy,
        StrategyKind::region_affinity("region", StrategyKind::Performance)
    );
    assert_eq!(StrategyKind::default(), StrategyKind::Performance);
}

#[test]
fn bad_strategy_configuration_is_refused_with_what_is_allowed() {
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Section {
        strategy: StrategyKind,
    }
    let unknown = toml::from_str::<Section>("strategy = \"fastest\"").unwrap_err();
    assert!(unknown.to_string().contains("least_in_flight"), "{unknown}");
    let params = toml::from_str::<Section>("strategy = { p2c = {} }").unwrap_err();
    assert!(
        params.to_string().contains("takes no parameters"),
        "{params}"
    );
    let empty_tag =
        toml::from_str::<Section>("strategy = { region_affinity = { tag = \"\" } }").unwrap_err();
    assert!(
        empty_tag.to_string().contains("non-empty tag key"),
        "{empty_tag}"
    );
    let unknown_field =
        toml::from_str::<Section>("strategy = { region_affinity = { tags = \"x\" } }").unwrap_err();
    assert!(
        unknown_field.to_string().contains("tags"),
        "{unknown_field}"
    );
}
