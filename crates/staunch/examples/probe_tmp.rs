use std::hint::black_box;
use std::time::Instant;
use failsafe::CircuitBreaker as _;
use staunch::breaker::{Breaker, BreakerConfig, BreakerRegistry};

fn ok() -> Result<u64, ()> { Ok(black_box(1)) }

fn time(mut f: impl FnMut()) -> f64 {
    let n = 2_000_000;
    let start = Instant::now();
    for _ in 0..n { f(); }
    start.elapsed().as_nanos() as f64 / n as f64
}

fn contended(f: impl Fn() + Sync) -> f64 {
    let n = 1_000_000u64;
    let barrier = std::sync::Barrier::new(2);
    std::thread::scope(|s| {
        let run = || { barrier.wait(); let st = Instant::now(); for _ in 0..n { f(); } st.elapsed() };
        let h = s.spawn(run);
        let a = run();
        a.max(h.join().unwrap()).as_nanos() as f64 / n as f64
    })
}

fn main() {
    let st = Breaker::new("b", BreakerConfig::default()).unwrap();
    let fs = failsafe::Config::new().build();
    let rc = recloser::Recloser::default();
    let reg = BreakerRegistry::<String>::new(BreakerConfig::default()).unwrap();
    let keys: Vec<String> = (0..1000).map(|i| format!("upstream-{i}.example:443")).collect();
    for k in &keys { reg.get(k.as_str()); }
    let mut best = [f64::MAX; 8];
    for _ in 0..15 {
        best[0] = best[0].min(time(|| { black_box(ok()); }));
        best[1] = best[1].min(time(|| { let _ = black_box(st.call(ok)); }));
        best[2] = best[2].min(time(|| { let _ = black_box(fs.call(ok)); }));
        best[3] = best[3].min(time(|| { let _ = black_box(rc.call(ok)); }));
        let mut i = 0usize;
        best[4] = best[4].min(time(|| { i = (i + 1) % 1000; black_box(reg.get(keys[i].as_str())); }));
        best[5] = best[5].min(contended(|| { let _ = black_box(st.call(ok)); }));
        best[6] = best[6].min(contended(|| { let _ = black_box(fs.call(ok)); }));
        best[7] = best[7].min(contended(|| { let _ = black_box(rc.call(ok)); }));
    }
    let names = ["baseline ok", "closed staunch", "closed failsafe", "closed recloser", "registry", "contended staunch", "contended failsafe", "contended recloser"];
    for (n, b) in names.iter().zip(best) { println!("{n:20} {b:8.2} ns"); }
}
