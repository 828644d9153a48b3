//! Store listing quality (README, title, description, categories, SEO texts, pricing,
//! dataset schema, prefills), full permissions, and storage URLs that break under restricted
//! general resource access. Sources: Apify's README guide and quality score docs, Apify
//! Academy's "Actor description & SEO description" (`apifyforge-and-peers.md` §5).

use super::{contains_phrase, finding, str_at, Ctx, Finding, Role, TextItem};
use crate::schema::normalize::escape;
use crate::signal::Severity;
use serde_json::{json, Value};

/// Apify's README guide: "aim for at least 300 words".
const MIN_README_WORDS: usize = 300;
/// Apify Academy: names 40–50 characters, descriptions 300, SEO descriptions 145–155.
const MAX_TITLE_CHARS: usize = 50;
const MAX_DESCRIPTION_CHARS: usize = 300;
/// Google cuts result titles at about 60 characters.
const MAX_SEO_TITLE_CHARS: usize = 60;
const MAX_SEO_DESCRIPTION_CHARS: usize = 155;

/// Heading words of an input section and an output section.
const INPUT_HEADINGS: &[&str] = &[
    "input",
    "inputs",
    "configuration",
    "configure",
    "parameters",
    "settings",
    "options",
    "how to use",
    "usage",
    "how to run",
    "getting started",
];
const OUTPUT_HEADINGS: &[&str] = &[
    "output", "outputs", "result", "results", "data", "dataset", "export", "sample",
];
/// Headings about pricing ("How much does it cost?") and phrases that state a price; bare
/// "price" is not one (product scrapers output prices).
const PRICING_HEADINGS: &[&str] = &[
    "price", "prices", "pricing", "cost", "costs", "charge", "charges", "pay",
];
const PRICING_PHRASES: &[&str] = &[
    "pricing",
    "pay per",
    "pay-per",
    "per 1,000",
    "per 1000",
    "per result",
    "per event",
    "per month",
    "free trial",
    "subscription",
    "compute unit",
    "compute units",
    "charged",
    "usd",
];

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// The headings of a Markdown README (ATX `#`, setext, and HTML `<h1>`–`<h3>`), lower case,
/// outside fenced code blocks.
pub(super) fn headings(readme: &str) -> Vec<String> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut out = Vec::new();
    let mut fenced = false;
    for (i, raw) in lines.iter().enumerate() {
        let line = raw.trim();
        if line.starts_with("```") || line.starts_with("~~~") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let lower = line.to_lowercase();
        if line.starts_with('#') {
            out.push(lower.trim_start_matches('#').trim().to_string());
        } else {
            let html = ["<h1", "<h2", "<h3"].iter().any(|h| lower.starts_with(h));
            let setext = !line.is_empty()
                && lines.get(i + 1).is_some_and(|n| {
                    let n = n.trim();
                    n.len() >= 3 && (n.chars().all(|c| c == '=') || n.chars().all(|c| c == '-'))
                });
            if html || setext {
                out.push(lower);
            }
        }
    }
    out
}

fn mentions_pricing(readme: &str) -> bool {
    let lower = readme.to_lowercase();
    let money = lower
        .match_indices(['$', '€', '£'])
        .any(|(at, sym)| lower[at + sym.len()..].starts_with(|c: char| c.is_ascii_digit()));
    money
        || PRICING_PHRASES.iter().any(|t| contains_phrase(&lower, t))
        || headings(readme)
            .iter()
            .any(|h| PRICING_HEADINGS.iter().any(|t| contains_phrase(h, t)))
}

/// The pricing model in effect at `asOf`: the entry of `pricingInfos` that started last
/// before it (entries without a start count as started, in list order).
fn current_pricing_model(ctx: &Ctx) -> Option<String> {
    let infos = ctx.actor.get("pricingInfos").and_then(Value::as_array)?;
    let mut best: Option<(Option<chrono::DateTime<chrono::Utc>>, &Value)> = None;
    for info in infos {
        let started = info
            .get("startedAt")
            .and_then(Value::as_str)
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.with_timezone(&chrono::Utc));
        if started.is_some_and(|s| s > ctx.as_of) {
            continue;
        }
        if best.as_ref().is_none_or(|(b, _)| started >= *b) {
            best = Some((started, info));
        }
    }
    best.and_then(|(_, info)| info.get("pricingModel").and_then(Value::as_str))
        .map(str::to_string)
}

pub(super) fn listing(ctx: &Ctx, out: &mut Vec<Finding>) {
    readme_rules(ctx, out);
    if ctx.actor.is_object() {
        metadata_rules(ctx, out);
    }
    if ctx.build.is_some() {
        definition_rules(ctx, out);
    }
}

fn readme_rules(ctx: &Ctx, out: &mut Vec<Finding>) {
    if ctx.build.is_none() {
        return;
    }
    let Some(readme) = ctx.readme.filter(|r| !r.trim().is_empty()) else {
        out.push(finding(
            "CS-STORE-README-MISSING",
            ctx.store(Severity::Medium),
            "build:/actorDefinition/readme".into(),
            "the build has no README".into(),
            json!({}),
        ));
        return;
    };
    let non_blank = readme.chars().filter(|c| !c.is_whitespace()).count();
    let words = readme
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count();
    let evidence = json!({"chars": non_blank, "words": words, "minChars": ctx.cfg.min_readme_chars, "minWords": MIN_README_WORDS});
    if non_blank < ctx.cfg.min_readme_chars {
        out.push(finding(
            "CS-STORE-README-STUB",
            ctx.store(Severity::Medium),
            "README:1".into(),
            format!(
                "the README is a stub: {non_blank} non-blank characters, fewer than {}",
                ctx.cfg.min_readme_chars
            ),
            evidence,
        ));
    } else {
        if words < MIN_README_WORDS {
            out.push(finding(
                "CS-STORE-README-STUB",
                ctx.store(Severity::Low),
                "README:1".into(),
                format!("the README is short: {words} words, Apify asks for at least {MIN_README_WORDS}"),
                evidence,
            ));
        }
        let hs = headings(readme);
        let has = |terms: &[&str]| {
            hs.iter()
                .any(|h| terms.iter().any(|t| contains_phrase(h, t)))
        };
        let missing: Vec<&str> = [("input", INPUT_HEADINGS), ("output", OUTPUT_HEADINGS)]
            .into_iter()
            .filter(|(_, terms)| !has(terms))
            .map(|(name, _)| name)
            .collect();
        if !missing.is_empty() {
            out.push(finding(
                "CS-STORE-README-SECTIONS",
                ctx.store(Severity::Low),
                "README".into(),
                format!("the README has no {} section", missing.join(" or ")),
                json!({"missing": missing, "headings": hs.len()}),
            ));
        }
    }
    if let Some(model) = current_pricing_model(ctx).filter(|m| m != "FREE") {
        if !mentions_pricing(readme) {
            out.push(finding(
                "CS-STORE-PRICING-UNEXPLAINED",
                ctx.store(Severity::Medium),
                "README".into(),
                format!(
                    "the actor is paid ({model}) but the README says nothing about price or cost"
                ),
                json!({"pricingModel": model}),
            ));
        }
    }
}

fn metadata_rules(ctx: &Ctx, out: &mut Vec<Finding>) {
    let text = |f: &str| {
        str_at(ctx.actor, f)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let title = text("/title");
    match title {
        None => out.push(finding(
            "CS-STORE-TITLE-LENGTH",
            ctx.store(Severity::Low),
            "actor:/title".into(),
            "the actor has no title".into(),
            json!({"chars": 0, "max": MAX_TITLE_CHARS}),
        )),
        Some(t) if chars(t) > MAX_TITLE_CHARS => out.push(finding(
            "CS-STORE-TITLE-LENGTH",
            ctx.store(Severity::Low),
            "actor:/title".into(),
            format!(
                "the title has {} characters, over {MAX_TITLE_CHARS}",
                chars(t)
            ),
            json!({"chars": chars(t), "max": MAX_TITLE_CHARS}),
        )),
        Some(_) => {}
    }
    let description = text("/description");
    match description {
        None => out.push(finding(
            "CS-STORE-DESCRIPTION-LENGTH",
            ctx.store(Severity::Medium),
            "actor:/description".into(),
            "the actor has no description".into(),
            json!({"chars": 0, "max": MAX_DESCRIPTION_CHARS}),
        )),
        Some(d) if chars(d) > MAX_DESCRIPTION_CHARS => out.push(finding(
            "CS-STORE-DESCRIPTION-LENGTH",
            ctx.store(Severity::Low),
            "actor:/description".into(),
            format!(
                "the description has {} characters, over {MAX_DESCRIPTION_CHARS}",
                chars(d)
            ),
            json!({"chars": chars(d), "max": MAX_DESCRIPTION_CHARS}),
        )),
        Some(_) => {}
    }
    let categories = ctx
        .actor
        .get("categories")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if categories == 0 {
        out.push(finding(
            "CS-STORE-CATEGORIES-MISSING",
            ctx.store(Severity::Low),
            "actor:/categories".into(),
            "the actor has no Store category".into(),
            json!({}),
        ));
    }
    let seo = [
        ("seoTitle", "SEO title", title, MAX_SEO_TITLE_CHARS, "title"),
        (
            "seoDescription",
            "SEO description",
            description,
            MAX_SEO_DESCRIPTION_CHARS,
            "description",
        ),
    ];
    for (field, label, fallback, max, fallback_name) in seo {
        match text(&format!("/{field}")) {
            None => {
                let fallback_len = fallback.map_or(0, chars);
                let too_long = fallback_len > max;
                let severity = if too_long {
                    Severity::Low
                } else {
                    Severity::Info
                };
                let why = if too_long {
                    format!(", and Google cuts the {fallback_name} it falls back to ({fallback_len} characters, over {max})")
                } else {
                    format!(": Google shows the {fallback_name}")
                };
                out.push(finding(
                    "CS-STORE-SEO-MISSING",
                    ctx.store(severity),
                    format!("actor:/{field}"),
                    format!("no {label}{why}"),
                    json!({"field": field, "fallbackChars": fallback_len, "max": max}),
                ));
            }
            Some(s) if chars(s) > max => out.push(finding(
                "CS-STORE-SEO-LENGTH",
                ctx.store(Severity::Low),
                format!("actor:/{field}"),
                format!("the {label} has {} characters, over {max}", chars(s)),
                json!({"field": field, "chars": chars(s), "max": max}),
            )),
            Some(_) => {}
        }
    }
}

fn definition_rules(ctx: &Ctx, out: &mut Vec<Finding>) {
    let no_dataset = ctx.actor.get("hasNoDataset") == Some(&Value::Bool(true));
    if !no_dataset {
        match &ctx.dataset {
            None => out.push(finding(
                "CS-STORE-DATASET-SCHEMA",
                ctx.store(Severity::Low),
                "build:/actorDefinition/storages/dataset".into(),
                "the build has no dataset schema".into(),
                json!({"hasSchema": false}),
            )),
            Some((schema, pointer)) => {
                let views = schema
                    .get("views")
                    .and_then(Value::as_object)
                    .map_or(0, |v| v.len());
                if views == 0 {
                    out.push(finding(
                        "CS-STORE-DATASET-SCHEMA",
                        ctx.store(Severity::Low),
                        format!("build:{pointer}/views"),
                        "the dataset schema has no views".into(),
                        json!({"hasSchema": true, "views": 0}),
                    ));
                }
            }
        }
    }
    let Some(input) = &ctx.input else {
        return;
    };
    let required = input.get("required").and_then(Value::as_array);
    let props = input.get("properties").and_then(Value::as_object);
    for name in required.into_iter().flatten().filter_map(Value::as_str) {
        let Some(schema) = props.and_then(|p| p.get(name)) else {
            continue;
        };
        let has = |k: &str| schema.get(k).is_some_and(|v| !v.is_null());
        if has("prefill") || has("default") {
            continue;
        }
        let secret = schema.get("isSecret") == Some(&Value::Bool(true));
        let (severity, message) = if secret {
            (
                Severity::Low,
                format!("required secret `{name}` cannot be prefilled: the Store's daily test fails unless Apify skips it"),
            )
        } else {
            (
                Severity::Medium,
                format!(
                    "required `{name}` has no prefill or default: the Store's daily test run fails"
                ),
            )
        };
        out.push(finding(
            "CS-STORE-REQUIRED-NO-PREFILL",
            ctx.store(severity),
            format!("input:/properties/{}", escape(name)),
            message,
            json!({"field": name, "isSecret": secret}),
        ));
    }
}

/// Whether the README says why the actor needs full permissions: a section whose heading
/// names permissions or full access with text under it, or a paragraph naming them with a
/// reason word.
pub(super) fn explains_permissions(readme: &str) -> bool {
    const NAMES: &[&str] = &["permission", "permissions", "full access"];
    const REASONS: &[&str] = &[
        "why",
        "need",
        "needs",
        "needed",
        "require",
        "requires",
        "required",
        "because",
        "so that",
        "in order to",
        "uses",
        "use",
    ];
    let names = |l: &str| NAMES.iter().any(|n| contains_phrase(l, n));
    let mut in_section = false;
    for line in readme.lines() {
        let l = line.trim().to_lowercase();
        if l.starts_with('#') {
            in_section = names(&l);
        } else if in_section && l.chars().any(char::is_alphanumeric) {
            return true;
        }
    }
    readme
        .split("\n\n")
        .map(str::to_lowercase)
        .any(|p| names(&p) && REASONS.iter().any(|r| contains_phrase(&p, r)))
}

pub(super) fn permissions(ctx: &Ctx, out: &mut Vec<Finding>) {
    if str_at(ctx.actor, "/actorPermissionLevel") != Some("FULL_PERMISSIONS") {
        return;
    }
    if ctx.readme.is_some_and(explains_permissions) {
        return;
    }
    out.push(finding(
        "CS-FULL-PERMISSIONS-UNEXPLAINED",
        ctx.by_visibility(Severity::Medium),
        "actor:/actorPermissionLevel".into(),
        "the actor asks for full permissions and the README does not say why".into(),
        json!({"actorPermissionLevel": "FULL_PERMISSIONS", "readme": ctx.readme.is_some()}),
    ));
}

/// The shape of a storage API path, ids elided: `datasets/…/items`.
fn storage_shape(path: &str) -> Option<(&'static str, String)> {
    let path = path.split(['?', '#']).next().unwrap_or("");
    let segs: Vec<&str> = path.split('/').collect();
    match segs.as_slice() {
        ["datasets", _, "items", ..] => Some(("dataset items", "datasets/…/items".into())),
        ["key-value-stores", _, tail @ ("records" | "keys"), ..] => Some((
            "key-value store records",
            format!("key-value-stores/…/{tail}"),
        )),
        _ => None,
    }
}

pub(super) fn restricted_access(ctx: &Ctx, items: &[TextItem], out: &mut Vec<Finding>) {
    const HOST: &str = "api.apify.com/v2/";
    for item in items {
        if !matches!(item.role, Role::Readme | Role::Changelog) {
            continue;
        }
        let text = item.text;
        for (at, _) in text.match_indices(HOST) {
            let rest = &text[at + HOST.len()..];
            let end = rest
                .find(|c: char| c.is_whitespace() || "\"'`<>)]".contains(c))
                .unwrap_or(rest.len());
            let Some((what, shape)) = storage_shape(&rest[..end]) else {
                continue;
            };
            let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
            let line = text[line_start..line_end].to_lowercase();
            if ["token", "signature", "authorization"]
                .iter()
                .any(|t| line.contains(t))
            {
                continue;
            }
            out.push(finding(
                "CS-RESTRICTED-ACCESS-UNSUPPORTED",
                ctx.by_visibility(Severity::Medium),
                item.location(at),
                format!(
                    "{} builds a {what} URL ({HOST}{shape}) with neither a token nor a signature",
                    item.role.describe()
                ),
                json!({"url": format!("https://{HOST}{shape}")}),
            ));
        }
    }
}
