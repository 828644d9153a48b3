//! The security area of `apifyforge reliability` at its CI scale: no token anywhere, the
//! least-privilege matrix, the audit of every request, refused redirections.

use apifyforge::reliability::{security, Harness, Scale};

const BIN: &str = env!("CARGO_BIN_EXE_apifyforge-e2e");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_leaks_least_privilege_holds_and_redirections_are_refused() {
    let dir = tempfile::tempdir().expect("a scratch directory");
    let harness = Harness::new(BIN, Scale::Fast, dir.path().to_path_buf());
    let section = security::run(&harness).await.expect("the scenarios run");
    let figures: Vec<String> = section
        .headline
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    println!("{}\n{}", figures.join("\n"), section.summary);
    for row in &section.rows {
        println!("{}", row.join(" | "));
    }
    assert!(section.failures.is_empty(), "{:#?}", section.failures);
    let headline = |label: &str| {
        section
            .headline
            .iter()
            .find(|(k, _)| k == label)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(headline("leaks found").as_deref(), Some("0"));
    assert_eq!(headline("permissions checked").as_deref(), Some("35"));
    assert_eq!(headline("audit violations").as_deref(), Some("0"));
    assert_eq!(section.rows.len(), 7);
}
