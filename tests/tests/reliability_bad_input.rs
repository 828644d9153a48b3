//! The bad-input area of `apifyforge reliability` at `Scale::Fast` (generated INPUTs per tool,
//! the schema engine, payloads, a malformed fleet served by the emulator), and the `cargo fuzz`
//! corpus replayed on stable through the same entry functions the fuzz targets call.

use apifyforge::reliability::{bad_input, Harness, Scale};
use forge_tests::{contract_violations, read_json, workspace_root};

const BIN: &str = env!("CARGO_BIN_EXE_apifyforge-e2e");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_breaks_no_promise_at_fast_scale() {
    let dir = tempfile::tempdir().unwrap();
    let harness = Harness::new(BIN, Scale::Fast, dir.path().to_path_buf());
    let section = bad_input::run(&harness).await.expect("the area runs");
    for row in &section.rows {
        eprintln!("{}", row.join(" | "));
    }
    assert!(section.failures.is_empty(), "{:#?}", section.failures);
    for part in ["INPUT", "schema engine", "payload", "malformed fleet"] {
        assert!(
            section.rows.iter().any(|r| r[0] == part),
            "no {part} rows: {:#?}",
            section.rows
        );
    }
    let tried = section
        .headline
        .iter()
        .find(|(label, _)| label == "bad inputs tried")
        .map(|(_, v)| v.replace(',', "").parse::<u64>().unwrap_or(0))
        .unwrap_or(0);
    assert!(tried >= 7_000, "{:?}", section.headline);
    // What the tools wrote about the malformed fleet still keeps their OUTPUT contracts.
    let mut broken = Vec::new();
    for tool in apifyforge::tools::TOOLS {
        let file = dir
            .path()
            .join("bad-input-fleet")
            .join(tool)
            .join("storage/key_value_stores/default/OUTPUT.json");
        let output = read_json(&file);
        let violations = contract_violations(
            &format!("actors/{tool}/schemas/output.schema.json"),
            &output,
        );
        broken.extend(violations.into_iter().map(|v| format!("{tool}: {v}")));
    }
    assert!(broken.is_empty(), "{broken:#?}");
}

/// Every file of the committed corpus (and any crash input a campaign left), through the
/// fuzz targets' bodies: a past crash stays fixed without nightly.
#[test]
fn the_fuzz_corpus_replays_on_stable() {
    type Body = fn(&[u8]);
    let targets: [(&str, Body); 3] = [
        ("input", bad_input::fuzz_input),
        ("schema", bad_input::fuzz_schema),
        ("payload", bad_input::fuzz_payload),
    ];
    let fuzz = workspace_root().join("fuzz");
    for (target, body) in targets {
        let mut replayed = 0;
        for dir in ["corpus", "artifacts"] {
            let Ok(entries) = std::fs::read_dir(fuzz.join(dir).join(target)) else {
                continue;
            };
            for entry in entries.flatten() {
                let bytes = std::fs::read(entry.path()).unwrap();
                body(&bytes);
                replayed += 1;
            }
        }
        assert!(replayed > 0, "no corpus for fuzz target {target}");
    }
}
