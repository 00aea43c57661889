//! The `staunch` binary itself: exit codes, `check-config`, real signals.

mod common;

use std::process::Stdio;

use common::*;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStderr, Command};

const BIN: &str = env!("CARGO_BIN_EXE_staunch");

fn staunch() -> Command {
    let mut cmd = Command::new(BIN);
    for var in staunch_gateway::config::ENV_VARS {
        cmd.env_remove(var);
    }
    cmd.env("STAUNCH_LOG", "info").kill_on_drop(true);
    cmd
}

/// Reads stderr lines until one contains `needle`; returns it.
async fn line_with(lines: &mut Lines<BufReader<ChildStderr>>, needle: &str) -> String {
    within(async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains(needle) {
                return line;
            }
        }
        panic!("stderr ended before a line with {needle:?}");
    })
    .await
}

fn addr_in(line: &str) -> String {
    line.rsplit("addr=").next().unwrap().trim().to_string()
}

async fn spawn_serve(args: &[&str]) -> (Child, Lines<BufReader<ChildStderr>>, String, String) {
    let mut child = staunch()
        .arg("serve")
        .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
        .args(args)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let proxy = addr_in(&line_with(&mut lines, "proxy listening").await);
    let admin = addr_in(&line_with(&mut lines, "admin listening").await);
    (child, lines, proxy, admin)
}

fn signal(child: &Child, name: &str) {
    let pid = child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args([format!("-{name}"), pid])
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn check_config_prints_effective_config_with_credentials_masked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("staunch.toml");
    std::fs::write(
        &path,
        "[admin]\ntoken = \"admintoken\"\n[upstream_proxies]\nproxies = [{ id = \"p\", url = \"http://bob:hunter2@10.0.0.9:3128\" }]\n",
    )
    .unwrap();
    let out = staunch()
        .arg("check-config")
        .arg(&path)
        .env("STAUNCH_DRAIN_TIMEOUT", "7s")
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("bob:***@10.0.0.9:3128"), "{text}");
    assert!(
        !text.contains("hunter2") && !text.contains("admintoken"),
        "{text}"
    );
    assert!(
        text.contains("drain_timeout = \"7s\""),
        "env is applied: {text}"
    );
    assert!(
        text.contains("listen = \"127.0.0.1:8080\""),
        "defaults are shown: {text}"
    );
}

#[tokio::test]
async fn invalid_config_exits_non_zero_naming_field_value_and_range() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("staunch.toml");
    std::fs::write(&path, "[gateway]\nmax_replay_body = \"1GiB\"\n").unwrap();
    for sub in [&["check-config"][..], &["serve", "--config"][..]] {
        let out = staunch().args(sub).arg(&path).output().await.unwrap();
        assert!(!out.status.success(), "{sub:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("gateway.max_replay_body"), "{sub:?}: {err}");
        assert!(
            err.contains("1GiB") && err.contains("0B to 64MiB"),
            "{sub:?}: {err}"
        );
    }
}

#[tokio::test]
async fn bad_environment_variable_at_start_exits_non_zero() {
    let out = staunch()
        .arg("serve")
        .env("STAUNCH_LISTEN", "everywhere")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("STAUNCH_LISTEN") && err.contains("everywhere"),
        "{err}"
    );
}

#[tokio::test]
async fn sigterm_stops_serve_cleanly() {
    let (mut child, _lines, _proxy, admin) = spawn_serve(&[]).await;
    let health = within(
        direct_client()
            .get(format!("http://{admin}/healthz"))
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(health.status(), 200);
    signal(&child, "TERM");
    let status = within(child.wait()).await.unwrap();
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn sighup_reloads_the_file_and_a_bad_file_keeps_the_old_config() {
    let first = Upstream::ok("first").await;
    let second = Upstream::ok("second").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("staunch.toml");
    let file = |url: String| {
        format!("[[routes]]\nprefix = \"/\"\nbackends = [{{ id = \"b\", url = \"{url}\" }}]\n")
    };
    std::fs::write(&path, file(first.url())).unwrap();
    let (mut child, mut lines, proxy, _admin) =
        spawn_serve(&["--config", path.to_str().unwrap()]).await;
    let client = direct_client();
    let get = || client.get(format!("http://{proxy}/"));
    assert_eq!(
        within(get().send()).await.unwrap().text().await.unwrap(),
        "first"
    );

    std::fs::write(&path, file(second.url())).unwrap();
    signal(&child, "HUP");
    line_with(&mut lines, "configuration reloaded").await;
    assert_eq!(
        within(get().send()).await.unwrap().text().await.unwrap(),
        "second"
    );

    std::fs::write(&path, "[gateway]\nbogus = 1\n").unwrap();
    signal(&child, "HUP");
    line_with(&mut lines, "reload refused").await;
    assert_eq!(
        within(get().send()).await.unwrap().text().await.unwrap(),
        "second"
    );

    signal(&child, "INT");
    assert!(within(child.wait()).await.unwrap().success());
}

#[tokio::test]
async fn sigterm_drains_an_in_flight_slow_request() {
    let (arrived, release) = (
        std::sync::Arc::new(tokio::sync::Notify::new()),
        std::sync::Arc::new(tokio::sync::Notify::new()),
    );
    let slow = Upstream::slow(
        "finished",
        std::sync::Arc::clone(&arrived),
        std::sync::Arc::clone(&release),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("staunch.toml");
    std::fs::write(
        &path,
        format!(
            "[gateway]\ndrain_timeout = \"10s\"\n\
             [[routes]]\nprefix = \"/\"\nbackends = [{{ id = \"slow\", url = \"{}\" }}]\n",
            slow.url()
        ),
    )
    .unwrap();
    let (mut child, mut lines, proxy, _admin) =
        spawn_serve(&["--config", path.to_str().unwrap()]).await;
    let url = format!("http://{proxy}/report");
    let in_flight = tokio::spawn(async move { direct_client().get(url).send().await });
    within(arrived.notified()).await;

    signal(&child, "TERM");
    line_with(&mut lines, "draining in-flight requests").await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "still running while the request is in flight"
    );
    release.notify_one();
    let response = within(in_flight).await.unwrap().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "finished");
    line_with(&mut lines, "drained; stopped").await;
    let status = within(child.wait()).await.unwrap();
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn sighup_reload_adds_a_backend_and_keeps_the_breaker_of_the_old_one() {
    let dead = closed_port().await;
    let added = Upstream::ok("added").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("staunch.toml");
    let file = |backends: &str| {
        format!(
            "[retry]\nbase_delay = \"1ms\"\n\
             [[routes]]\nprefix = \"/\"\nbackends = [{backends}]\n"
        )
    };
    let dead_entry = format!("{{ id = \"dead\", url = \"http://{dead}\" }}");
    std::fs::write(&path, file(&dead_entry)).unwrap();
    let (mut child, mut lines, proxy, admin) =
        spawn_serve(&["--config", path.to_str().unwrap()]).await;
    let client = direct_client();
    let before = within(client.get(format!("http://{proxy}/")).send())
        .await
        .unwrap();
    assert_eq!(before.status(), 503);
    assert_eq!(header(&before, "x-staunch-attempts").as_deref(), Some("3"));

    let both = format!(
        "{dead_entry}, {{ id = \"added\", url = \"{}\" }}",
        added.url()
    );
    std::fs::write(&path, file(&both)).unwrap();
    signal(&child, "HUP");
    line_with(&mut lines, "configuration reloaded").await;
    let after = within(client.get(format!("http://{proxy}/")).send())
        .await
        .unwrap();
    assert_eq!(after.status(), 200);
    assert_eq!(
        header(&after, "x-staunch-endpoint").as_deref(),
        Some("added")
    );
    assert_eq!(after.text().await.unwrap(), "added");
    let breaker: serde_json::Value = within(
        client
            .get(format!("http://{admin}/api/v1/circuit-breakers/dead"))
            .send(),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert!(
        breaker["failure_count"].as_u64().unwrap() >= 3,
        "the failures before the reload are kept: {breaker}"
    );

    signal(&child, "TERM");
    assert!(within(child.wait()).await.unwrap().success());
}
