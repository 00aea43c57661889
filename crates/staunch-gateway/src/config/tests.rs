use std::time::Duration;

use staunch::config::MapEnv;

use super::*;

const FULL: &str = r#"
[gateway]
listen = "127.0.0.1:3128"
admin_listen = "127.0.0.1:9191"
drain_timeout = "5s"
max_replay_body = "256KiB"
connect_timeout = 0.5

[admin]
token = "adm1n-t0ken"

[[routes]]
prefix = "/api/"
host = "Shop.Example"
strategy = "weighted"
backends = [
  { id = "api-1", url = "http://10.0.0.1:8000/base/", weight = 3, tags = { region = "eu" } },
  { id = "api-2", url = "http://10.0.0.2" },
]

[upstream_proxies]
strategy = "round-robin"
proxies = [
  { id = "p1", url = "http://alice:s%40cret@10.1.0.1:3128" },
  { id = "p2", url = "http://10.1.0.2:3128", tags = { region = "us" } },
]
"#;

fn invalid_field(text: &str) -> String {
    let config = GatewayConfig::from_toml_str(text).expect("parses");
    let err = config.validate().expect_err("refused");
    err.field().expect("names a field").to_string()
}

#[test]
fn defaults_are_the_documented_ones() {
    let c = GatewayConfig::default();
    assert_eq!(c.gateway.listen, "127.0.0.1:8080");
    assert_eq!(c.gateway.admin_listen, "127.0.0.1:9090");
    assert_eq!(c.gateway.drain_timeout, Duration::from_secs(30));
    assert_eq!(c.gateway.max_replay_body, ByteSize(1024 * 1024));
    assert_eq!(c.gateway.connect_timeout, Duration::from_secs(5));
    assert_eq!(c.upstream_proxies.strategy, Strategy::PerformanceScore);
    assert!(c.routes.is_empty() && c.upstream_proxies.proxies.is_empty());
    c.validate().unwrap();
}

#[test]
fn empty_file_is_the_defaults() {
    let c = GatewayConfig::from_toml_str("").unwrap();
    assert_eq!(c.gateway, GatewaySettings::default());
}

#[test]
fn full_file_parses_and_validates() {
    let c = GatewayConfig::from_toml_str(FULL).unwrap();
    c.validate().unwrap();
    assert_eq!(c.gateway.max_replay_body, ByteSize(256 * 1024));
    assert_eq!(c.gateway.connect_timeout, Duration::from_millis(500));
    assert_eq!(c.routes[0].strategy, Strategy::Weighted);
    assert_eq!(c.routes[0].backends[0].weight, 3);
    assert_eq!(c.routes[0].backends[1].weight, DEFAULT_WEIGHT);
    assert_eq!(c.routes[0].backends[0].tags["region"], "eu");
    assert_eq!(c.upstream_proxies.strategy, Strategy::RoundRobin);
    let v = Validated::check(&c).unwrap();
    assert_eq!(v.routes[0].prefix, "/api");
    assert_eq!(v.routes[0].host.as_deref(), Some("shop.example"));
    assert_eq!(v.routes[0].backends[0].base.path, "/base");
}

#[test]
fn unknown_keys_are_refused() {
    for text in [
        "[gateway]\nlistn = \"127.0.0.1:1\"",
        "[retry]\nmax_attemps = 3",
        "[[routes]]\nprefix = \"/\"\nbackend = []",
    ] {
        let err = GatewayConfig::from_toml_str(text).unwrap_err();
        assert!(matches!(err, ConfigError::Parse { .. }), "{text}: {err}");
    }
}

#[test]
fn unknown_strategy_lists_the_allowed_ones() {
    let err =
        GatewayConfig::from_toml_str("[upstream_proxies]\nstrategy = \"fastest\"").unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("fastest") && text.contains("performance-score"),
        "{text}"
    );
}

#[test]
fn each_bad_value_names_its_field() {
    let route = |body: &str| format!("[[routes]]\nprefix = \"/a\"\n{body}");
    let cases = [
        ("[gateway]\nlisten = \"localhost\"".to_string(), "gateway.listen"),
        ("[gateway]\nadmin_listen = \"1.2.3.4\"".to_string(), "gateway.admin_listen"),
        ("[gateway]\ndrain_timeout = \"2h\"".to_string(), "gateway.drain_timeout"),
        ("[gateway]\nconnect_timeout = 0".to_string(), "gateway.connect_timeout"),
        ("[gateway]\nmax_replay_body = \"65MiB\"".to_string(), "gateway.max_replay_body"),
        ("[admin]\ntoken = \" \"".to_string(), "admin.token"),
        ("[[routes]]\nprefix = \"api\"\nbackends = [{ id = \"a\", url = \"http://h\" }]".to_string(), "routes[0].prefix"),
        (route("host = \"a b\"\nbackends = [{ id = \"a\", url = \"http://h\" }]"), "routes[0].host"),
        (route("backends = []"), "routes[0].backends"),
        (route("backends = [{ id = \"a\", url = \"https://h\" }]"), "routes[0].backends[0].url"),
        (route("backends = [{ id = \"a\", url = \"http://u:p@h\" }]"), "routes[0].backends[0].url"),
        (route("backends = [{ id = \"a\", url = \"not a url\" }]"), "routes[0].backends[0].url"),
        (route("backends = [{ id = \"a\", url = \"http://h/?q=1\" }]"), "routes[0].backends[0].url"),
        (route("backends = [{ id = \"\", url = \"http://h\" }]"), "routes[0].backends[0].id"),
        (route("backends = [{ id = \"a b\", url = \"http://h\" }]"), "routes[0].backends[0].id"),
        (route("backends = [{ id = \"a\", url = \"http://h\", weight = 0 }]"), "routes[0].backends[0].weight"),
        (route("backends = [{ id = \"a\", url = \"http://h\" }, { id = \"a\", url = \"http://i\" }]"), "routes[0].backends[1].id"),
        (route("backends = [{ id = \"a\", url = \"http://h\", tags = { \"\" = \"x\" } }]"), "routes[0].backends[0].tags"),
        (format!("{}\n{}", route("backends = [{ id = \"a\", url = \"http://h\" }]"), route("backends = [{ id = \"b\", url = \"http://h\" }]")), "routes[1].prefix"),
        ("[upstream_proxies]\nproxies = [{ id = \"p\", url = \"https://h:1\" }]".to_string(), "upstream_proxies.proxies[0].url"),
        ("[upstream_proxies]\nproxies = [{ id = \"p\", url = \"http://h:1/path\" }]".to_string(), "upstream_proxies.proxies[0].url"),
        ("[upstream_proxies]\nproxies = [{ id = \"p\", url = \"http://h:1\", weight = 10001 }]".to_string(), "upstream_proxies.proxies[0].weight"),
        (format!("{}\n[upstream_proxies]\nproxies = [{{ id = \"a\", url = \"http://h:1\" }}]", route("backends = [{ id = \"a\", url = \"http://h\" }]")), "upstream_proxies.proxies[0].id"),
    ];
    for (text, field) in cases {
        assert_eq!(invalid_field(&text), field, "{text}");
    }
}

#[test]
fn refusal_message_names_value_and_allowed_range() {
    let c = GatewayConfig::default().with_drain_timeout(Duration::from_secs(7200));
    let text = c.validate().unwrap_err().to_string();
    assert!(text.contains("gateway.drain_timeout"), "{text}");
    assert!(text.contains("2h") || text.contains("7200"), "{text}");
    assert!(text.contains("0s to 1h"), "{text}");
}

#[test]
fn bad_proxy_url_message_masks_the_password() {
    let c = GatewayConfig::default()
        .with_upstream_proxy(ProxyConfig::new("p", "ftp://bob:hunter2@h:1"));
    let text = c.validate().unwrap_err().to_string();
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("bob:***"), "{text}");
}

#[test]
fn non_loopback_admin_needs_a_token() {
    let open = GatewayConfig::default().with_admin_listen("0.0.0.0:9090");
    assert_eq!(open.validate().unwrap_err().field(), Some("admin.token"));
    let mut guarded = open;
    guarded.admin.token = Some(crate::Secret::new("t"));
    guarded.validate().unwrap();
}

#[test]
fn proxy_credentials_become_a_basic_authorization() {
    let c = GatewayConfig::from_toml_str(FULL).unwrap();
    let v = Validated::check(&c).unwrap();
    let auth = v.proxies[0].authorization.as_ref().unwrap();
    // base64("alice:s@cret")
    assert_eq!(auth.to_str().unwrap(), "Basic YWxpY2U6c0BjcmV0");
    assert!(auth.is_sensitive());
    assert_eq!(v.proxies[0].authority.as_str(), "10.1.0.1:3128");
    assert!(v.proxies[1].authorization.is_none());
    assert!(!format!("{:?}", v.proxies[0]).contains("YWxp"));
}

#[test]
fn env_overrides_the_file() {
    let mut c = GatewayConfig::from_toml_str(FULL).unwrap();
    let env = MapEnv::from_pairs([
        ("STAUNCH_LISTEN", "127.0.0.1:4000"),
        ("STAUNCH_ADMIN_LISTEN", "127.0.0.1:4001"),
        ("STAUNCH_DRAIN_TIMEOUT", "250ms"),
        ("STAUNCH_MAX_REPLAY_BODY", "2MiB"),
        ("STAUNCH_CONNECT_TIMEOUT", "2"),
        ("STAUNCH_ADMIN_TOKEN", "from-env"),
    ]);
    c.apply_env(&env).unwrap();
    assert_eq!(c.gateway.listen, "127.0.0.1:4000");
    assert_eq!(c.gateway.admin_listen, "127.0.0.1:4001");
    assert_eq!(c.gateway.drain_timeout, Duration::from_millis(250));
    assert_eq!(c.gateway.max_replay_body, ByteSize(2 * 1024 * 1024));
    assert_eq!(c.gateway.connect_timeout, Duration::from_secs(2));
    assert_eq!(c.admin.token.as_ref().unwrap().expose(), "from-env");
}

#[test]
fn bad_env_value_names_the_variable() {
    for (name, value) in [
        ("STAUNCH_LISTEN", "8080"),
        ("STAUNCH_ADMIN_LISTEN", "x"),
        ("STAUNCH_DRAIN_TIMEOUT", "-1s"),
        ("STAUNCH_MAX_REPLAY_BODY", "lots"),
        ("STAUNCH_CONNECT_TIMEOUT", "fast"),
        ("STAUNCH_ADMIN_TOKEN", ""),
    ] {
        let mut c = GatewayConfig::default();
        let err = c
            .apply_env(&MapEnv::from_pairs([(name, value)]))
            .unwrap_err();
        assert_eq!(err.field(), Some(name), "{err}");
    }
}

#[test]
fn rendered_config_masks_credentials_and_reads_back() {
    let c = GatewayConfig::from_toml_str(FULL).unwrap();
    let text = c.to_toml_string().unwrap();
    assert!(
        !text.contains("s%40cret") && !text.contains("adm1n-t0ken"),
        "{text}"
    );
    assert!(text.contains("alice:***@10.1.0.1:3128"), "{text}");
    assert!(text.contains("token = \"***\""), "{text}");
    let back = GatewayConfig::from_toml_str(&text).unwrap();
    assert_eq!(back.gateway, c.gateway);
    assert_eq!(back.routes[0].backends[0].url, c.routes[0].backends[0].url);
    assert_eq!(back.upstream_proxies.proxies.len(), 2);
}

#[test]
fn source_layers_file_env_then_flags() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("staunch.toml");
    std::fs::write(&path, FULL).unwrap();
    let env = MapEnv::from_pairs([
        ("STAUNCH_LISTEN", "127.0.0.1:5000"),
        ("STAUNCH_ADMIN_LISTEN", "127.0.0.1:5001"),
    ]);
    let c = ConfigSource::file(&path)
        .with_env(env)
        .with_admin_listen("127.0.0.1:6001".parse().unwrap())
        .load()
        .unwrap();
    assert_eq!(c.gateway.listen, "127.0.0.1:5000", "env beats file");
    assert_eq!(c.gateway.admin_listen, "127.0.0.1:6001", "flag beats env");
    assert_eq!(
        c.gateway.drain_timeout,
        Duration::from_secs(5),
        "file beats default"
    );
}

#[test]
fn missing_file_is_an_io_error_naming_the_path() {
    let err = ConfigSource::file("/nonexistent/staunch.toml")
        .with_env(MapEnv::default())
        .load()
        .unwrap_err();
    assert!(
        matches!(err, ConfigError::Io { ref path, .. } if path == "/nonexistent/staunch.toml"),
        "{err}"
    );
}
