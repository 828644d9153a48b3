use apifyforge::reliability::{faults, Harness, Scale};
const BIN: &str = env!("CARGO_BIN_EXE_apifyforge-e2e");
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness { actor_command: vec![BIN.into(), "actor".into()], cli_command: vec![BIN.into()], scale: Scale::Full, work_dir: dir.path().to_path_buf() };
    let t = std::time::Instant::now();
    let s = faults::run(&h).await.unwrap();
    println!("elapsed {:?}", t.elapsed());
    for (l, v) in &s.headline { println!("{l}: {v}"); }
    for r in &s.rows { println!("{}", r.join(" | ")); }
    println!("FAILURES:\n{}", s.failures.join("\n"));
}
