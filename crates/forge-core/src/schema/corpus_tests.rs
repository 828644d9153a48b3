//! A corpus of realistic schemas in the shapes of public Actors: every one lints clean, every
//! pair diffs both ways without panicking, and two real-looking releases give known findings.

use super::*;
use chrono::TimeZone;

pub(crate) const INPUTS: &[(&str, &str)] = &[
    ("web-scraper", include_str!("corpus/web-scraper.json")),
    (
        "google-maps-scraper",
        include_str!("corpus/google-maps-scraper.json"),
    ),
    (
        "instagram-scraper",
        include_str!("corpus/instagram-scraper.json"),
    ),
    (
        "website-content-crawler",
        include_str!("corpus/website-content-crawler.json"),
    ),
    (
        "openai-summarizer",
        include_str!("corpus/openai-summarizer.json"),
    ),
    (
        "amazon-product-scraper",
        include_str!("corpus/amazon-product-scraper.json"),
    ),
    (
        "contact-details-extractor",
        include_str!("corpus/contact-details-extractor.json"),
    ),
    ("login-monitor", include_str!("corpus/login-monitor.json")),
    (
        "tweet-scraper-v1",
        include_str!("corpus/tweet-scraper-v1.json"),
    ),
    (
        "tweet-scraper-v2",
        include_str!("corpus/tweet-scraper-v2.json"),
    ),
];

const DATASETS: &[(&str, &str)] = &[
    (
        "products-dataset-v1",
        include_str!("corpus/products-dataset-v1.json"),
    ),
    (
        "products-dataset-v2",
        include_str!("corpus/products-dataset-v2.json"),
    ),
    ("places-dataset", include_str!("corpus/places-dataset.json")),
];

fn config() -> DiffConfig {
    DiffConfig::new(Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap())
}

pub(crate) fn parsed(corpus: &[(&'static str, &str)]) -> Vec<(&'static str, Value)> {
    corpus
        .iter()
        .map(|(name, text)| (*name, serde_json::from_str(text).unwrap()))
        .collect()
}

fn summary(findings: &[Finding]) -> Vec<(&'static str, Level, String)> {
    findings
        .iter()
        .map(|f| (f.rule, f.level, f.path.clone()))
        .collect()
}

#[test]
fn corpus_input_schemas_pass_the_lint() {
    for (name, text) in INPUTS {
        let found = lint_input_schema(text);
        assert!(found.is_empty(), "{name}: {:#?}", found);
    }
}

#[test]
fn every_pair_in_the_corpus_diffs_both_ways_without_panicking() {
    let inputs = parsed(INPUTS);
    let datasets = parsed(DATASETS);
    let everything: Vec<&(&str, Value)> = inputs.iter().chain(&datasets).collect();
    let mut pairs = 0;
    let mut by_level = [0usize; 3];
    for (a_name, a) in &everything {
        for (b_name, b) in &everything {
            let runs = [
                diff_input(a, b, &config()),
                diff(a, b, Direction::Input, &config()),
                diff(a, b, Direction::Output, &config()),
                diff_dataset(a, b, &config()),
            ];
            if a_name == b_name {
                assert!(runs.iter().all(Vec::is_empty), "{a_name} against itself");
            }
            for f in runs.iter().flatten() {
                by_level[f.level.rank() as usize] += 1;
                assert!(!f.message.is_empty() && !f.message.contains('\n'), "{f:?}");
            }
            pairs += 1;
        }
    }
    println!(
        "{pairs} ordered pairs, 4 diffs each: {} err, {} warn, {} info",
        by_level[2], by_level[1], by_level[0]
    );
}

#[test]
fn corpus_diffs_are_deterministic() {
    let inputs = parsed(INPUTS);
    for (_, a) in &inputs {
        for (_, b) in &inputs {
            let first = serde_json::to_string(&diff_input(a, b, &config())).unwrap();
            let second = serde_json::to_string(&diff_input(a, b, &config())).unwrap();
            assert_eq!(first, second);
        }
    }
}

#[test]
fn tweet_scraper_v2_release_has_the_expected_findings() {
    let inputs = parsed(INPUTS);
    let get = |n: &str| &inputs.iter().find(|(name, _)| *name == n).unwrap().1;
    let found = diff_input(get("tweet-scraper-v1"), get("tweet-scraper-v2"), &config());
    for f in &found {
        println!("{:5} {:32} {}", f.level.as_str(), f.rule, f.message);
    }
    let expected: Vec<(&str, Level, String)> = vec![
        ("SCH-PROPERTY-RENAMED", Level::Err, "maxItems".into()),
        ("SCH-REQUIRED-ADDED", Level::Err, "searchTerms".into()),
        ("SCH-ENUM-VALUE-REMOVED", Level::Err, "sort".into()),
        ("SCH-NULLABLE-REMOVED", Level::Err, "tweetLanguage".into()),
        ("SCH-PATTERN-ADDED", Level::Err, "tweetLanguage".into()),
        ("SCH-BOUND-ADDED", Level::Warn, "searchTerms".into()),
        ("SCH-DEFAULT-CHANGED", Level::Warn, "sort".into()),
        ("SCH-COSMETIC", Level::Info, "".into()),
        ("SCH-PROPERTY-ADDED", Level::Info, "start".into()),
    ];
    assert_eq!(summary(&found), expected);
}

#[test]
fn products_dataset_v2_release_has_the_expected_findings() {
    let datasets = parsed(DATASETS);
    let found = diff_dataset(&datasets[0].1, &datasets[1].1, &config());
    for f in &found {
        println!("{:5} {:32} {}", f.level.as_str(), f.rule, f.message);
    }
    let expected: Vec<(&str, Level, String)> = vec![
        ("SCH-NULLABLE-ADDED", Level::Err, "price".into()),
        ("SCH-REQUIRED-REMOVED", Level::Err, "price".into()),
        ("SCH-PROPERTY-RENAMED", Level::Err, "rating".into()),
        ("SCH-VIEW-REMOVED", Level::Err, "views.offers".into()),
        ("SCH-ENUM-VALUE-ADDED", Level::Warn, "currency".into()),
        ("SCH-PROPERTY-REMOVED", Level::Warn, "offers".into()),
        (
            "SCH-VIEW-FIELD-REMOVED",
            Level::Warn,
            "views.overview.stars".into(),
        ),
        ("SCH-COSMETIC", Level::Info, "views.overview.price".into()),
    ];
    assert_eq!(summary(&found), expected);
}
