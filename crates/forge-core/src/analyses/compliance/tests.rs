//! compliance-scanner on tiny actor definitions: each test changes one thing of a clean,
//! well-documented public actor.

use super::*;
use crate::signal::Decision;
use chrono::TimeZone;

/// Deterministic pseudo-random strings (a 64-bit LCG): fixtures that look random without
/// being anybody's credential.
pub(super) fn fake(alphabet: &str, n: usize, seed: u64) -> String {
    let chars: Vec<char> = alphabet.chars().collect();
    let step = |x: u64| {
        x.wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407)
    };
    let mut x = step(seed);
    (0..n)
        .map(|_| {
            x = step(x);
            chars[((x >> 33) as usize) % chars.len()]
        })
        .collect()
}

const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const URLSAFE: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

fn as_of() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

/// A README that meets every Store rule: sections, pricing, over 300 words.
fn good_readme() -> String {
    let filler = "The scraper opens each shop page, follows category and pagination links, and \
                  reads every product card it finds. It retries failed pages with a fresh \
                  session, keeps the run within the item limit you set, and stores one clean \
                  item per product so that exports to JSON, CSV or Excel stay tidy. ";
    format!(
        "## What does Shop Product Scraper do?\n\n{}\n\n## How to use it\n\n{}\n\n## Input\n\n\
         Give it start URLs of shop pages and a maximum number of items.\n\n## Output\n\n\
         Each item has a title, a URL and a price. Read the items with the API: \
         `https://api.apify.com/v2/datasets/DATASET_ID/items?token=YOUR_TOKEN`.\n\n\
         ## Pricing\n\nThe actor is paid per event: $2 per 1,000 results.\n\n## FAQ\n\n{}\n",
        filler.repeat(3),
        filler.repeat(3),
        filler.repeat(2)
    )
}

fn clean_actor_object() -> Value {
    json!({
        "id": "act1", "name": "shop-scraper", "username": "dev",
        "title": "Shop Product Scraper",
        "description": "Scrape product titles, prices and stock from online shops. Export to JSON, CSV or Excel, run it via API, schedule runs and integrate with other tools.",
        "seoTitle": "Shop Product Scraper: prices and stock data",
        "seoDescription": "Extract product titles, prices and stock levels from online shops. Export data as JSON, CSV or Excel, schedule runs and use the API.",
        "categories": ["ECOMMERCE"],
        "isPublic": true,
        "actorPermissionLevel": "LIMITED_PERMISSIONS",
        "pricingInfos": [
            {"pricingModel": "FREE", "startedAt": "2024-01-01T00:00:00Z"},
            {"pricingModel": "PAY_PER_EVENT", "startedAt": "2025-01-01T00:00:00Z"},
        ],
        "exampleRunInput": {"body": "{\"startUrls\":[{\"url\":\"https://shop.example.com\"}],\"maxItems\":10}", "contentType": "application/json"},
        "versions": [{"versionNumber": "0.1", "sourceType": "GIT_REPO", "envVars": [{"name": "LOG_LEVEL", "value": "info", "isSecret": false}]}],
        "stats": {"totalRuns": 10},
    })
}

fn clean_input() -> Value {
    json!({
        "title": "Shop scraper input", "type": "object", "schemaVersion": 1,
        "properties": {
            "startUrls": {"title": "Start URLs", "type": "array", "description": "Shop pages to start from.", "editor": "requestListSources", "prefill": [{"url": "https://shop.example.com"}]},
            "maxItems": {"title": "Max items", "type": "integer", "description": "Stop after this many items.", "default": 100},
            "apiToken": {"title": "Shop API token", "type": "string", "description": "Optional token for the shop's own API.", "editor": "textfield", "isSecret": true},
        },
        "required": ["startUrls"],
    })
}

fn clean_build() -> Value {
    json!({
        "id": "b1", "actId": "act1", "buildNumber": "0.1.7", "status": "SUCCEEDED",
        "meta": {"origin": "WEB", "clientIp": "81.95.96.1"},
        "actorDefinition": {
            "actorSpecification": 1, "name": "shop-scraper", "version": "0.1",
            "readme": good_readme(),
            "input": clean_input(),
            "storages": {"dataset": {
                "actorSpecification": 1,
                "fields": {"type": "object", "properties": {"title": {"type": "string"}, "url": {"type": "string"}, "price": {"type": "number"}}},
                "views": {"overview": {"title": "Overview", "transformation": {"fields": ["title", "url", "price"]}, "display": {"component": "table"}}},
            }},
        },
    })
}

fn docs(actor_object: Value, build: Option<Value>) -> ActorDocs {
    let id = actor_object["id"].as_str().unwrap_or("x").to_string();
    let name = actor_object["name"].as_str().unwrap_or("x").to_string();
    ActorDocs {
        actor: ActorInfo {
            id,
            name,
            username: Some("dev".into()),
            title: None,
            created_at: None,
            default_memory_mbytes: None,
            default_timeout_secs: None,
            latest_build_id: None,
            users_30_days: None,
        },
        actor_object,
        build,
    }
}

fn clean() -> ActorDocs {
    docs(clean_actor_object(), Some(clean_build()))
}

fn run(actors: Vec<ActorDocs>) -> ComplianceFindings {
    run_with(&ComplianceConfig::default(), actors)
}

fn run_with(cfg: &ComplianceConfig, actors: Vec<ActorDocs>) -> ComplianceFindings {
    analyze(
        cfg,
        &ComplianceEvidence {
            as_of: as_of(),
            actors,
        },
    )
}

fn findings_of(f: &ComplianceFindings, rule: &str) -> Vec<Finding> {
    f.output.actors[0]
        .findings
        .iter()
        .filter(|x| x.rule == rule)
        .cloned()
        .collect()
}

fn above_info(f: &ComplianceFindings) -> Vec<(&'static str, String)> {
    f.output
        .actors
        .iter()
        .flat_map(|a| &a.findings)
        .filter(|x| x.severity > Severity::Info)
        .map(|x| (x.rule, x.location.clone()))
        .collect()
}

fn set(d: &mut ActorDocs, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let target = if pointer.starts_with("/build") {
        d.build
            .as_mut()
            .unwrap()
            .pointer_mut(parent.trim_start_matches("/build"))
    } else {
        d.actor_object.pointer_mut(parent)
    };
    target
        .unwrap()
        .as_object_mut()
        .unwrap()
        .insert(key.into(), value);
}

fn readme_of(d: &mut ActorDocs, text: &str) {
    set(d, "/build/actorDefinition/readme", json!(text));
}

/// Everything a run writes, as one string: OUTPUT, SIGNALS record and dataset rows.
fn everything(f: &ComplianceFindings) -> String {
    let record = crate::signal::signals_record(TOOL, &f.output.signals, &f.output.acknowledged);
    format!(
        "{}{}{}",
        serde_json::to_string(&f.output).unwrap(),
        serde_json::to_string(&record).unwrap(),
        serde_json::to_string(&f.rows).unwrap()
    )
}

#[test]
fn a_clean_well_documented_actor_has_no_findings_above_info() {
    let f = run(vec![clean()]);
    assert_eq!(above_info(&f), Vec::<(&str, String)>::new());
    assert!(f.output.signals.is_empty());
    assert_eq!(f.output.head.decision, Decision::Ignore);
    assert_eq!(f.output.actors[0].build_number.as_deref(), Some("0.1.7"));
    assert!(f.output.actors[0].is_public);
}

#[test]
fn the_rule_catalog_has_unique_ids_a_fix_each_and_every_emitted_rule_is_in_it() {
    let mut ids: Vec<&str> = RULES.iter().map(|(id, _, _)| *id).collect();
    ids.sort_unstable();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate ids");
    for (id, severity, meaning) in RULES {
        assert!(id.starts_with("CS-"), "{id}");
        assert!(!rule_fix(id).is_empty(), "{id} has no fix");
        assert!(!severity.is_empty() && meaning.len() > 40, "{id}");
    }
    assert_eq!(rule_fix("CS-NOPE"), "");
    let mut busy = clean();
    with_personal_fields(&mut busy);
    readme_of(&mut busy, "stub");
    set(
        &mut busy,
        "/actorPermissionLevel",
        json!("FULL_PERMISSIONS"),
    );
    set(&mut busy, "/categories", json!([]));
    let f = run(vec![busy, docs(json!({"id": "n", "name": "n"}), None)]);
    let emitted: BTreeSet<&str> = f
        .output
        .actors
        .iter()
        .flat_map(|a| &a.findings)
        .map(|x| x.rule)
        .collect();
    assert!(emitted.len() >= 6, "{emitted:?}");
    for rule in emitted {
        assert!(ids.contains(&rule), "{rule} is not in the catalog");
    }
    let md = crate::signal::rule_table_markdown(TOOL, RULES);
    assert!(md.contains("| `CS-SECRET-LEAKED` | medium..critical |"));
}

#[test]
fn leaked_credentials_are_critical_on_public_actors_and_never_in_the_output() {
    let apify = format!("apify_api_{}", fake(ALNUM, 36, 1));
    let github = format!("ghp_{}", fake(ALNUM, 36, 2));
    let openai = format!("sk-proj-{}", fake(URLSAFE, 100, 3));
    let generic = fake(ALNUM, 32, 4);
    let mut d = clean();
    let readme = format!(
        "{}\n## Development\n\nRun locally with `APIFY_TOKEN={apify} apify run`.\n",
        good_readme()
    );
    readme_of(&mut d, &readme);
    set(
        &mut d,
        "/build/actorDefinition/input/properties/notes",
        json!({"title": "Notes", "type": "string", "description": "Free text.", "editor": "textfield", "example": format!("pass {github} here")}),
    );
    // An environment variable is never read, even with a key in it: we do not see your
    // environment (the data-access promise).
    d.actor_object["versions"][0]["envVars"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "OPENAI_API_KEY", "value": openai, "isSecret": false}));
    d.actor_object["exampleRunInput"]["body"] =
        json!(format!("{{\"startUrls\":[],\"apiKey\":\"{generic}\"}}"));
    let f = run(vec![d]);

    let leaked = findings_of(&f, "CS-SECRET-LEAKED");
    let mut places: Vec<(&str, &str)> = leaked
        .iter()
        .map(|x| (x.location.as_str(), x.evidence["kind"].as_str().unwrap()))
        .collect();
    places.sort_unstable();
    let readme_line = readme
        .lines()
        .position(|l| l.contains("APIFY_TOKEN"))
        .unwrap()
        + 1;
    let readme_location = format!("README:{readme_line}");
    assert_eq!(
        places,
        vec![
            (readme_location.as_str(), "apify-api-token"),
            ("input:/properties/notes/example", "github-token"),
        ]
    );
    assert!(leaked.iter().all(|x| x.severity == Severity::Critical));
    let generic_f = findings_of(&f, "CS-SECRET-GENERIC");
    assert_eq!(generic_f.len(), 1);
    assert_eq!(generic_f[0].location, "exampleRunInput:/apiKey");
    assert_eq!(generic_f[0].severity, Severity::High);

    // One signal per rule, listing every location, about the scanned build.
    let s: Vec<&Signal> = f
        .output
        .signals
        .iter()
        .filter(|s| s.rule == "CS-SECRET-LEAKED")
        .collect();
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].severity, Severity::Critical);
    assert_eq!(s[0].evidence["n"], 2);
    assert_eq!(s[0].evidence["locations"].as_array().unwrap().len(), 2);
    assert_eq!(s[0].subject.build_number.as_deref(), Some("0.1.7"));
    assert!(s[0].recommendation.contains("Revoke"));
    assert_eq!(f.output.head.decision, Decision::ActNow);
    assert!(f
        .output
        .head
        .summary
        .contains("credentials leaked in 1 actor"));
    assert_eq!(f.output.totals.actors_with_leaked_secrets, 1);

    // Nothing written contains a secret, or 8 consecutive characters of one.
    let all = everything(&f);
    for (secret, public_prefix) in [
        (&apify, "apify_api_"),
        (&github, "ghp_"),
        (&openai, "sk-proj-"),
        (&generic, ""),
    ] {
        assert!(!all.contains(secret.as_str()));
        let chars: Vec<char> = secret[public_prefix.len()..].chars().collect();
        for w in chars.windows(8) {
            let w: String = w.iter().collect();
            assert!(!all.contains(&w), "output leaks {w} of a secret");
        }
    }
}

#[test]
fn leaked_credentials_are_high_on_private_actors() {
    let mut d = clean();
    set(&mut d, "/isPublic", json!(false));
    let token = format!("apify_api_{}", fake(ALNUM, 36, 9));
    set(
        &mut d,
        "/build/actorDefinition/input/properties/maxItems/description",
        json!(format!("Uses {token}")),
    );
    let f = run(vec![d]);
    let leaked = findings_of(&f, "CS-SECRET-LEAKED");
    assert_eq!(leaked.len(), 1);
    assert_eq!(leaked[0].severity, Severity::High);
    assert_eq!(leaked[0].location, "input:/properties/maxItems/description");
}

#[test]
fn an_input_schema_that_is_not_json_is_still_scanned_as_text() {
    let token = format!("ghp_{}", fake(ALNUM, 36, 11));
    let mut d = clean();
    let build = d.build.as_mut().unwrap();
    build["actorDefinition"]
        .as_object_mut()
        .unwrap()
        .remove("input");
    build["inputSchema"] = json!(format!("{{\"title\": \"broken\", \"default\": \"{token}\""));
    let f = run(vec![d]);
    let leaked = findings_of(&f, "CS-SECRET-LEAKED");
    assert_eq!(leaked.len(), 1);
    assert_eq!(leaked[0].location, "build:/inputSchema");
}

#[test]
fn secret_hygiene_comes_from_the_input_schema_lint() {
    let mut d = clean();
    set(
        &mut d,
        "/build/actorDefinition/input/properties/apiToken/prefill",
        json!("abc"),
    );
    set(
        &mut d,
        "/build/actorDefinition/input/properties/password",
        json!({"title": "Password", "type": "string", "description": "Shop login.", "editor": "textfield"}),
    );
    let f = run(vec![d]);
    let value = findings_of(&f, "CS-SECRET-HYGIENE-VALUE");
    assert_eq!(value.len(), 1);
    assert_eq!(value[0].location, "input:/properties/apiToken/prefill");
    assert_eq!(value[0].severity, Severity::High);
    let marked = findings_of(&f, "CS-SECRET-HYGIENE-NOT-MARKED");
    assert_eq!(marked.len(), 1);
    assert_eq!(marked[0].location, "input:/properties/password");
    assert_eq!(marked[0].severity, Severity::Medium);
}

fn with_personal_fields(d: &mut ActorDocs) {
    set(
        d,
        "/build/actorDefinition/storages/dataset/fields/properties/email",
        json!({"type": "string"}),
    );
    set(
        d,
        "/build/actorDefinition/storages/dataset/fields/properties/phoneNumber",
        json!({"type": "string"}),
    );
}

#[test]
fn personal_data_without_a_legal_note_is_high_on_public_actors() {
    let mut d = clean();
    with_personal_fields(&mut d);
    let f = run(vec![d]);
    let pii = findings_of(&f, "CS-PII-NO-LEGAL-NOTE");
    assert_eq!(pii.len(), 1);
    assert_eq!(pii[0].severity, Severity::High);
    assert_eq!(
        pii[0].location,
        "build:/actorDefinition/storages/dataset/fields/properties/email"
    );
    assert!(pii[0].message.contains("dataset field `email`"));
    assert!(pii[0].message.contains("dataset field `phoneNumber`"));
    assert_eq!(f.output.head.decision, Decision::ActNow);
}

#[test]
fn personal_data_with_a_gdpr_note_in_the_readme_is_fine() {
    let mut d = clean();
    with_personal_fields(&mut d);
    let readme = format!(
        "{}\n## Is it legal to scrape contact details?\n\nThe output contains personal data protected by GDPR. Only scrape it with a legitimate reason.\n",
        good_readme()
    );
    readme_of(&mut d, &readme);
    let f = run(vec![d]);
    assert!(findings_of(&f, "CS-PII-NO-LEGAL-NOTE").is_empty());
}

#[test]
fn personal_data_without_a_legal_note_is_medium_on_private_actors() {
    let mut d = clean();
    with_personal_fields(&mut d);
    set(&mut d, "/isPublic", json!(false));
    let f = run(vec![d]);
    assert_eq!(
        findings_of(&f, "CS-PII-NO-LEGAL-NOTE")[0].severity,
        Severity::Medium
    );
}

#[test]
fn personal_data_is_also_told_by_the_title_and_the_lead_generation_category() {
    let mut d = clean();
    set(&mut d, "/title", json!("Company Emails Finder"));
    let f = run(vec![d]);
    assert_eq!(
        findings_of(&f, "CS-PII-NO-LEGAL-NOTE")[0].location,
        "actor:/title"
    );
    let mut d = clean();
    set(
        &mut d,
        "/categories",
        json!(["ECOMMERCE", "LEAD_GENERATION"]),
    );
    let f = run(vec![d]);
    assert_eq!(
        findings_of(&f, "CS-PII-NO-LEGAL-NOTE")[0].location,
        "actor:/categories/1"
    );
}

#[test]
fn personal_data_literals_in_defaults_are_found_and_examples_are_not() {
    let mut d = clean();
    set(
        &mut d,
        "/build/actorDefinition/input/properties/notifyEmail",
        json!({"title": "Notify", "type": "string", "description": "Who gets the report.", "editor": "textfield", "default": "jan.novak82@gmail.com", "example": "you@example.com"}),
    );
    set(
        &mut d,
        "/build/actorDefinition/input/properties/phone",
        json!({"title": "Phone", "type": "string", "description": "Phone.", "editor": "textfield", "prefill": "(415) 555-0134"}),
    );
    d.actor_object["exampleRunInput"]["body"] =
        json!("{\"startUrls\":[],\"contact\":\"+420 603 271 948\"}");
    let f = run(vec![d]);
    let mut got: Vec<(String, String, Severity)> = findings_of(&f, "CS-PII-LITERAL")
        .into_iter()
        .map(|x| {
            (
                x.location,
                x.evidence["kind"].as_str().unwrap().to_string(),
                x.severity,
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (
                "exampleRunInput:/contact".into(),
                "phone".into(),
                Severity::Medium
            ),
            (
                "input:/properties/notifyEmail/default".into(),
                "email".into(),
                Severity::Medium
            ),
        ]
    );
    assert!(!everything(&f).contains("jan.novak82"));
}

#[test]
fn collecting_personal_data_by_default_is_flagged() {
    let mut d = clean();
    set(
        &mut d,
        "/build/actorDefinition/input/properties/scrapeEmails",
        json!({"title": "Scrape e-mails", "type": "boolean", "description": "Also find e-mails.", "default": true}),
    );
    set(
        &mut d,
        "/build/actorDefinition/input/properties/includeImages",
        json!({"title": "Images", "type": "boolean", "description": "Images.", "default": true}),
    );
    let f = run(vec![d]);
    let x = findings_of(&f, "CS-PII-BY-DEFAULT");
    assert_eq!(x.len(), 1);
    assert_eq!(x[0].location, "input:/properties/scrapeEmails/default");
    assert_eq!(x[0].severity, Severity::Low);
}

#[test]
fn a_stub_readme_is_medium_and_a_short_one_low() {
    let mut d = clean();
    readme_of(&mut d, "# Shop scraper\n\nScrapes shops.\n");
    let f = run(vec![d]);
    let stub = findings_of(&f, "CS-STORE-README-STUB");
    assert_eq!(stub.len(), 1);
    assert_eq!(stub[0].severity, Severity::Medium);
    // A stub is not also told it lacks sections.
    assert!(findings_of(&f, "CS-STORE-README-SECTIONS").is_empty());

    let mut d = clean();
    let short = "## Input\n\nStart URLs of shop pages, one per line, and a maximum number of items to save.\n\n\
                 ## Output\n\nOne item per product with its title, URL and price, ready to export as JSON, CSV or Excel.\n\n\
                 ## Pricing\n\n$2 per 1,000 results, charged per event. Failed pages are retried with a fresh \
                 session and are never charged; the run stops at the item limit you set. Runs of a few \
                 hundred products finish within minutes.\n";
    readme_of(&mut d, short);
    let f = run(vec![d]);
    let stub = findings_of(&f, "CS-STORE-README-STUB");
    assert_eq!(stub.len(), 1, "{:?}", f.output.actors[0].findings);
    assert_eq!(stub[0].severity, Severity::Low);
}

#[test]
fn store_rules_are_info_on_private_actors() {
    let mut d = clean();
    readme_of(&mut d, "stub");
    set(&mut d, "/isPublic", json!(false));
    let f = run(vec![d]);
    assert_eq!(
        findings_of(&f, "CS-STORE-README-STUB")[0].severity,
        Severity::Info
    );
    assert!(f.output.signals.is_empty());
    assert_eq!(f.output.head.decision, Decision::Ignore);
}

#[test]
fn a_missing_readme_and_missing_sections_are_reported() {
    let mut d = clean();
    d.build.as_mut().unwrap()["actorDefinition"]
        .as_object_mut()
        .unwrap()
        .remove("readme");
    let f = run(vec![d]);
    assert_eq!(
        findings_of(&f, "CS-STORE-README-MISSING")[0].severity,
        Severity::Medium
    );
    let mut d = clean();
    let no_sections = good_readme()
        .replace("## Input", "## Start")
        .replace("## Output", "## Then");
    readme_of(&mut d, &no_sections);
    let f = run(vec![d]);
    let s = findings_of(&f, "CS-STORE-README-SECTIONS");
    assert_eq!(s.len(), 1);
    assert_eq!(
        s[0].evidence["missing"],
        json!(["output"]),
        "How to use counts as input"
    );
}

#[test]
fn a_paid_actor_must_explain_its_pricing() {
    let no_pricing = good_readme().replace(
        "## Pricing\n\nThe actor is paid per event: $2 per 1,000 results.\n\n",
        "",
    );
    assert_ne!(no_pricing, good_readme());
    let mut d = clean();
    readme_of(&mut d, &no_pricing);
    let f = run(vec![d]);
    let p = findings_of(&f, "CS-STORE-PRICING-UNEXPLAINED");
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].evidence["pricingModel"], "PAY_PER_EVENT");
    // A pricing entry that starts after asOf is not in effect yet.
    let mut d = clean();
    readme_of(&mut d, &no_pricing);
    set(
        &mut d,
        "/pricingInfos",
        json!([{"pricingModel": "FREE", "startedAt": "2024-01-01T00:00:00Z"}, {"pricingModel": "PAY_PER_EVENT", "startedAt": "2027-01-01T00:00:00Z"}]),
    );
    assert!(findings_of(&run(vec![d]), "CS-STORE-PRICING-UNEXPLAINED").is_empty());
}

#[test]
fn listing_metadata_is_checked() {
    let mut d = clean();
    set(
        &mut d,
        "/title",
        json!("The Best Shop Product Scraper And Price Monitor For Every Online Shop"),
    );
    set(&mut d, "/description", json!(""));
    set(&mut d, "/categories", json!([]));
    set(&mut d, "/seoTitle", json!(null));
    set(&mut d, "/seoDescription", json!("x".repeat(200)));
    let f = run(vec![d]);
    let sev = |rule: &str| {
        findings_of(&f, rule)
            .iter()
            .map(|x| x.severity)
            .collect::<Vec<_>>()
    };
    assert_eq!(sev("CS-STORE-TITLE-LENGTH"), [Severity::Low]);
    assert_eq!(sev("CS-STORE-DESCRIPTION-LENGTH"), [Severity::Medium]);
    assert_eq!(sev("CS-STORE-CATEGORIES-MISSING"), [Severity::Low]);
    // The title it falls back to is over 60 characters: Google cuts it.
    assert_eq!(sev("CS-STORE-SEO-MISSING"), [Severity::Low]);
    assert_eq!(sev("CS-STORE-SEO-LENGTH"), [Severity::Low]);
}

#[test]
fn missing_seo_texts_are_info_when_the_fallback_fits() {
    let mut d = clean();
    d.actor_object.as_object_mut().unwrap().remove("seoTitle");
    let f = run(vec![d]);
    let x = findings_of(&f, "CS-STORE-SEO-MISSING");
    assert_eq!(x.len(), 1);
    assert_eq!(x[0].severity, Severity::Info);
}

#[test]
fn the_dataset_schema_and_its_views_are_expected_unless_there_is_no_dataset() {
    let mut d = clean();
    d.build.as_mut().unwrap()["actorDefinition"]["storages"]
        .as_object_mut()
        .unwrap()
        .remove("dataset");
    let f = run(vec![d.clone()]);
    assert_eq!(findings_of(&f, "CS-STORE-DATASET-SCHEMA").len(), 1);
    set(&mut d, "/hasNoDataset", json!(true));
    assert!(findings_of(&run(vec![d]), "CS-STORE-DATASET-SCHEMA").is_empty());

    let mut d = clean();
    d.build.as_mut().unwrap()["actorDefinition"]["storages"]["dataset"]
        .as_object_mut()
        .unwrap()
        .remove("views");
    let f = run(vec![d]);
    let x = findings_of(&f, "CS-STORE-DATASET-SCHEMA");
    assert_eq!(
        x[0].location,
        "build:/actorDefinition/storages/dataset/views"
    );
}

#[test]
fn required_inputs_need_a_prefill_and_secrets_get_a_lower_severity() {
    let mut d = clean();
    set(
        &mut d,
        "/build/actorDefinition/input/properties/searchTerm",
        json!({"title": "Search", "type": "string", "description": "What to search.", "editor": "textfield"}),
    );
    set(
        &mut d,
        "/build/actorDefinition/input/required",
        json!(["startUrls", "searchTerm", "apiToken"]),
    );
    let f = run(vec![d]);
    let mut got: Vec<(String, Severity)> = findings_of(&f, "CS-STORE-REQUIRED-NO-PREFILL")
        .into_iter()
        .map(|x| (x.location, x.severity))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("input:/properties/apiToken".into(), Severity::Low),
            ("input:/properties/searchTerm".into(), Severity::Medium),
        ]
    );
}

#[test]
fn full_permissions_need_an_explanation_in_the_readme() {
    let mut d = clean();
    set(&mut d, "/actorPermissionLevel", json!("FULL_PERMISSIONS"));
    let f = run(vec![d.clone()]);
    let x = findings_of(&f, "CS-FULL-PERMISSIONS-UNEXPLAINED");
    assert_eq!(x.len(), 1);
    assert_eq!(x[0].severity, Severity::Medium);
    assert_eq!(x[0].location, "actor:/actorPermissionLevel");

    let mut section = d.clone();
    let readme = format!(
        "{}\n## Why full permissions?\n\nIt writes results to a named dataset of your choice and reads your saved tasks.\n",
        good_readme()
    );
    readme_of(&mut section, &readme);
    assert!(findings_of(&run(vec![section]), "CS-FULL-PERMISSIONS-UNEXPLAINED").is_empty());

    let mut paragraph = d.clone();
    let readme = format!(
        "{}\nThis actor needs full permissions because it starts other actors in your account.\n",
        good_readme()
    );
    readme_of(&mut paragraph, &readme);
    assert!(findings_of(&run(vec![paragraph]), "CS-FULL-PERMISSIONS-UNEXPLAINED").is_empty());

    set(&mut d, "/isPublic", json!(false));
    assert_eq!(
        findings_of(&run(vec![d]), "CS-FULL-PERMISSIONS-UNEXPLAINED")[0].severity,
        Severity::Low
    );
}

#[test]
fn storage_urls_without_token_or_signature_break_under_restricted_access() {
    let mut d = clean();
    let readme = format!(
        "{}\nDownload results from https://api.apify.com/v2/datasets/abc123/items?format=csv\n",
        good_readme()
    );
    readme_of(&mut d, &readme);
    d.actor_object["versions"][0]["sourceFiles"] = json!([
        {"name": "src/main.js", "format": "TEXT", "content": "import { Actor } from 'apify';\nawait Actor.init();\nconst url = `https://api.apify.com/v2/key-value-stores/${storeId}/records/OUTPUT`;\nconst ok = `https://api.apify.com/v2/datasets/${id}/items?token=${token}`;\n"},
    ]);
    let f = run(vec![d]);
    let mut got: Vec<String> = findings_of(&f, "CS-RESTRICTED-ACCESS-UNSUPPORTED")
        .into_iter()
        .map(|x| x.location)
        .collect();
    got.sort();
    let line = readme.lines().position(|l| l.contains("abc123")).unwrap() + 1;
    // Source files are never read (the data-access promise), even when the API returns them.
    assert_eq!(got, vec![format!("README:{line}")]);
    // The clean README's example carries a token: not reported.
    assert!(findings_of(&run(vec![clean()]), "CS-RESTRICTED-ACCESS-UNSUPPORTED").is_empty());
}

#[test]
fn an_actor_without_a_build_is_checked_on_its_metadata_only() {
    let f = run(vec![docs(clean_actor_object(), None)]);
    let a = &f.output.actors[0];
    assert_eq!(a.build_number, None);
    assert!(a.findings.iter().any(|x| x.rule == "CS-NO-BUILD"));
    assert_eq!(above_info(&f), Vec::<(&str, String)>::new());
}

#[test]
fn odd_data_never_panics() {
    let odd = vec![
        docs(json!(null), None),
        docs(
            json!({"id": "a", "name": "n", "versions": "nope", "categories": 3, "pricingInfos": [1, {"startedAt": "yesterday"}]}),
            Some(json!("not an object")),
        ),
        docs(
            json!({"id": "b", "name": "m", "exampleRunInput": {"body": "{oops"}}),
            Some(
                json!({"inputSchema": "{\"properties\": 5}", "actorDefinition": {"storages": {"dataset": "./dataset.json"}, "readme": 42}}),
            ),
        ),
        docs(
            json!({"id": "c", "name": "o", "title": "é".repeat(80)}),
            Some(
                json!({"actorDefinition": {"readme": "ü€💥\n".repeat(50), "input": {"properties": {"x": {"default": {"deep": ["ä", {"token": "💥".repeat(30)}]}}}}}}),
            ),
        ),
    ];
    let f = run(odd);
    assert_eq!(f.output.actors.len(), 4);
    serde_json::to_string(&f.output).unwrap();
}

#[test]
fn acknowledged_signals_move_out_and_disabled_rules_are_dropped() {
    let mut d = clean();
    with_personal_fields(&mut d);
    set(&mut d, "/actorPermissionLevel", json!("FULL_PERMISSIONS"));
    let first = run(vec![d.clone()]);
    assert_eq!(first.output.signals.len(), 2);
    let pii = first
        .output
        .signals
        .iter()
        .find(|s| s.rule == "CS-PII-NO-LEGAL-NOTE")
        .unwrap()
        .id
        .clone();
    let cfg = ComplianceConfig {
        acknowledged_signals: vec![pii.clone()],
        disabled_rules: vec!["CS-FULL-PERMISSIONS-UNEXPLAINED".into()],
        ..Default::default()
    };
    let second = run_with(&cfg, vec![d]);
    assert!(second.output.signals.is_empty());
    assert_eq!(second.output.acknowledged[0].id, pii);
    assert!(findings_of(&second, "CS-FULL-PERMISSIONS-UNEXPLAINED").is_empty());
    assert_eq!(second.output.head.decision, Decision::Ignore);
    // Signal ids are stable across runs.
    assert_eq!(second.output.actors[0].signals, vec![pii]);
}

#[test]
fn rule_levels_override_a_rules_severity() {
    let mut d = clean();
    set(&mut d, "/actorPermissionLevel", json!("FULL_PERMISSIONS"));
    let cfg = ComplianceConfig {
        rule_levels: [(
            "CS-FULL-PERMISSIONS-UNEXPLAINED".to_string(),
            Severity::High,
        )]
        .into_iter()
        .collect(),
        ..Default::default()
    };
    let f = run_with(&cfg, vec![d]);
    let found = findings_of(&f, "CS-FULL-PERMISSIONS-UNEXPLAINED");
    assert!(!found.is_empty());
    assert!(found.iter().all(|x| x.severity == Severity::High));
    assert_eq!(f.output.signals[0].severity, Severity::High);
}

#[test]
fn rows_are_one_per_finding_and_the_config_is_sanitized() {
    let mut d = clean();
    readme_of(&mut d, "stub");
    let cfg = ComplianceConfig {
        entropy_threshold: f64::NAN,
        ..Default::default()
    };
    let f = run_with(&cfg, vec![d, clean()]);
    let total: usize = f.output.actors.iter().map(|a| a.findings.len()).sum();
    assert_eq!(f.rows.len(), total);
    assert_eq!(f.output.totals.findings, total);
    let row = &f.rows[0];
    for key in [
        "actorId",
        "actorName",
        "buildNumber",
        "rule",
        "severity",
        "location",
        "message",
    ] {
        assert!(row.get(key).is_some(), "{key}");
    }
    assert_eq!(f.output.config.entropy_threshold, 3.5);
    let out = serde_json::to_value(&f.output).unwrap();
    assert_eq!(out["tool"], TOOL);
    assert!(out["summary"].is_string() && out["totals"]["bySeverity"].is_object());
}

#[test]
fn values_nested_under_a_credential_property_are_judged_by_its_name() {
    let cookie = fake(ALNUM, 40, 21);
    let mut d = clean();
    set(
        &mut d,
        "/build/actorDefinition/input/properties/sessionCookies",
        json!({"title": "Cookies", "type": "array", "description": "Logged-in cookies.", "editor": "json", "isSecret": true,
               "prefill": [{"name": "sid", "value": cookie, "domain": ".shop.io"}]}),
    );
    let f = run(vec![d]);
    let generic = findings_of(&f, "CS-SECRET-GENERIC");
    assert_eq!(generic.len(), 1);
    assert_eq!(
        generic[0].location,
        "input:/properties/sessionCookies/prefill/0/value"
    );
    assert_eq!(generic[0].evidence["key"], "sessionCookies");
    // And the lint's view of the same mistake: a secret with a prefill.
    assert_eq!(findings_of(&f, "CS-SECRET-HYGIENE-VALUE").len(), 1);
    assert!(!everything(&f).contains(&cookie[2..10]));
}

#[test]
fn realistic_docs_and_code_raise_no_credential_findings() {
    let text = r#"
# Crawlee & Cheerio template

It's fast, but it can't run the website's JavaScript. Use `Actor.createProxyConfiguration()`.

```python
from apify_client import ApifyClient
client = ApifyClient('<YOUR_API_TOKEN>')
token = os.environ["APIFY_TOKEN"]
run = client.actor("dev/shop-scraper").call(run_input={"startUrls": [{"url": "https://shop.example.com"}]})
```

```js
const client = new ApifyClient({ token: process.env.APIFY_TOKEN });
const proxyUrls = ['http://user:password@proxy.example.com:8000'];
const apiKey = input.apiKey;
headers: { Authorization: `Bearer ${token}` }
```

POST https://api.apify.com/v2/acts/dev~shop-scraper/run-sync?token=[YOUR_API_TOKEN]
Set `APIFY_PROXY_PASSWORD` or `OPENAI_API_KEY=sk-...` in the environment.
The request id is 3f2b8c1e-9d4a-4b7e-8c2f-1a6d5e9b0c7d and the sha256 is
9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.
Tokens are counted with tiktoken; max_tokens: 4096; tokenizer = cl100k_base.
Session pool: sessionPoolOptions.maxPoolSize = 100.
![logo](data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==)
"#;
    let mut d = clean();
    readme_of(&mut d, &format!("{}\n{text}", good_readme()));
    let f = run(vec![d]);
    let secrets: Vec<&Finding> = f.output.actors[0]
        .findings
        .iter()
        .filter(|x| x.rule.starts_with("CS-SECRET"))
        .collect();
    assert!(secrets.is_empty(), "{secrets:#?}");
    assert_eq!(above_info(&f), Vec::<(&str, String)>::new());
}

/// Any JSON, anywhere in an actor or a build, is scanned without a panic; strings mix the
/// shapes the matchers look for (prefixes, digits, `@`, newlines, non-ASCII).
mod arbitrary {
    use super::*;
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9_@.:/ \\n-]{0,60}",
            "(apify_api_|AKIA|ghp_|xoxb-|sk-proj-|AIza|sk_live_)[A-Za-z0-9_-]{0,48}",
            "\\PC{0,30}",
        ]
    }

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            text().prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
                prop::collection::btree_map(
                    prop_oneof![
                        Just("readme".to_string()),
                        Just("inputSchema".to_string()),
                        Just("actorDefinition".to_string()),
                        Just("properties".to_string()),
                        Just("prefill".to_string()),
                        Just("storages".to_string()),
                        Just("fields".to_string()),
                        Just("title".to_string()),
                        "[a-zA-Z]{1,12}",
                    ],
                    inner,
                    0..6
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn any_definition_is_scanned_without_a_panic(actor in json(), build in json(), readme in text()) {
            let mut d = clean();
            d.actor_object = actor;
            let mut b = build;
            if let Value::Object(m) = &mut b {
                m.insert("readme".into(), Value::from(readme));
            }
            d.build = Some(b);
            let f = run(vec![d, clean()]);
            prop_assert_eq!(f.output.actors.len(), 2);
            prop_assert!(serde_json::to_string(&f.output).is_ok());
        }
    }
}
