//! compliance-scanner: what in an Actor's definition can hurt its developer. Leaked
//! credentials, personal data collected without a legal note, Store listing requirements not
//! met, full permissions nobody explained. A function from evidence to findings; see
//! [`analyze`].
//!
//! **What is read.** Per actor: the actor object (`GET /v2/actors/{id}`: title, description,
//! SEO texts, categories, `isPublic`, `actorPermissionLevel`, `pricingInfos`,
//! `exampleRunInput`) and one build (`GET /v2/actor-builds/{id}`: README, changelog, input
//! schema, dataset schema, the rest of `actorDefinition`). Every string of both is scanned for
//! credentials. Never the versions' environment variables or source files, even when the API
//! returns them: we promise not to see your code or your environment (the runtime drops them
//! at the boundary).
//!
//! **Locations.** `README:<line>` and `CHANGELOG:<line>`; `input:<JSON pointer>` into the input
//! schema; `build:<pointer>` and `actor:<pointer>` into the API objects;
//! `exampleRunInput:<pointer>` into the parsed example input. Inside a multi-line string the
//! line follows the pointer (`:<line>`).
//!
//! **Severity policy.** A public Actor's definition is readable by anyone (its Store page, and
//! builds of public Actors stay readable without a token), so what leaks from it is public. A
//! private Actor's definition is seen by its owner and whoever they share it with: the same
//! problem there is one notch lower (a leaked credential is critical on a public Actor, high
//! on a private one; personal data without a legal note high, medium). Store listing rules
//! only matter for Actors in the Store: on private Actors they are reported as info, which
//! raises no signal.
//!
//! **Evidence is masked.** A finding never carries a secret or a personal-data value: only its
//! kind and [`mask`] (public format prefix or first two characters, last two, length).
//!
//! **Signals.** One per actor and rule (many findings of one rule → one signal listing their
//! locations), about the scanned build, with the highest severity of its findings; info
//! findings are reported per actor and raise no signal.

mod pii;
mod secrets;
mod store;

pub use pii::{iban_valid, luhn_valid};
pub use secrets::{mask, shannon_entropy};

use crate::model::ActorInfo;
use crate::schema::lint_input_schema;
use crate::schema::normalize::escape;
use crate::signal::{decide, rank, signal_id, DecisionHead, Impact, Severity, Signal, Subject};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

pub const TOOL: &str = "compliance-scanner";

/// The rule catalog: stable IDs, severity range, meaning with its rationale. Generated into
/// the docs; [`rule_fix`] says how to fix each.
pub const RULES: &[(&str, &str, &str)] = &[
    ("CS-SECRET-LEAKED", "medium..critical", "A credential in a known provider format is in the actor's definition: README, changelog, input schema (default, prefill, example, descriptions), dataset schema, actor metadata or example run input (never environment variables or source code: we do not read them). The kind is in the evidence: apify-api-token, apify-proxy-password, aws-access-key-id, aws-secret-access-key (next to a key id), github-token, github-fine-grained-pat, gitlab-pat, slack-token, slack-webhook, stripe-live-key, google-api-key, openai-api-key, anthropic-api-key, huggingface-token, npm-token, sendgrid-api-key, twilio-api-key, shopify-token, telegram-bot-token, discord-webhook, private-key (a PEM block with a body), jwt (signed, with a header that decodes), url-credentials (a password in a URL). Placeholders (`YOUR_API_TOKEN`, `<token>`, `xxxx`, vendors' documented examples) are not reported. Critical for fixed-format tokens on public actors (anyone can read them), high for JWTs and URL passwords; one notch lower on private actors."),
    ("CS-SECRET-GENERIC", "medium..high", "A value assigned to a credential-named key (`apiKey`, `API_TOKEN`, `client_secret`, `password`, `Authorization: Bearer`...) looks random: at least 20 characters with letters and digits and Shannon entropy ≥ `entropyThreshold` (3.5 bits/char, gitleaks' generic-api-key; hex needs 32 characters and 0.5 less). High on public actors, medium on private ones."),
    ("CS-SECRET-HYGIENE-VALUE", "medium..high", "An `isSecret` input property has a default or a prefill: the value is published in the input schema in clear text, and every run that omits the field uses it (from the input-schema lint, LINT-SECRET-WITH-VALUE). High on public actors, medium on private ones."),
    ("CS-SECRET-HYGIENE-NOT-MARKED", "low..medium", "An input property named like a credential (password, token, apiKey, secret, cookie, session, auth...) is not `isSecret`: users' values are stored in clear text in every run's input and shown in the Console (from the input-schema lint, LINT-SECRET-NOT-MARKED). Medium on public actors (their users' credentials), low on private ones."),
    ("CS-PII-NO-LEGAL-NOTE", "info..high", "The actor outputs personal data (dataset fields such as email, phone, person names, profiles, addresses, birth dates, IP addresses; a title or description about emails, contacts, profiles or leads; README phrases such as \"email addresses\" or \"phone numbers\"; the LEAD_GENERATION category) and its README has no legal note (GDPR, personal data, data protection, privacy, legitimate interest, legal). Public personal data is still personal data; the scraper's user is a controller who needs a lawful basis, and Apify asks READMEs to cover legality. With contact or identity data (an email, a phone, an address, a birth date, an ID, an IP) or names together with profiles: high on public actors, medium on private ones. With only a hint (a name or a profile field alone, words in the title): medium on public actors, info on private ones. A flag for review, not a legal verdict."),
    ("CS-PII-LITERAL", "info..high", "A personal-data value in a default, prefill, example, example run input or dataset-schema example: e-mail addresses (not role mailboxes, placeholders or example domains), phone numbers (with a country code, or under a phone-named key; NANP 555 numbers are fictional and skipped), card numbers (network prefix and length, Luhn, not a published test card), IBANs (country length, mod-97, not a documented example) and public IPv4 addresses (not private, documentation or well-known resolvers). In README and changelog only cards and IBANs are looked for (a developer's own contact details are expected there). Cards and IBANs high, e-mails and phones medium, IPs low; one notch lower on private actors."),
    ("CS-PII-BY-DEFAULT", "info..low", "A boolean input that switches on personal-data collection (`scrapeEmails`, `includePhoneNumbers`, `extractContacts`...) defaults or is prefilled to true: Apify's input-schema guide asks not to scrape personal information by default. Low on public actors, info on private ones."),
    ("CS-STORE-README-MISSING", "info..medium", "The build has no README: the Store page is empty, and Apify's quality score rates ease of use by the README. Medium on public actors; info on private ones (as all Store rules)."),
    ("CS-STORE-README-STUB", "info..medium", "The README is a stub: fewer than `minReadmeChars` (300) non-blank characters (medium), or fewer than 300 words, the length Apify's README guide asks for (low)."),
    ("CS-STORE-README-SECTIONS", "info..low", "The README has no heading for the input (input, configuration, parameters, how to use...) or for the output (output, results, data, dataset, export...), which Apify's README guide asks for."),
    ("CS-STORE-PRICING-UNEXPLAINED", "info..medium", "A paid actor (its current pricing model is not FREE) whose README says nothing about price or cost: users meet the charge only on their bill, and the quality score rates pricing transparency."),
    ("CS-STORE-TITLE-LENGTH", "info..low", "The title is missing or longer than 50 characters (Apify Academy: 40–50): the Store cuts it in listings and search."),
    ("CS-STORE-DESCRIPTION-LENGTH", "info..medium", "The description is missing (medium) or longer than 300 characters (low; Apify Academy's limit): the Store card shows nothing or cuts it."),
    ("CS-STORE-CATEGORIES-MISSING", "info..low", "The actor has no Store category: it is missing from category pages and filters."),
    ("CS-STORE-SEO-MISSING", "info..low", "No SEO title or SEO description: Google shows the title and description instead; low when those are too long for a search result (title over 60, description over 155 characters), info otherwise (the fields are optional)."),
    ("CS-STORE-SEO-LENGTH", "info..low", "The SEO title is longer than 60 characters or the SEO description longer than 155 (Apify Academy: 145–155): Google cuts them."),
    ("CS-STORE-DATASET-SCHEMA", "info..low", "The build has no dataset schema, or one without views: the Store's Output tab and the Console show raw JSON, and the quality score's congruency check has nothing to compare (skipped when the actor declares `hasNoDataset`)."),
    ("CS-STORE-REQUIRED-NO-PREFILL", "info..medium", "A required input property has neither a prefill nor a default: Apify's daily Store test runs the actor with the prefilled input, fails, and after three days marks it under maintenance. Medium; low for secret properties (they cannot be prefilled: ask Apify to skip the test)."),
    ("CS-FULL-PERMISSIONS-UNEXPLAINED", "low..medium", "The actor asks for full permissions (`actorPermissionLevel` = FULL_PERMISSIONS: its run token can read and write everything in the user's account) and its README does not say why. Users cannot judge the risk, and full permissions lower the quality score (trustworthiness) and exclude agentic payments. Medium on public actors, low on private ones."),
    ("CS-RESTRICTED-ACCESS-UNSUPPORTED", "low..medium", "The README or changelog builds public API URLs of storages (`https://api.apify.com/v2/datasets/…/items`, key-value store records or keys) with neither a token nor a signature: under restricted general resource access, Apify's default, those links return 403 for users. Medium on public actors, low on private ones."),
    ("CS-NO-BUILD", "info", "The actor has no build to scan: only its metadata was checked (README, input and dataset schemas were not)."),
];

/// Per rule: why it matters and how to fix it (for the docs and each finding's
/// recommendation). Unknown rules get an empty string.
pub fn rule_fix(rule: &str) -> &'static str {
    match rule {
        "CS-SECRET-LEAKED" => "Anyone who can read the definition can use the credential. Revoke and rotate it now (removing it from the README or schema does not un-leak it: builds, runs and git history keep it), then pass credentials as `isSecret` input or secret environment variables.",
        "CS-SECRET-GENERIC" => "A random-looking value under a credential name is probably a live secret. Check it; if real, rotate it and move it to an `isSecret` input or a secret environment variable; if it is an example, make it an obvious placeholder (`YOUR_API_KEY`).",
        "CS-SECRET-HYGIENE-VALUE" => "A secret's default or prefill is stored and shown in clear text in the schema. Remove the default and prefill from `isSecret` properties; if the value was real, rotate it.",
        "CS-SECRET-HYGIENE-NOT-MARKED" => "Without `isSecret`, users' credentials sit in clear text in run inputs, tasks and logs. Add `isSecret: true` (string properties with a textfield, textarea or hidden editor, objects and arrays; move nested credentials to the top level).",
        "CS-PII-NO-LEGAL-NOTE" => "Users of a personal-data scraper need to know they are controllers under GDPR and similar laws. Add a README section on legality: what personal data the actor collects, that users need a lawful basis (e.g. legitimate interest with a balancing test), minimisation, and a link to Apify's guidance on ethical scraping.",
        "CS-PII-LITERAL" => "A real person's data in a default, prefill or example is published with the actor, and defaults are used by every run. Replace it with an example value (`jane@example.com`, `+1 555 0100`, a test card number), and remove it from older builds.",
        "CS-PII-BY-DEFAULT" => "Collecting personal data only when the user asks for it keeps users compliant by default. Default the switch to false and say in its description what it collects.",
        "CS-STORE-README-MISSING" => "The README is the Store page. Write one: what the actor does, how to use it, input, output with an example, pricing, limits and legality (Apify's README guide).",
        "CS-STORE-README-STUB" => "A short README ranks low and leaves users guessing. Expand it to at least 300 words: introduction, how to use, input, output example, pricing, FAQ.",
        "CS-STORE-README-SECTIONS" => "Users look for the input and the output first. Add `## Input` and `## Output` sections (with an example of the output).",
        "CS-STORE-PRICING-UNEXPLAINED" => "Surprise charges lead to refunds and bad reviews. Add a pricing section: the model, the price per result or event, and an estimate for a typical run.",
        "CS-STORE-TITLE-LENGTH" => "Long titles are cut in the Store. Keep the title at 40–50 characters, the main keyword first (e.g. \"Airbnb Scraper\").",
        "CS-STORE-DESCRIPTION-LENGTH" => "The description is the Store card's text. Write 2–3 sentences, at most 300 characters, listing what data the actor gets.",
        "CS-STORE-CATEGORIES-MISSING" => "Categories put the actor on the Store's category pages. Pick one to three in the Publication tab.",
        "CS-STORE-SEO-MISSING" => "Google shows the SEO title and description. Set an SEO title (≤ 60 characters) and an SEO description of 145–155 characters in the Publication tab.",
        "CS-STORE-SEO-LENGTH" => "Google cuts long SEO texts. Shorten the SEO title to ≤ 60 characters and the SEO description to 145–155.",
        "CS-STORE-DATASET-SCHEMA" => "A dataset schema with views gives the Output tab a table and documents the output. Add `.actor/dataset_schema.json` with `fields` and at least one view, and reference it from `actor.json` (`storages.dataset`).",
        "CS-STORE-REQUIRED-NO-PREFILL" => "The Store's daily test starts the actor with its prefilled input; a required field without a prefill fails it. Add a small prefill (one start URL, a low item count); for secret fields ask Apify to skip the test.",
        "CS-FULL-PERMISSIONS-UNEXPLAINED" => "Full permissions let the actor read and change everything in the user's account. Switch to limited permissions if the actor only uses its own storages and input; otherwise add a README section saying what it needs full access for.",
        "CS-RESTRICTED-ACCESS-UNSUPPORTED" => "Under restricted general resource access (the default) storage URLs without a token return 403. Share signed URLs (`itemsPublicUrl`, `createItemsPublicUrl()`, `getPublicUrl()`) or document adding `?token=` / an Authorization header.",
        "CS-NO-BUILD" => "Nothing to fix in the definition: build the actor so its README and schemas can be checked.",
        _ => "",
    }
}

// ---------------------------------------------------------------- config and evidence

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ComplianceConfig {
    /// A README with fewer non-blank characters is a stub.
    pub min_readme_chars: usize,
    /// Shannon entropy (bits per character) a value of ≥ 20 characters under a credential key
    /// must reach to be reported. 3.5 is gitleaks' generic-api-key limit: a random base62 or
    /// base64 token of 20 characters reaches it 99.9 % of the time (mean ≈ 4.0), English
    /// identifiers and passphrases of that length sit around 3.0–3.8 (the rule also wants
    /// letters and digits, which removes most of those). Hex values get 0.5 less.
    pub entropy_threshold: f64,
    /// Rule ids whose findings are dropped.
    pub disabled_rules: Vec<String>,
    /// Per-rule severity overrides: the user's judgement of a rule beats ours.
    pub rule_levels: BTreeMap<String, Severity>,
    pub acknowledged_signals: Vec<String>,
}

impl Default for ComplianceConfig {
    fn default() -> Self {
        ComplianceConfig {
            min_readme_chars: 300,
            entropy_threshold: 3.5,
            disabled_rules: Vec::new(),
            rule_levels: BTreeMap::new(),
            acknowledged_signals: Vec::new(),
        }
    }
}

impl ComplianceConfig {
    /// An odd threshold (NaN, ≤ 0, above 8 bits/char, more than any text has) falls back to
    /// the default.
    fn sanitized(&self) -> ComplianceConfig {
        let mut c = self.clone();
        if !(self.entropy_threshold.is_finite()
            && self.entropy_threshold > 0.0
            && self.entropy_threshold <= 8.0)
        {
            c.entropy_threshold = ComplianceConfig::default().entropy_threshold;
        }
        c
    }
}

/// One actor as the runtime fetched it: the raw API objects, parsed here (tolerant of missing
/// fields).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorDocs {
    pub actor: ActorInfo,
    /// `GET /v2/actors/{id}` data: title, description, seoTitle, seoDescription, categories,
    /// isPublic, actorPermissionLevel, pricingInfos, exampleRunInput, versions...
    #[serde(default)]
    pub actor_object: Value,
    /// `GET /v2/actor-builds/{id}` data of the build scanned (newest by default): buildNumber,
    /// readme (or actorDefinition.readme), inputSchema (a JSON string), actorDefinition
    /// {input, storages.dataset, ...}. None: no build.
    #[serde(default)]
    pub build: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComplianceEvidence {
    pub as_of: DateTime<Utc>,
    pub actors: Vec<ActorDocs>,
}

// ---------------------------------------------------------------- output

/// One problem at one place. `evidence` is masked: never a secret or a personal-data value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub location: String,
    pub message: String,
    pub evidence: Value,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeverityCounts {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
}

impl SeverityCounts {
    fn add(&mut self, s: Severity) {
        match s {
            Severity::Critical => self.critical += 1,
            Severity::High => self.high += 1,
            Severity::Medium => self.medium += 1,
            Severity::Low => self.low += 1,
            Severity::Info => self.info += 1,
        }
    }
    fn merge(&mut self, o: &SeverityCounts) {
        self.critical += o.critical;
        self.high += o.high;
        self.medium += o.medium;
        self.low += o.low;
        self.info += o.info;
    }
    /// Findings above info.
    pub fn actionable(&self) -> usize {
        self.critical + self.high + self.medium + self.low
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorCompliance {
    pub actor_id: String,
    pub actor_name: String,
    pub title: Option<String>,
    pub is_public: bool,
    /// The scanned build's number; `None` without a build.
    pub build_number: Option<String>,
    pub console_url: String,
    /// Most severe first; at most 50 per rule (the rest counted in `findingsOmitted`).
    pub findings: Vec<Finding>,
    pub findings_omitted: usize,
    pub counts: SeverityCounts,
    /// Ids of this actor's signals (open and acknowledged).
    pub signals: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComplianceTotals {
    pub actors: usize,
    pub public_actors: usize,
    /// Actors with at least one finding above info.
    pub actors_with_findings: usize,
    pub findings: usize,
    pub by_severity: SeverityCounts,
    pub by_rule: BTreeMap<&'static str, usize>,
    /// Actors with a leaked credential (CS-SECRET-LEAKED or CS-SECRET-GENERIC).
    pub actors_with_leaked_secrets: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComplianceOutput {
    #[serde(flatten)]
    pub head: DecisionHead,
    pub as_of: DateTime<Utc>,
    /// The settings the scan ran with, after odd values fell back to the defaults.
    pub config: ComplianceConfig,
    pub totals: ComplianceTotals,
    pub actors: Vec<ActorCompliance>,
    pub signals: Vec<Signal>,
    pub acknowledged: Vec<Signal>,
}

/// Everything one run of compliance-scanner produces.
#[derive(Debug, Clone, PartialEq)]
pub struct ComplianceFindings {
    pub output: ComplianceOutput,
    /// One flat row per finding: actorId, actorName, buildNumber, isPublic, rule, severity,
    /// location, message, consoleUrl.
    pub rows: Vec<Value>,
}

// ---------------------------------------------------------------- shared helpers

/// `openaiApiKey` → [openai, api, key]; `API_KEY` → [api, key]; `APIKey` → [api, key];
/// `e-mail` → [e, mail].
pub(super) fn words(name: &str) -> Vec<String> {
    crate::schema::split_words(name)
}

/// Whether lower-case `haystack` contains `phrase` on word boundaries.
pub(super) fn contains_phrase(haystack: &str, phrase: &str) -> bool {
    haystack.match_indices(phrase).any(|(at, _)| {
        let before = haystack[..at].chars().next_back();
        let after = haystack[at + phrase.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

fn lower(s: Severity) -> Severity {
    match s {
        Severity::Critical => Severity::High,
        Severity::High => Severity::Medium,
        Severity::Medium => Severity::Low,
        Severity::Low | Severity::Info => Severity::Info,
    }
}

/// Where a string came from: decides which detectors run and how a finding reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Metadata,
    ExampleInput,
    Build,
    Dataset,
    DatasetValue,
    InputText,
    InputValue,
    Readme,
    Changelog,
}

impl Role {
    fn describe(self) -> &'static str {
        match self {
            Role::Metadata => "the actor's metadata",
            Role::ExampleInput => "the example run input",
            Role::Build => "the build's definition",
            Role::Dataset => "the dataset schema",
            Role::DatasetValue => "a dataset-schema example",
            Role::InputText => "the input schema",
            Role::InputValue => "an input default, prefill or example",
            Role::Readme => "the README",
            Role::Changelog => "the changelog",
        }
    }
}

/// One string to scan, with where it is and the key it is the value of.
#[derive(Debug, Clone)]
pub(super) struct TextItem<'a> {
    /// `README`, `input:/properties/x/default`, `source:0.1/src/main.js`...
    pub base: String,
    pub key: Option<&'a str>,
    pub text: &'a str,
    pub role: Role,
}

impl TextItem<'_> {
    /// The location of a byte offset: the base, and the line when the text has several.
    pub fn location(&self, at: usize) -> String {
        if self.text.contains('\n') {
            let line = self.text[..at.min(self.text.len())].matches('\n').count() + 1;
            format!("{}:{line}", self.base)
        } else {
            self.base.clone()
        }
    }
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

/// Every string under `v`, with its pointer and key; `skip` prunes subtrees by pointer.
fn walk<'a>(
    v: &'a Value,
    pointer: String,
    key: Option<&'a str>,
    role: Role,
    doc: &str,
    skip: &dyn Fn(&str) -> bool,
    out: &mut Vec<TextItem<'a>>,
) {
    if skip(&pointer) {
        return;
    }
    match v {
        Value::String(s) => out.push(TextItem {
            base: format!("{doc}:{pointer}"),
            key,
            text: s,
            role,
        }),
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                walk(x, format!("{pointer}/{i}"), key, role, doc, skip, out);
            }
        }
        Value::Object(map) => {
            for (k, x) in map {
                let child = format!("{pointer}/{}", escape(k));
                let role = match role {
                    Role::Dataset if matches!(k.as_str(), "example" | "examples" | "default") => {
                        Role::DatasetValue
                    }
                    _ if child == "/actorDefinition/storages" => Role::Dataset,
                    r => r,
                };
                walk(x, child, Some(k), role, doc, skip, out);
            }
        }
        _ => {}
    }
}

/// The input schema's strings: under a property's `default`, `prefill` or `example` the key is
/// the property's name (and inside an object value, the value's own keys).
fn walk_input<'a>(
    v: &'a Value,
    pointer: String,
    property: Option<&'a str>,
    in_value: bool,
    key: Option<&'a str>,
    out: &mut Vec<TextItem<'a>>,
) {
    match v {
        Value::String(s) => out.push(TextItem {
            base: format!("input:{pointer}"),
            key,
            text: s,
            role: if in_value {
                Role::InputValue
            } else {
                Role::InputText
            },
        }),
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                walk_input(x, format!("{pointer}/{i}"), property, in_value, key, out);
            }
        }
        Value::Object(map) => {
            for (k, x) in map {
                let child = format!("{pointer}/{}", escape(k));
                if in_value {
                    // `[{"name": "sid", "value": "…"}]` under `sessionCookies`: the inner key
                    // says nothing, the property's name does.
                    let key = if secrets::credential_key(k) {
                        Some(k.as_str())
                    } else {
                        property
                    };
                    walk_input(x, child, property, true, key, out);
                } else if k == "properties" && x.is_object() {
                    for (name, schema) in x.as_object().into_iter().flatten() {
                        let p = format!("{child}/{}", escape(name));
                        walk_input(schema, p, Some(name), false, None, out);
                    }
                } else if matches!(k.as_str(), "default" | "prefill" | "example")
                    && property.is_some()
                {
                    walk_input(x, child, property, true, property, out);
                } else {
                    walk_input(x, child, property, false, Some(k), out);
                }
            }
        }
        _ => {}
    }
}

/// One actor's definition, parsed once.
pub(super) struct Ctx<'a> {
    pub cfg: &'a ComplianceConfig,
    pub as_of: DateTime<Utc>,
    pub actor: &'a Value,
    pub build: Option<&'a Value>,
    pub is_public: bool,
    pub readme: Option<&'a str>,
    pub changelog: Option<&'a str>,
    /// The input schema's text (what the lint reads) and its parsed value.
    pub input_text: Option<String>,
    pub input: Option<Value>,
    /// `actorDefinition.storages.dataset` (or `datasets.default`) and its pointer in the build.
    pub dataset: Option<(&'a Value, String)>,
    /// The example run input's body, parsed.
    pub example_input: Option<Value>,
}

impl<'a> Ctx<'a> {
    fn new(cfg: &'a ComplianceConfig, as_of: DateTime<Utc>, docs: &'a ActorDocs) -> Ctx<'a> {
        let actor = &docs.actor_object;
        let build = docs.build.as_ref().filter(|b| b.is_object());
        let readme = build
            .and_then(|b| str_at(b, "/actorDefinition/readme").or_else(|| str_at(b, "/readme")));
        let changelog = build.and_then(|b| str_at(b, "/actorDefinition/changelog"));
        let input_text = build.and_then(|b| {
            str_at(b, "/inputSchema").map(str::to_string).or_else(|| {
                b.pointer("/actorDefinition/input")
                    .filter(|v| v.is_object())
                    .map(Value::to_string)
            })
        });
        let input = input_text
            .as_deref()
            .and_then(|t| serde_json::from_str::<Value>(t).ok())
            .filter(Value::is_object);
        let dataset = build.and_then(|b| {
            [
                "/actorDefinition/storages/dataset",
                "/actorDefinition/storages/datasets/default",
            ]
            .into_iter()
            .find_map(|p| {
                b.pointer(p)
                    .filter(|v| v.is_object())
                    .map(|v| (v, p.to_string()))
            })
        });
        let example_input = str_at(actor, "/exampleRunInput/body")
            .and_then(|t| serde_json::from_str::<Value>(t).ok())
            .filter(|v| v.is_object() || v.is_array());
        Ctx {
            cfg,
            as_of,
            actor,
            build,
            is_public: actor.get("isPublic") == Some(&Value::Bool(true)),
            readme,
            changelog,
            input_text,
            input,
            dataset,
            example_input,
        }
    }

    /// Severity of a secret or personal-data problem: as given on a public actor, one notch
    /// lower on a private one.
    pub fn by_visibility(&self, public: Severity) -> Severity {
        if self.is_public {
            public
        } else {
            lower(public)
        }
    }

    /// Severity of a Store listing problem: as given on a public actor, info on a private one.
    pub fn store(&self, public: Severity) -> Severity {
        if self.is_public {
            public
        } else {
            Severity::Info
        }
    }

    /// Every string of the definition, with its place.
    fn items(&self) -> Vec<TextItem<'_>> {
        let mut out = Vec::new();
        let actor_skip = |p: &str| {
            let segs: Vec<&str> = p.split('/').collect();
            matches!(
                p,
                "/deploymentKey" | "/stats" | "/taggedBuilds" | "/exampleRunInput/body"
            ) || (segs.len() >= 4
                && segs[1] == "versions"
                && matches!(segs[3], "envVars" | "sourceFiles"))
        };
        walk(
            self.actor,
            String::new(),
            None,
            Role::Metadata,
            "actor",
            &actor_skip,
            &mut out,
        );
        match (
            &self.example_input,
            str_at(self.actor, "/exampleRunInput/body"),
        ) {
            (Some(v), _) => walk(
                v,
                String::new(),
                None,
                Role::ExampleInput,
                "exampleRunInput",
                &|_| false,
                &mut out,
            ),
            (None, Some(text)) => out.push(TextItem {
                base: "actor:/exampleRunInput/body".into(),
                key: None,
                text,
                role: Role::ExampleInput,
            }),
            (None, None) => {}
        }
        // Environment variables and source files are never read (the data-access promise:
        // we do not see your code or your environment), even when the API returns them: the
        // runtime strips them before they get here, and the walk above skips them.
        if let Some(build) = self.build {
            let build_skip = |p: &str| {
                matches!(
                    p,
                    "/inputSchema"
                        | "/readme"
                        | "/actorDefinition/input"
                        | "/actorDefinition/readme"
                        | "/actorDefinition/changelog"
                        | "/meta"
                        | "/stats"
                        | "/usage"
                        | "/usageUsd"
                        | "/options"
                        | "/actVersion"
                )
            };
            walk(
                build,
                String::new(),
                None,
                Role::Build,
                "build",
                &build_skip,
                &mut out,
            );
            match (&self.input, &self.input_text) {
                (Some(v), _) => walk_input(v, String::new(), None, false, None, &mut out),
                (None, Some(text)) => out.push(TextItem {
                    base: "build:/inputSchema".into(),
                    key: None,
                    text,
                    role: Role::InputText,
                }),
                (None, None) => {}
            }
        }
        if let Some(text) = self.readme {
            out.push(TextItem {
                base: "README".into(),
                key: None,
                text,
                role: Role::Readme,
            });
        }
        if let Some(text) = self.changelog {
            out.push(TextItem {
                base: "CHANGELOG".into(),
                key: None,
                text,
                role: Role::Changelog,
            });
        }
        out
    }
}

/// A README text item's location for a line index (0-based).
pub(super) fn readme_line(line_index: usize) -> String {
    format!("README:{}", line_index + 1)
}

fn finding(
    rule: &'static str,
    severity: Severity,
    location: String,
    message: String,
    evidence: Value,
) -> Finding {
    Finding {
        rule,
        severity,
        location,
        message,
        evidence,
    }
}

// ---------------------------------------------------------------- the checks

fn secrets_in(ctx: &Ctx, items: &[TextItem], out: &mut Vec<Finding>) {
    let threshold = ctx.cfg.entropy_threshold;
    for item in items {
        for hit in secrets::scan(item.text, item.key, threshold) {
            let place = item.role.describe();
            let location = item.location(hit.start);
            match &hit.generic {
                Some((key, entropy)) => out.push(finding(
                    "CS-SECRET-GENERIC",
                    ctx.by_visibility(Severity::High),
                    location,
                    format!(
                        "a random-looking value for `{key}` in {place}: {} ({entropy} bits/char)",
                        hit.masked
                    ),
                    json!({"kind": hit.kind, "key": key, "masked": hit.masked, "entropy": entropy, "threshold": threshold}),
                )),
                None => out.push(finding(
                    "CS-SECRET-LEAKED",
                    ctx.by_visibility(if hit.strong {
                        Severity::Critical
                    } else {
                        Severity::High
                    }),
                    location,
                    format!("{} in {place}: {}", hit.kind, hit.masked),
                    json!({"kind": hit.kind, "masked": hit.masked}),
                )),
            }
        }
    }
}

/// Secret hygiene of the input schema: the input-schema lint's own findings, not a second
/// implementation of them.
fn hygiene(ctx: &Ctx, out: &mut Vec<Finding>) {
    let Some(text) = ctx.input_text.as_deref() else {
        return;
    };
    for f in lint_input_schema(text) {
        let (rule, severity) = match f.rule {
            "LINT-SECRET-WITH-VALUE" => ("CS-SECRET-HYGIENE-VALUE", Severity::High),
            "LINT-SECRET-NOT-MARKED" => ("CS-SECRET-HYGIENE-NOT-MARKED", Severity::Medium),
            _ => continue,
        };
        out.push(finding(
            rule,
            ctx.by_visibility(severity),
            format!("input:{}", f.pointer),
            f.message.clone(),
            json!({"lint": f.rule, "field": f.path}),
        ));
    }
}

fn pii_literals(ctx: &Ctx, items: &[TextItem], out: &mut Vec<Finding>) {
    for item in items {
        let numbers_only = match item.role {
            Role::InputValue | Role::ExampleInput | Role::DatasetValue => false,
            Role::Readme | Role::Changelog => true,
            _ => continue,
        };
        for hit in pii::scan(item.text, item.key, numbers_only) {
            let base = match hit.kind {
                "payment-card" | "iban" => Severity::High,
                "email" | "phone" => Severity::Medium,
                _ => Severity::Low,
            };
            out.push(finding(
                "CS-PII-LITERAL",
                ctx.by_visibility(base),
                item.location(hit.start),
                format!("{} in {}: {}", hit.kind, item.role.describe(), hit.masked),
                json!({"kind": hit.kind, "masked": hit.masked}),
            ));
        }
    }
}

/// Collects the personal-data field names of a JSON schema (`fields`), depth first.
fn schema_fields<'v>(schema: &'v Value, pointer: String, out: &mut Vec<(String, &'v str)>) {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        if let Some(items) = schema.get("items") {
            schema_fields(items, format!("{pointer}/items"), out);
        }
        return;
    };
    for (name, sub) in props {
        let p = format!("{pointer}/properties/{}", escape(name));
        out.push((p.clone(), name));
        schema_fields(sub, p, out);
    }
}

fn pii_output(ctx: &Ctx, out: &mut Vec<Finding>) {
    // (location, what, category)
    let mut indicators: Vec<(String, String, &'static str)> = Vec::new();
    if let Some((dataset, pointer)) = &ctx.dataset {
        let mut fields = Vec::new();
        if let Some(f) = dataset.get("fields") {
            schema_fields(f, format!("{pointer}/fields"), &mut fields);
        }
        let views = dataset.get("views").and_then(Value::as_object);
        for (view, v) in views.into_iter().flatten() {
            let names = v
                .pointer("/transformation/fields")
                .and_then(Value::as_array);
            for (i, name) in names.into_iter().flatten().enumerate() {
                if let Some(name) = name.as_str() {
                    let p = format!("{pointer}/views/{}/transformation/fields/{i}", escape(view));
                    fields.push((p, name));
                }
            }
        }
        let mut seen = BTreeSet::new();
        for (p, name) in fields {
            if let Some(cat) = pii::field_category(name) {
                if seen.insert(name) {
                    indicators.push((format!("build:{p}"), format!("dataset field `{name}`"), cat));
                }
            }
        }
    }
    for field in ["title", "description", "seoTitle", "seoDescription"] {
        if let Some(phrase) = str_at(ctx.actor, &format!("/{field}")).and_then(pii::title_phrase) {
            indicators.push((
                format!("actor:/{field}"),
                format!("the {field} mentions \"{phrase}\""),
                "text",
            ));
        }
    }
    let categories = ctx.actor.get("categories").and_then(Value::as_array);
    if let Some(i) = categories
        .into_iter()
        .flatten()
        .position(|c| c.as_str() == Some("LEAD_GENERATION"))
    {
        indicators.push((
            format!("actor:/categories/{i}"),
            "the LEAD_GENERATION category".into(),
            "category",
        ));
    }
    if let Some(readme) = ctx.readme {
        for (i, line) in readme.lines().enumerate() {
            if let Some(phrase) = pii::readme_phrase(line) {
                indicators.push((
                    readme_line(i),
                    format!("the README mentions \"{phrase}\""),
                    "text",
                ));
                break;
            }
        }
    }
    if indicators.is_empty() || ctx.readme.is_some_and(pii::has_legal_note) {
        return;
    }
    let what: Vec<&str> = indicators
        .iter()
        .take(5)
        .map(|(_, w, _)| w.as_str())
        .collect();
    let more = indicators.len().saturating_sub(5);
    let readme_state = if ctx.readme.is_some() {
        "its README has no legal note (GDPR, personal data, privacy, legitimate interest)"
    } else {
        "it has no README to carry a legal note"
    };
    // Contact and identity data (an email, a phone, an address, a birth date, an ID, an IP),
    // or names together with profiles, are personal data beyond doubt. A name or a profile
    // alone, or only words in the title, is a hint: worth a note on a private actor, an alert
    // only in the Store.
    let cats: BTreeSet<&str> = indicators.iter().map(|(_, _, c)| *c).collect();
    let strong = cats
        .iter()
        .any(|c| !matches!(*c, "person-name" | "profile" | "text" | "category"))
        || (cats.contains("person-name") && cats.contains("profile"));
    let severity = match (strong, ctx.is_public) {
        (true, _) => ctx.by_visibility(Severity::High),
        (false, true) => Severity::Medium,
        (false, false) => Severity::Info,
    };
    out.push(finding(
        "CS-PII-NO-LEGAL-NOTE",
        severity,
        indicators[0].0.clone(),
        format!(
            "outputs personal data ({}{}) but {readme_state}",
            what.join(", "),
            if more > 0 { format!(" and {more} more") } else { String::new() }
        ),
        json!({
            "indicators": indicators.iter().map(|(l, w, c)| json!({"location": l, "what": w, "category": c})).collect::<Vec<_>>(),
            "readmeHasLegalNote": false,
            "strongEvidence": strong,
        }),
    ));
}

fn pii_by_default(ctx: &Ctx, out: &mut Vec<Finding>) {
    let props = ctx
        .input
        .as_ref()
        .and_then(|i| i.get("properties"))
        .and_then(Value::as_object);
    for (name, schema) in props.into_iter().flatten() {
        if schema.get("type").and_then(Value::as_str) != Some("boolean")
            || !pii::personal_data_switch(name)
        {
            continue;
        }
        for keyword in ["default", "prefill"] {
            if schema.get(keyword) == Some(&Value::Bool(true)) {
                out.push(finding(
                    "CS-PII-BY-DEFAULT",
                    ctx.by_visibility(Severity::Low),
                    format!("input:/properties/{}/{keyword}", escape(name)),
                    format!("`{name}` collects personal data and its {keyword} is true"),
                    json!({"field": name, "keyword": keyword}),
                ));
            }
        }
    }
}

/// Most findings one rule keeps per actor; the rest are counted.
const MAX_FINDINGS_PER_RULE: usize = 50;
/// Findings listed in a signal's evidence.
const MAX_SIGNAL_FINDINGS: usize = 20;

fn rule_index(rule: &str) -> usize {
    RULES
        .iter()
        .position(|(id, _, _)| *id == rule)
        .unwrap_or(RULES.len())
}

/// All findings of one actor, most severe first, disabled rules dropped, capped per rule.
fn actor_findings(ctx: &Ctx) -> (Vec<Finding>, usize) {
    let mut out = Vec::new();
    if ctx.build.is_none() {
        out.push(finding(
            "CS-NO-BUILD",
            Severity::Info,
            "build".into(),
            "no build to scan: only the actor's metadata was checked".into(),
            json!({}),
        ));
    }
    let items = ctx.items();
    secrets_in(ctx, &items, &mut out);
    hygiene(ctx, &mut out);
    pii_literals(ctx, &items, &mut out);
    pii_output(ctx, &mut out);
    pii_by_default(ctx, &mut out);
    store::listing(ctx, &mut out);
    store::permissions(ctx, &mut out);
    store::restricted_access(ctx, &items, &mut out);

    out.retain(|f| !ctx.cfg.disabled_rules.iter().any(|r| r == f.rule));
    for f in out.iter_mut() {
        if let Some(level) = ctx.cfg.rule_levels.get(f.rule) {
            f.severity = *level;
        }
    }
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| rule_index(a.rule).cmp(&rule_index(b.rule)))
            .then_with(|| a.location.cmp(&b.location))
            .then_with(|| a.message.cmp(&b.message))
    });
    out.dedup_by(|a, b| a.rule == b.rule && a.location == b.location && a.message == b.message);
    let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
    let mut omitted = 0;
    out.retain(|f| {
        let n = per_rule.entry(f.rule).or_default();
        *n += 1;
        let keep = *n <= MAX_FINDINGS_PER_RULE;
        omitted += usize::from(!keep);
        keep
    });
    (out, omitted)
}

fn signal_for(
    docs: &ActorDocs,
    report: &ActorCompliance,
    rule: &'static str,
    fs: &[&Finding],
    acknowledged: &BTreeSet<&str>,
    as_of: DateTime<Utc>,
) -> Signal {
    let subject = Subject {
        actor_id: docs.actor.id.clone(),
        actor_name: report.actor_name.clone(),
        build_number: report.build_number.clone(),
    };
    let id = signal_id(TOOL, rule, &subject);
    let severity = fs
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Severity::Info);
    let more = if fs.len() > 1 {
        format!(" (+{} more)", fs.len() - 1)
    } else {
        String::new()
    };
    let title = format!(
        "{}: {} at {}{more}",
        report.actor_name, fs[0].message, fs[0].location
    );
    let locations: Vec<&str> = fs.iter().map(|f| f.location.as_str()).collect();
    let listed: Vec<Value> = fs
        .iter()
        .take(MAX_SIGNAL_FINDINGS)
        .map(|f| json!({"location": f.location, "severity": f.severity, "message": f.message, "evidence": f.evidence}))
        .collect();
    Signal {
        acknowledged: acknowledged.contains(id.as_str()),
        id,
        tool: TOOL.into(),
        rule: rule.into(),
        severity,
        subject,
        title,
        evidence: json!({
            "metric": "complianceFindings",
            "n": fs.len(),
            "isPublic": report.is_public,
            "locations": locations,
            "findings": listed,
        }),
        impact: Impact::default(),
        recommendation: rule_fix(rule).into(),
        console_url: report.console_url.clone(),
        first_seen_at: as_of,
    }
}

/// Scans every actor's definition. Never fails: missing or odd fields mean fewer checks, and an
/// input schema that is not JSON is scanned as text.
pub fn analyze(cfg: &ComplianceConfig, ev: &ComplianceEvidence) -> ComplianceFindings {
    let cfg = cfg.sanitized();
    let acknowledged: BTreeSet<&str> = cfg
        .acknowledged_signals
        .iter()
        .map(String::as_str)
        .collect();
    let mut reports = Vec::new();
    let mut signals = Vec::new();
    let mut rows = Vec::new();
    for docs in &ev.actors {
        let ctx = Ctx::new(&cfg, ev.as_of, docs);
        let (findings, omitted) = actor_findings(&ctx);
        let mut counts = SeverityCounts::default();
        for f in &findings {
            counts.add(f.severity);
        }
        let build_number = ctx
            .build
            .and_then(|b| b.get("buildNumber"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let title = str_at(ctx.actor, "/title")
            .map(str::to_string)
            .or_else(|| docs.actor.title.clone());
        let mut report = ActorCompliance {
            actor_id: docs.actor.id.clone(),
            actor_name: docs.actor.full_name(),
            title,
            is_public: ctx.is_public,
            build_number,
            console_url: docs.actor.console_url(),
            findings,
            findings_omitted: omitted,
            counts,
            signals: Vec::new(),
        };
        let mut by_rule: BTreeMap<usize, Vec<&Finding>> = BTreeMap::new();
        for f in &report.findings {
            by_rule.entry(rule_index(f.rule)).or_default().push(f);
        }
        let mut own = Vec::new();
        for fs in by_rule.values() {
            if fs.iter().all(|f| f.severity == Severity::Info) {
                continue;
            }
            own.push(signal_for(
                docs,
                &report,
                fs[0].rule,
                fs,
                &acknowledged,
                ev.as_of,
            ));
        }
        report.signals = own.iter().map(|s| s.id.clone()).collect();
        signals.extend(own);
        for f in &report.findings {
            rows.push(json!({
                "actorId": report.actor_id,
                "actorName": report.actor_name,
                "buildNumber": report.build_number,
                "isPublic": report.is_public,
                "rule": f.rule,
                "severity": f.severity,
                "location": f.location,
                "message": f.message,
                "consoleUrl": report.console_url,
            }));
        }
        reports.push(report);
    }
    rank(&mut signals);
    let totals = totals(&reports);
    let (open, acked): (Vec<Signal>, Vec<Signal>) =
        signals.into_iter().partition(|s| !s.acknowledged);
    let (decision, reason_codes) = decide(&open);
    let summary = summary(&totals, &open);
    ComplianceFindings {
        output: ComplianceOutput {
            head: DecisionHead::new(TOOL, decision, reason_codes, summary),
            as_of: ev.as_of,
            config: cfg,
            totals,
            actors: reports,
            signals: open,
            acknowledged: acked,
        },
        rows,
    }
}

fn totals(reports: &[ActorCompliance]) -> ComplianceTotals {
    let mut by_severity = SeverityCounts::default();
    let mut by_rule: BTreeMap<&'static str, usize> = BTreeMap::new();
    for r in reports {
        by_severity.merge(&r.counts);
        for f in &r.findings {
            *by_rule.entry(f.rule).or_default() += 1;
        }
    }
    ComplianceTotals {
        actors: reports.len(),
        public_actors: reports.iter().filter(|r| r.is_public).count(),
        actors_with_findings: reports.iter().filter(|r| r.counts.actionable() > 0).count(),
        findings: reports.iter().map(|r| r.findings.len()).sum(),
        by_severity,
        by_rule,
        actors_with_leaked_secrets: reports
            .iter()
            .filter(|r| {
                r.findings
                    .iter()
                    .any(|f| matches!(f.rule, "CS-SECRET-LEAKED" | "CS-SECRET-GENERIC"))
            })
            .count(),
    }
}

fn summary(t: &ComplianceTotals, open: &[Signal]) -> String {
    let s = &t.by_severity;
    let mut text = format!(
        "{} actors scanned ({} public): {} with findings above info ({} critical, {} high, {} medium, {} low)",
        t.actors, t.public_actors, t.actors_with_findings, s.critical, s.high, s.medium, s.low
    );
    if t.actors_with_leaked_secrets > 0 {
        text.push_str(&format!(
            "; credentials leaked in {} actor(s): rotate them first",
            t.actors_with_leaked_secrets
        ));
    }
    text.push_str(&format!("; {} open signals.", open.len()));
    text
}

#[cfg(test)]
mod tests;
