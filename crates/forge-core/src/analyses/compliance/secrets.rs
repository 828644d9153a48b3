//! Credentials in actor definitions: provider patterns in the spirit of gitleaks' rules (no
//! regex crate: each pattern is a public prefix, a body alphabet and a length range, checked by
//! hand), a few structured detectors (PEM private keys, JWTs, credentials in URLs, webhooks,
//! Telegram bot tokens, an AWS secret key next to its key id), and generic `key = value`
//! assignments whose key names a credential and whose value has high Shannon entropy.
//!
//! Nothing here keeps a secret: a hit carries its byte range and its [`mask`]ed form only.

use super::words;
use std::collections::BTreeMap;

/// Generic assignments: values shorter than this are not judged by entropy. The entropy of a
/// string of n characters is at most log2(n), so below ~16 characters 3.5 bits/char cannot
/// separate a random token from a word; at 20 characters a random base62 or base64 token
/// reaches 3.5 bits/char 99.9 % of the time (mean ≈ 4.0), while identifiers and passphrases
/// of that length sit around 3.0–3.8 and are mostly removed by the digit rule.
pub(super) const MIN_GENERIC_LEN: usize = 20;
const MAX_GENERIC_LEN: usize = 200;
/// Hex has 4 bits/char at most: a random 32-character hex string averages ≈ 3.6 and its 1st
/// percentile is ≈ 3.26, so hex values need 32 characters and `threshold − 0.5` (3.0 by
/// default, detect-secrets' hex limit).
const MIN_HEX_LEN: usize = 32;
const HEX_ENTROPY_DISCOUNT: f64 = 0.5;
/// An AWS secret access key is 40 random base64 characters (≈ 4.8 bits/char; 1st percentile
/// ≈ 4.45); next to an access key id it is reported from 4.0.
const AWS_SECRET_LEN: usize = 40;
const AWS_SECRET_MIN_ENTROPY: f64 = 4.0;
/// How many lines around an AWS access key id its secret key is looked for.
const AWS_SECRET_LINES: usize = 5;
/// A PEM block must carry at least this many base64 characters to be a key, not a mention.
const PEM_MIN_BODY: usize = 64;

/// One credential found in a text: where, what kind, and its masked form. Never the secret.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SecretHit {
    pub kind: &'static str,
    /// Byte range in the scanned text.
    pub start: usize,
    pub end: usize,
    pub masked: String,
    /// A fixed-format provider token (critical on a public actor) rather than a structural
    /// or contextual match (JWT, credentials in a URL: high).
    pub strong: bool,
    /// Generic assignments: the key that names the credential, and the value's entropy.
    pub generic: Option<(String, f64)>,
}

fn alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}
fn base32_upper(c: char) -> bool {
    c.is_ascii_uppercase() || ('2'..='7').contains(&c)
}
fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}
fn url_safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}
fn hex(c: char) -> bool {
    c.is_ascii_hexdigit()
}
fn alnum_dash(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}
fn webhook_path(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '+' || c == '/'
}
fn sendgrid_body(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '=' | '-')
}
fn alpha(c: char) -> bool {
    c.is_ascii_alphabetic()
}
fn base64_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '+' || c == '/'
}

fn any_body(_: &str) -> bool {
    true
}
fn mixed_case_and_digit(b: &str) -> bool {
    b.chars().any(|c| c.is_ascii_uppercase())
        && b.chars().any(|c| c.is_ascii_lowercase())
        && b.chars().any(|c| c.is_ascii_digit())
}
fn letters_and_digits(b: &str) -> bool {
    b.chars().any(|c| c.is_ascii_alphabetic()) && b.chars().any(|c| c.is_ascii_digit())
}
/// Slack tokens: `xoxb-<team digits>-<bot digits>-<random>`; the body starts with digits.
fn slack_body(b: &str) -> bool {
    b.starts_with(|c: char| c.is_ascii_digit()) && b.contains('-') && letters_and_digits(b)
}
/// SendGrid: `SG.<22>.<43>`.
fn sendgrid_shape(b: &str) -> bool {
    b.len() == 66 && b.as_bytes()[22] == b'.' && b.matches('.').count() == 1
}

/// One provider's token format: a public prefix, then `len` characters of `body`.
struct Pattern {
    kind: &'static str,
    prefixes: &'static [&'static str],
    body: fn(char) -> bool,
    len: (usize, usize),
    check: fn(&str) -> bool,
    /// The prefix is at the start of the secret (not a host name): `mask` may show it.
    token_prefix: bool,
}

/// The provider catalog (gitleaks `config/gitleaks.toml`, trufflehog's Apify detector).
/// Order matters only for overlaps: the first hit at a position wins.
const PATTERNS: &[Pattern] = &[
    Pattern {
        kind: "apify-api-token",
        prefixes: &["apify_api_"],
        body: alnum,
        len: (36, 36),
        check: any_body,
        token_prefix: true,
    },
    Pattern {
        kind: "apify-proxy-password",
        prefixes: &["apify_proxy_"],
        body: alnum,
        len: (36, 36),
        check: any_body,
        token_prefix: true,
    },
    Pattern {
        kind: "aws-access-key-id",
        prefixes: &["AKIA", "ASIA", "ABIA", "ACCA"],
        body: base32_upper,
        len: (16, 16),
        check: any_body,
        token_prefix: true,
    },
    Pattern {
        kind: "github-token",
        prefixes: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
        body: alnum,
        len: (36, 36),
        check: any_body,
        token_prefix: true,
    },
    Pattern {
        kind: "github-fine-grained-pat",
        prefixes: &["github_pat_"],
        body: word_char,
        len: (82, 82),
        check: any_body,
        token_prefix: true,
    },
    Pattern {
        kind: "gitlab-pat",
        prefixes: &["glpat-"],
        body: url_safe,
        len: (20, 100),
        check: any_body,
        token_prefix: true,
    },
    Pattern {
        kind: "slack-token",
        prefixes: &["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"],
        body: alnum_dash,
        len: (20, 255),
        check: slack_body,
        token_prefix: true,
    },
    Pattern {
        kind: "slack-webhook",
        prefixes: &[
            "hooks.slack.com/services/",
            "hooks.slack.com/workflows/",
            "hooks.slack.com/triggers/",
        ],
        body: webhook_path,
        len: (43, 56),
        check: any_body,
        token_prefix: false,
    },
    Pattern {
        kind: "stripe-live-key",
        prefixes: &["sk_live_", "rk_live_", "sk_prod_", "rk_prod_"],
        body: alnum,
        len: (16, 247),
        check: any_body,
        token_prefix: true,
    },
    Pattern {
        kind: "google-api-key",
        prefixes: &["AIza"],
        body: url_safe,
        len: (35, 35),
        check: any_body,
        token_prefix: true,
    },
    Pattern {
        kind: "anthropic-api-key",
        prefixes: &["sk-ant-api03-", "sk-ant-admin01-"],
        body: url_safe,
        len: (80, 120),
        check: any_body,
        token_prefix: true,
    },
    Pattern {
        kind: "openai-api-key",
        prefixes: &["sk-proj-", "sk-svcacct-", "sk-admin-"],
        body: url_safe,
        len: (40, 300),
        check: letters_and_digits,
        token_prefix: true,
    },
    // The legacy OpenAI format: `sk-` and 48 random alphanumerics (mixed case and digits, so
    // `sk-` in prose or in a slug never matches).
    Pattern {
        kind: "openai-api-key",
        prefixes: &["sk-"],
        body: alnum,
        len: (48, 48),
        check: mixed_case_and_digit,
        token_prefix: true,
    },
    Pattern {
        kind: "huggingface-token",
        prefixes: &["hf_"],
        body: alpha,
        len: (34, 34),
        check: any_body,
        token_prefix: true,
    },
    Pattern {
        kind: "npm-token",
        prefixes: &["npm_"],
        body: alnum,
        len: (36, 36),
        check: any_body,
        token_prefix: true,
    },
    Pattern {
        kind: "sendgrid-api-key",
        prefixes: &["SG."],
        body: sendgrid_body,
        len: (66, 66),
        check: sendgrid_shape,
        token_prefix: true,
    },
    Pattern {
        kind: "twilio-api-key",
        prefixes: &["SK"],
        body: hex,
        len: (32, 32),
        check: letters_and_digits,
        token_prefix: true,
    },
    Pattern {
        kind: "shopify-token",
        prefixes: &["shpat_", "shpss_", "shpca_", "shppa_"],
        body: hex,
        len: (32, 32),
        check: any_body,
        token_prefix: true,
    },
];

/// Shannon entropy of the characters of `s`, in bits per character: H = −Σ pᵢ log₂ pᵢ.
pub fn shannon_entropy(s: &str) -> f64 {
    let mut counts: BTreeMap<char, usize> = BTreeMap::new();
    let mut n = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_default() += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    let n = n as f64;
    let h: f64 = counts
        .values()
        .map(|&k| {
            let p = k as f64 / n;
            -p * p.log2()
        })
        .sum();
    h.max(0.0)
}

/// Masks a secret for evidence: a public format prefix where the secret has one
/// (`apify_api_`, `ghp_`...), else its first two characters; then its last two characters
/// and its length, e.g. `"apify_api_…xY (46 chars)"`. Never more than 4 characters of the
/// secret beyond a public prefix; shorter secrets show fewer (8–15 characters: one at each
/// end; under 8: none).
pub fn mask(secret: &str) -> String {
    let total = secret.chars().count();
    let prefix = PATTERNS
        .iter()
        .filter(|p| p.token_prefix)
        .flat_map(|p| p.prefixes.iter())
        .filter(|p| p.len() >= 3 && secret.starts_with(**p))
        .filter(|p| secret[p.len()..].chars().count() >= 16)
        .max_by_key(|p| p.len());
    match prefix {
        Some(p) => {
            let body: Vec<char> = secret[p.len()..].chars().collect();
            let last: String = body[body.len() - 2..].iter().collect();
            format!("{p}…{last} ({total} chars)")
        }
        None => {
            let chars: Vec<char> = secret.chars().collect();
            let shown = match total {
                16.. => 2,
                8..=15 => 1,
                _ => 0,
            };
            let first: String = chars[..shown].iter().collect();
            let last: String = chars[total - shown..].iter().collect();
            format!("{first}…{last} ({total} chars)")
        }
    }
}

/// Values that stand for a secret rather than being one: `<token>`, `${API_KEY}`,
/// `YOUR_API_TOKEN`, `xxxxxxxx`, `changeme`, the vendors' documented example keys (they
/// contain `EXAMPLE`), runs of one character, counting sequences, or too few distinct
/// characters to be random.
pub(super) fn is_placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    const MARKERS: &[&str] = &[
        "your_",
        "your-",
        "yourapi",
        "yourtoken",
        "yourkey",
        "yoursecret",
        "yourpassword",
        "example",
        "placeholder",
        "dummy",
        "sample",
        "changeme",
        "change_me",
        "replace",
        "redacted",
        "insert",
        "fake",
        "test",
        "xxxx",
        "****",
        "...",
        "…",
        "<",
        ">",
        "${",
        "{{",
        "12345678",
        "abcdefgh",
    ];
    if MARKERS.iter().any(|m| lower.contains(m)) {
        return true;
    }
    let chars: Vec<char> = lower.chars().collect();
    let longest_run = chars
        .chunk_by(|a, b| a == b)
        .map(|run| run.len())
        .max()
        .unwrap_or(0);
    let mut distinct = chars.clone();
    distinct.sort_unstable();
    distinct.dedup();
    longest_run >= 6 || distinct.len() < 8
}

/// Values that refer to a secret kept elsewhere: environment variables, CLI secrets (`@name`),
/// template variables, code expressions.
fn is_reference(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    const MARKERS: &[&str] = &[
        "process.env",
        "os.environ",
        "getenv",
        "env.",
        "secrets.",
        "config.",
        "settings.",
        "input.",
        "params.",
        "args.",
        "self.",
        "this.",
    ];
    value.starts_with(['$', '@', '%', '{', '[', '/', '.'])
        || MARKERS.iter().any(|m| lower.contains(m))
}

/// Whether a key (`apiKey`, `API_TOKEN`, `client_secret`, `password`, `Authorization`...) names
/// a credential, in gitleaks' generic-api-key spirit; keys that name something *about* a
/// credential (`tokenUrl`, `apiKeyId`, `publicKey`, `max_tokens`) do not.
pub(super) fn credential_key(key: &str) -> bool {
    const WORDS: &[&str] = &[
        "password",
        "passwd",
        "pwd",
        "pass",
        "passphrase",
        "secret",
        "secrets",
        "token",
        "apikey",
        "accesskey",
        "secretkey",
        "privatekey",
        "auth",
        "authorization",
        "credential",
        "credentials",
        "creds",
        "bearer",
        "jwt",
        "cookie",
        "cookies",
        "session",
    ];
    const KEY_QUALIFIERS: &[&str] = &[
        "api",
        "access",
        "secret",
        "private",
        "auth",
        "client",
        "encryption",
        "signing",
        "master",
        "license",
        "subscription",
    ];
    const NOT_A_SECRET: &[&str] = &[
        "public",
        "publishable",
        "id",
        "ids",
        "url",
        "uri",
        "endpoint",
        "type",
        "name",
        "path",
        "file",
        "length",
        "count",
        "max",
        "min",
        "limit",
        "expiry",
        "expires",
        "version",
        "header",
        "field",
        "param",
        "placeholder",
        "env",
        "var",
        "tokens",
    ];
    let ws = words(key);
    if ws.iter().any(|w| NOT_A_SECRET.contains(&w.as_str())) {
        return false;
    }
    ws.iter().any(|w| WORDS.contains(&w.as_str()))
        || ws
            .windows(2)
            .any(|p| p[1] == "key" && KEY_QUALIFIERS.contains(&p[0].as_str()))
}

/// Whether a value under a credential key is a secret by entropy (and the entropy if so).
pub(super) fn generic_value(value: &str, threshold: f64) -> Option<f64> {
    let len = value.chars().count();
    if !(MIN_GENERIC_LEN..=MAX_GENERIC_LEN).contains(&len)
        || !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.=+/~-".contains(c))
        || is_placeholder(value)
        || is_reference(value)
        || value.contains("//")
    {
        return None;
    }
    // gitleaks' allowlist `^[a-zA-Z_.-]+$`, extended: identifiers and words have no digits,
    // numbers have no letters; neither is a credential.
    if !letters_and_digits(value) {
        return None;
    }
    let h = shannon_entropy(value);
    let is_hex = value.chars().all(hex);
    let pass = if is_hex {
        len >= MIN_HEX_LEN && h >= threshold - HEX_ENTROPY_DISCOUNT
    } else {
        h >= threshold
    };
    pass.then_some(h)
}

fn prev_char(text: &str, at: usize) -> Option<char> {
    text[..at].chars().next_back()
}

/// Characters of `body` from `from`, at most `max + 1` of them (to see whether it ran on).
fn run_len(text: &str, from: usize, body: fn(char) -> bool, max: usize) -> usize {
    text[from..]
        .chars()
        .take(max + 1)
        .take_while(|c| body(*c))
        .count()
}

fn providers(text: &str, out: &mut Vec<SecretHit>) {
    for p in PATTERNS {
        for prefix in p.prefixes {
            for (at, _) in text.match_indices(prefix) {
                // The token starts at a boundary: `ask-`, `XAKIA` and `my_ghp_` do not match.
                if prev_char(text, at)
                    .is_some_and(|c| word_char(c) || (prefix.starts_with("sk-") && c == '-'))
                    && p.token_prefix
                {
                    continue;
                }
                let from = at + prefix.len();
                let n = run_len(text, from, p.body, p.len.1);
                if n < p.len.0 || n > p.len.1 {
                    continue;
                }
                // All body alphabets are ASCII: n characters are n bytes.
                let body = &text[from..from + n];
                if !(p.check)(body) || is_placeholder(body) {
                    continue;
                }
                let (start, secret) = if p.token_prefix {
                    (at, &text[at..from + n])
                } else {
                    (from, body)
                };
                out.push(SecretHit {
                    kind: p.kind,
                    start,
                    end: from + n,
                    masked: mask(secret),
                    strong: true,
                    generic: None,
                });
            }
        }
    }
}

/// `-----BEGIN … PRIVATE KEY-----` followed by at least 64 base64 characters (line breaks,
/// also written as `\n` inside code strings, allowed): a mention of the header is not a key.
fn private_keys(text: &str, out: &mut Vec<SecretHit>) {
    for (at, _) in text.match_indices("-----BEGIN ") {
        let header_from = at + "-----BEGIN ".len();
        let Some(header_len) = text[header_from..].find("-----") else {
            continue;
        };
        let header = &text[header_from..header_from + header_len];
        if header.len() > 100 || !header.contains("PRIVATE KEY") {
            continue;
        }
        let body_from = header_from + header_len + 5;
        let rest = &text[body_from..];
        let body_end = rest.find("-----").unwrap_or(rest.len());
        let raw = &rest[..body_end];
        let compact: String = raw
            .replace("\\n", "")
            .replace("\\r", "")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if compact.len() < PEM_MIN_BODY
            || !compact
                .chars()
                .all(|c| base64_char(c) || c == '=' || c == ':' || c == '-' || c == ',')
            || is_placeholder(&compact)
        {
            continue;
        }
        out.push(SecretHit {
            kind: "private-key",
            start: at,
            end: body_from + body_end,
            masked: mask(&compact),
            strong: true,
            generic: None,
        });
    }
}

fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    let mut bits: u32 = 0;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.chars() {
        let v = match c {
            'A'..='Z' => c as u32 - 'A' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 26,
            '0'..='9' => c as u32 - '0' as u32 + 52,
            '-' | '+' => 62,
            '_' | '/' => 63,
            '=' => break,
            _ => return None,
        };
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    Some(out)
}

/// The well-known jwt.io example token's signature: documentation, not a credential.
const JWT_IO_EXAMPLE_SIGNATURE: &str = "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

/// `header.payload.signature`, base64url, the header decoding to a JSON object with `alg` or
/// `typ` (gitleaks' `jwt` shape, plus the decoding check), with a signature: unsigned tokens
/// (`alg: none`) grant nothing.
fn jwts(text: &str, out: &mut Vec<SecretHit>) {
    for (at, _) in text.match_indices("eyJ") {
        if prev_char(text, at).is_some_and(url_safe) {
            continue;
        }
        let segment = |from: usize| run_len(text, from, url_safe, 10_000);
        let h_len = segment(at);
        let p_from = at + h_len + 1;
        if h_len < 17 || text.as_bytes().get(at + h_len) != Some(&b'.') {
            continue;
        }
        let p_len = segment(p_from);
        let s_from = p_from + p_len + 1;
        if p_len < 17
            || !text[p_from..].starts_with("eyJ")
            || text.as_bytes().get(p_from + p_len) != Some(&b'.')
        {
            continue;
        }
        let s_len = segment(s_from);
        let signature = &text[s_from..s_from + s_len];
        if s_len < 16 || signature == JWT_IO_EXAMPLE_SIGNATURE {
            continue;
        }
        let header = base64url_decode(&text[at..at + h_len]).unwrap_or_default();
        let header = String::from_utf8_lossy(&header);
        if !header.starts_with('{') || !(header.contains("\"alg\"") || header.contains("\"typ\"")) {
            continue;
        }
        let end = s_from + s_len;
        out.push(SecretHit {
            kind: "jwt",
            start: at,
            end,
            masked: mask(&text[at..end]),
            strong: false,
            generic: None,
        });
    }
}

/// `<8–10 digit bot id>:AA<33>`: a Telegram bot token (the `AA` is constant in issued tokens).
fn telegram(text: &str, out: &mut Vec<SecretHit>) {
    for (colon, _) in text.match_indices(":AA") {
        let digits = text[..colon]
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_digit())
            .count();
        let start = colon - digits;
        if !(8..=10).contains(&digits) || prev_char(text, start).is_some_and(word_char) {
            continue;
        }
        let from = colon + 3;
        let n = run_len(text, from, url_safe, 33);
        if n != 33 {
            continue;
        }
        let body = &text[colon + 1..from + n];
        if is_placeholder(body) {
            continue;
        }
        out.push(SecretHit {
            kind: "telegram-bot-token",
            start,
            end: from + n,
            masked: mask(&text[start..from + n]),
            strong: true,
            generic: None,
        });
    }
}

/// `discord.com/api/webhooks/<id>/<token>`.
fn discord(text: &str, out: &mut Vec<SecretHit>) {
    for prefix in ["discord.com/api/webhooks/", "discordapp.com/api/webhooks/"] {
        for (at, _) in text.match_indices(prefix) {
            let id_from = at + prefix.len();
            let id_len = run_len(text, id_from, |c| c.is_ascii_digit(), 20);
            if !(17..=20).contains(&id_len) || text.as_bytes().get(id_from + id_len) != Some(&b'/')
            {
                continue;
            }
            let t_from = id_from + id_len + 1;
            let n = run_len(text, t_from, url_safe, 100);
            let token = &text[t_from..t_from + n];
            if !(60..=100).contains(&n) || is_placeholder(token) {
                continue;
            }
            out.push(SecretHit {
                kind: "discord-webhook",
                start: t_from,
                end: t_from + n,
                masked: mask(token),
                strong: true,
                generic: None,
            });
        }
    }
}

/// `scheme://user:password@host`: a password in a URL (database URLs, proxy URLs). Local and
/// example hosts, and placeholder passwords, are not reported.
fn url_credentials(text: &str, out: &mut Vec<SecretHit>) {
    let stop = |c: char| c.is_whitespace() || "\"'`<>()[]{}".contains(c);
    for (at, _) in text.match_indices("://") {
        let from = at + 3;
        let rest = &text[from..];
        let authority_len = rest
            .find(|c: char| stop(c) || c == '/' || c == '?' || c == '#')
            .unwrap_or(rest.len());
        let authority = &rest[..authority_len];
        let Some(at_sign) = authority.rfind('@') else {
            continue;
        };
        let userinfo = &authority[..at_sign];
        let host = authority[at_sign + 1..].to_ascii_lowercase();
        let Some(colon) = userinfo.find(':') else {
            continue;
        };
        let password = &userinfo[colon + 1..];
        let host_name = host.split(':').next().unwrap_or("");
        let local = matches!(
            host_name,
            "localhost" | "127.0.0.1" | "0.0.0.0" | "host" | "hostname"
        ) || host_name.ends_with("example.com")
            || host_name.ends_with(".example")
            || host_name.ends_with(".local")
            || host_name.ends_with(".test")
            || !host_name.contains('.');
        if local
            || password.chars().count() < 8
            || is_placeholder(password)
            || is_reference(password)
            || password.eq_ignore_ascii_case("password")
            || !password.chars().any(|c| c.is_ascii_digit())
        {
            continue;
        }
        let start = from + colon + 1;
        out.push(SecretHit {
            kind: "url-credentials",
            start,
            end: start + password.len(),
            masked: mask(password),
            strong: false,
            generic: None,
        });
    }
}

fn line_of(text: &str, at: usize) -> usize {
    text[..at].matches('\n').count()
}

/// An AWS secret access key near an access key id (gitleaks pairs them the same way): a
/// 40-character base64 run with upper, lower case and digits and high entropy, in the same
/// value or within five lines.
fn aws_secrets(text: &str, hits: &[SecretHit], out: &mut Vec<SecretHit>) {
    let key_lines: Vec<usize> = hits
        .iter()
        .filter(|h| h.kind == "aws-access-key-id")
        .map(|h| line_of(text, h.start))
        .collect();
    if key_lines.is_empty() {
        return;
    }
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < bytes.len() {
        if !base64_char(bytes[i] as char) {
            i += 1;
            continue;
        }
        let n = run_len(text, i, base64_char, 1_000);
        let candidate = &text[i..i + n];
        let trailing = run_len(text, i + n, |c| c == '=', 2);
        let starts_clean = prev_char(text, i).is_none_or(|c| !word_char(c));
        if n == AWS_SECRET_LEN
            && starts_clean
            && trailing == 0
            && mixed_case_and_digit(candidate)
            && shannon_entropy(candidate) >= AWS_SECRET_MIN_ENTROPY
            && !is_placeholder(candidate)
            && key_lines
                .iter()
                .any(|&l| line_of(text, i).abs_diff(l) <= AWS_SECRET_LINES)
        {
            out.push(SecretHit {
                kind: "aws-secret-access-key",
                start: i,
                end: i + n,
                masked: mask(candidate),
                strong: true,
                generic: None,
            });
        }
        i += n.max(1);
    }
}

fn key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.'
}
fn value_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_.=+/~-".contains(&b)
}
fn value_end_ok(b: Option<&u8>) -> bool {
    b.is_none_or(|b| b.is_ascii_whitespace() || b"\"'`,;)]}&#".contains(b))
}

/// `key = value`, `key: value`, `"key": "value"`, `key => value`, `?key=value`, and
/// `Authorization: Bearer value`, where the key names a credential and the value passes
/// [`generic_value`].
fn assignments(text: &str, threshold: f64, out: &mut Vec<SecretHit>) {
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b != b'=' && b != b':' {
            continue;
        }
        let before = i.checked_sub(1).map(|k| bytes[k]);
        let mut j = i + 1;
        match (b, bytes.get(j)) {
            (b'=', Some(b'=')) | (b':', Some(b'/')) | (b':', Some(b':')) => continue,
            (b'=', Some(b'>')) | (b':', Some(b'=')) => j += 1,
            _ => {}
        }
        if b == b'=' && matches!(before, Some(b'=' | b'!' | b'<' | b'>')) {
            continue;
        }
        // The key: spaces, one closing quote, then identifier characters.
        let mut k = i;
        while k > 0 && (bytes[k - 1] == b' ' || bytes[k - 1] == b'\t') {
            k -= 1;
        }
        if k > 0 && b"\"'`".contains(&bytes[k - 1]) {
            k -= 1;
        }
        let key_end = k;
        while k > 0 && key_byte(bytes[k - 1]) {
            k -= 1;
        }
        let key = &text[k..key_end];
        if key.is_empty() || !credential_key(key) {
            continue;
        }
        // The value: spaces, one opening quote, value characters up to a terminator.
        let read = |mut j: usize| {
            while j < bytes.len() && (bytes[j] == b' ' || bytes[j] == b'\t') {
                j += 1;
            }
            if j < bytes.len() && b"\"'`".contains(&bytes[j]) {
                j += 1;
            }
            let start = j;
            while j < bytes.len() && value_byte(bytes[j]) {
                j += 1;
            }
            (start, j)
        };
        let (mut start, mut end) = read(j);
        let first = &text[start..end];
        if ["bearer", "basic", "token"]
            .iter()
            .any(|w| first.eq_ignore_ascii_case(w))
        {
            (start, end) = read(end);
        }
        if !value_end_ok(bytes.get(end)) {
            continue;
        }
        let value = &text[start..end];
        if let Some(h) = generic_value(value, threshold) {
            out.push(SecretHit {
                kind: "generic-credential",
                start,
                end,
                masked: mask(value),
                strong: false,
                generic: Some((key.to_string(), round2(h))),
            });
        }
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Every credential in `text`. `key` is the JSON key (or input property) the text is the value
/// of: when it names a credential, the whole value is judged by entropy too.
pub(super) fn scan(text: &str, key: Option<&str>, threshold: f64) -> Vec<SecretHit> {
    let mut strong = Vec::new();
    providers(text, &mut strong);
    private_keys(text, &mut strong);
    telegram(text, &mut strong);
    discord(text, &mut strong);
    let mut found = strong.clone();
    aws_secrets(text, &strong, &mut found);
    jwts(text, &mut found);
    url_credentials(text, &mut found);
    let trimmed = text.trim();
    if let Some(key) = key.filter(|k| credential_key(k)) {
        if !trimmed.is_empty() && !trimmed.contains(char::is_whitespace) {
            if let Some(h) = generic_value(trimmed, threshold) {
                let start = text.len() - text.trim_start().len();
                found.push(SecretHit {
                    kind: "generic-credential",
                    start,
                    end: start + trimmed.len(),
                    masked: mask(trimmed),
                    strong: false,
                    generic: Some((key.to_string(), round2(h))),
                });
            }
        }
    }
    assignments(text, threshold, &mut found);
    // One hit per place: provider hits first, then structural, then generic ones.
    let mut kept: Vec<SecretHit> = Vec::new();
    for h in found {
        if !kept.iter().any(|k| h.start < k.end && k.start < h.end) {
            kept.push(h);
        }
    }
    kept.sort_by_key(|h| h.start);
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::tests::fake;

    const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const UPPER32: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const URLSAFE: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    const HEX: &str = "0123456789abcdef";
    const ALPHA: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    fn kinds(text: &str) -> Vec<&'static str> {
        scan(text, None, 3.5).into_iter().map(|h| h.kind).collect()
    }

    /// One positive and at least one lookalike per provider; every row is asserted on its own
    /// so a broken pattern names itself.
    #[test]
    fn each_provider_pattern_matches_its_format_and_not_its_lookalikes() {
        let slack_tail = fake(ALNUM, 24, 7);
        let rows: Vec<(&str, String, Vec<String>)> = vec![
            (
                "apify-api-token",
                format!("token: apify_api_{}", fake(ALNUM, 36, 1)),
                vec![
                    "APIFY_TOKEN=apify_api_YOUR_TOKEN_HERE".into(),
                    format!("apify_api_{}", "x".repeat(36)),
                    format!("apify_api_{}", fake(ALNUM, 30, 1)),
                ],
            ),
            (
                "apify-proxy-password",
                format!("http://auto:apify_proxy_{}@proxy.apify.com:8000", fake(ALNUM, 36, 2)),
                vec!["password: apify_proxy_<password>".into()],
            ),
            (
                "aws-access-key-id",
                format!("aws_access_key_id = AKIA{}", fake(UPPER32, 16, 3)),
                vec![
                    // AKIA followed by lowercase, and AWS's documented example key.
                    format!("AKIA{}", fake("abcdefghijklmnop", 16, 3)),
                    "AKIAIOSFODNN7EXAMPLE".into(),
                    format!("XAKIA{}", fake(UPPER32, 16, 3)),
                ],
            ),
            (
                "github-token",
                format!("GH_TOKEN=ghp_{}", fake(ALNUM, 36, 4)),
                vec![
                    "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx".into(),
                    format!("ghp_{}", fake(ALNUM, 20, 4)),
                ],
            ),
            (
                "github-fine-grained-pat",
                format!("github_pat_{}_{}", fake(ALNUM, 22, 5), fake(ALNUM, 59, 6)),
                vec!["github_pat_<your token>".into()],
            ),
            (
                "gitlab-pat",
                format!("glpat-{}", fake(URLSAFE, 20, 8)),
                vec!["glpat-YOUR_TOKEN".into()],
            ),
            (
                "slack-token",
                format!("xoxb-3141{}-2718{}-{slack_tail}", fake("0123456789", 7, 9), fake("0123456789", 7, 10)),
                vec!["xoxb-your-bot-token-goes-here".into(), "xoxb-".into()],
            ),
            (
                "slack-webhook",
                format!(
                    "https://hooks.slack.com/services/T{}/B{}/{}",
                    fake(UPPER32, 8, 11),
                    fake(UPPER32, 10, 12),
                    fake(ALNUM, 24, 13)
                ),
                vec!["https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX".into()],
            ),
            (
                "stripe-live-key",
                format!("STRIPE_KEY=sk_live_{}", fake(ALNUM, 24, 14)),
                vec![
                    format!("sk_test_{}", fake(ALNUM, 24, 14)),
                    "sk_live_...".into(),
                ],
            ),
            (
                "google-api-key",
                format!("key=AIza{}", fake(URLSAFE, 35, 15)),
                vec![format!("AIza{}", fake(URLSAFE, 20, 15))],
            ),
            (
                "openai-api-key",
                format!("OPENAI_API_KEY=sk-proj-{}", fake(URLSAFE, 120, 16)),
                vec![
                    // `sk-` in prose and in slugs.
                    "Use the task-runner and the disk-cleanup flags; ask-me-anything sk-learn".into(),
                    "sk-proj-YOUR_KEY".into(),
                ],
            ),
            (
                "openai-api-key",
                format!("sk-{}", fake(ALNUM, 48, 17)),
                vec![format!("sk-{}", fake("abcdefghijklmnopqrstuvwxyz", 48, 17))],
            ),
            (
                "anthropic-api-key",
                format!("sk-ant-api03-{}AA", fake(URLSAFE, 93, 18)),
                vec!["sk-ant-api03-...".into()],
            ),
            (
                "huggingface-token",
                format!("HF_TOKEN=hf_{}", fake(ALPHA, 34, 19)),
                vec!["hf_hub_download(repo_id)".into()],
            ),
            (
                "npm-token",
                format!("//registry.npmjs.org/:_authToken=npm_{}", fake(ALNUM, 36, 20)),
                vec!["npm_config_registry".into()],
            ),
            (
                "sendgrid-api-key",
                format!("SG.{}.{}", fake(URLSAFE, 22, 21), fake(URLSAFE, 43, 22)),
                vec!["SG.YOUR_SENDGRID_KEY".into()],
            ),
            (
                "twilio-api-key",
                format!("SK{}", fake(HEX, 32, 23)),
                vec![format!("ASK{}", fake(HEX, 32, 23)), format!("SK{}", fake(HEX, 20, 23))],
            ),
            (
                "shopify-token",
                format!("shpat_{}", fake(HEX, 32, 24)),
                vec!["shpat_<access token>".into()],
            ),
            (
                "telegram-bot-token",
                format!("TELEGRAM_BOT=7{}:AA{}", fake("0123456789", 8, 25), fake(URLSAFE, 33, 26)),
                vec!["123456789:AAxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx".into(), "time 12:AA".into()],
            ),
            (
                "discord-webhook",
                format!(
                    "https://discord.com/api/webhooks/1{}/{}",
                    fake("0123456789", 17, 27),
                    fake(URLSAFE, 68, 28)
                ),
                vec!["https://discord.com/api/webhooks/<id>/<token>".into()],
            ),
            (
                "private-key",
                format!(
                    "-----BEGIN RSA PRIVATE KEY-----\n{}\n{}\n-----END RSA PRIVATE KEY-----",
                    fake(B64, 64, 29),
                    fake(B64, 64, 30)
                ),
                vec![
                    "Paste your key, it starts with -----BEGIN PRIVATE KEY----- and ends with -----END PRIVATE KEY-----".into(),
                    "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n-----END PUBLIC KEY-----".into(),
                ],
            ),
            (
                "jwt",
                // {"alg":"HS256","typ":"JWT"} . {"sub":"42"...} . a signature
                format!(
                    "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiIsImlhdCI6MTcwMDAwMDAwMH0.{}",
                    fake(URLSAFE, 43, 31)
                ),
                vec![
                    // jwt.io's documented example, and a token without a signature.
                    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c".into(),
                    "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiI0MiIsImlhdCI6MTcwMDAwMDAwMH0.".into(),
                ],
            ),
            (
                "url-credentials",
                format!("DATABASE_URL=postgres://app:{}9@db.mycorp.io:5432/main", fake(ALNUM, 15, 32)),
                vec![
                    "mongodb://user:password@localhost:27017".into(),
                    "postgres://app:<password>@db.mycorp.io/main".into(),
                    "https://apify.com/store".into(),
                ],
            ),
        ];
        for (kind, positive, negatives) in &rows {
            let found = kinds(positive);
            assert_eq!(found, vec![*kind], "{kind} should match {positive:?}");
            for n in negatives {
                let found = kinds(n);
                assert!(
                    !found.contains(kind),
                    "{kind} must not match {n:?}: {found:?}"
                );
            }
        }
    }

    #[test]
    fn an_aws_secret_key_is_found_next_to_its_key_id_only() {
        let id = format!("AKIA{}", fake(UPPER32, 16, 40));
        let secret = fake(B64, 40, 41);
        let both =
            format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n");
        assert_eq!(kinds(&both), ["aws-access-key-id", "aws-secret-access-key"]);
        // Alone, a 40-character base64 run is not called an AWS key (it is still a generic
        // credential under a credential key).
        let alone = format!("checksum {secret}");
        assert!(kinds(&alone).is_empty());
        let far = format!(
            "aws_access_key_id = {id}{}\nvalue {secret}",
            "\n".repeat(10)
        );
        assert_eq!(kinds(&far), ["aws-access-key-id"]);
    }

    #[test]
    fn generic_assignments_need_a_credential_key_and_entropy() {
        let value = fake(ALNUM, 32, 50);
        for text in [
            format!("API_KEY={value}"),
            format!("\"clientSecret\": \"{value}\""),
            format!("password: '{value}'"),
            format!("curl https://x.io/api?access_token={value}&q=1"),
            format!("Authorization: Bearer {value}"),
        ] {
            let hits = scan(&text, None, 3.5);
            assert_eq!(hits.len(), 1, "{text}");
            assert_eq!(hits[0].kind, "generic-credential", "{text}");
            assert!(hits[0].generic.as_ref().unwrap().1 >= 3.5);
        }
        for text in [
            format!("build_id={value}"),                       // not a credential key
            "API_KEY=YOUR_API_TOKEN".to_string(),              // placeholder
            "token: <token>".to_string(),                      // placeholder
            "password = xxxxxxxxxxxxxxxxxxxxxxxx".to_string(), // placeholder
            "apiKey = process.env.APIFY_TOKEN".to_string(),    // reference
            "secret: my_super_secret_password".to_string(),    // words, no digits
            "tokenUrl = https://auth.example.org/token2".to_string(),
            "max_tokens: 123456789012345678901".to_string(),
            format!("token={}", &value[..12]), // too short to judge
            "if (token == previousToken2024abcdXYZ) {}".to_string(),
        ] {
            assert!(scan(&text, None, 3.5).is_empty(), "{text}");
        }
        // As a JSON value under a credential key.
        assert_eq!(scan(&value, Some("apiKey"), 3.5).len(), 1);
        assert!(scan(&value, Some("startUrl"), 3.5).is_empty());
    }

    #[test]
    fn entropy_threshold_examples() {
        assert_eq!(shannon_entropy(""), 0.0);
        assert_eq!(shannon_entropy("aaaa"), 0.0);
        assert!((shannon_entropy("abcd") - 2.0).abs() < 1e-12);
        assert!((shannon_entropy("0123456789abcdef") - 4.0).abs() < 1e-12);
        // Random tokens of 20+ characters pass 3.5; identifiers and words do not reach it or
        // carry no digit.
        for seed in 0..200 {
            let token = fake(ALNUM, 24, seed);
            assert!(shannon_entropy(&token) >= 3.5, "{token}");
        }
        assert!(shannon_entropy("this_is_not_a_real_token") < 3.5);
        assert!(shannon_entropy("correct-horse-battery-staple") < 3.5);
        let words = "getApiKeyFromEnvironment";
        assert!(shannon_entropy(words) >= 3.5 && generic_value(words, 3.5).is_none());
        // Hex needs 32 characters and threshold − 0.5.
        let hex32 = fake(HEX, 32, 3);
        assert!(generic_value(&hex32, 3.5).is_some(), "{hex32}");
        assert!(generic_value(&fake(HEX, 24, 3), 3.5).is_none());
        // The threshold is the config's.
        let v = fake(ALNUM, 20, 9);
        let h = shannon_entropy(&v);
        assert!(generic_value(&v, h).is_some() && generic_value(&v, h + 0.01).is_none());
    }

    #[test]
    fn placeholders_are_recognised() {
        for p in [
            "YOUR_API_TOKEN",
            "<token>",
            "xxxxxxxx",
            "********",
            "${APIFY_TOKEN}",
            "{{token}}",
            "changeme",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "aaaaaaaaaaaaaaaaaaaa",
            "abababababababababab",
            "0123456789abcdefghij",
        ] {
            assert!(is_placeholder(p), "{p}");
        }
        for s in (0..50).map(|k| fake(ALNUM, 36, k)) {
            assert!(!is_placeholder(&s), "{s}");
        }
    }

    #[test]
    fn masking_never_shows_more_than_four_characters_of_a_secret() {
        let mut secrets: Vec<(String, usize)> = Vec::new();
        for seed in 0..400u64 {
            let n = 1 + (seed as usize * 7) % 90;
            secrets.push((fake(B64, n, seed), 0));
            for prefix in [
                "apify_api_",
                "ghp_",
                "sk-proj-",
                "AKIA",
                "xoxb-",
                "SK",
                "sk-",
            ] {
                secrets.push((
                    format!("{prefix}{}", fake(ALNUM, n, seed + 1_000)),
                    prefix.len(),
                ));
            }
        }
        secrets.push((String::new(), 0));
        secrets.push(("é€💥ñ漢字テスト秘密の鍵です".into(), 0));
        for (secret, _) in &secrets {
            let m = mask(secret);
            let total = secret.chars().count();
            let suffix = format!(" ({total} chars)");
            assert!(m.ends_with(&suffix), "{m}");
            let shown = m.trim_end_matches(&suffix);
            let (head, tail) = shown.split_once('…').expect("an ellipsis");
            // What is shown of the secret beyond a public format prefix: at most 4 characters.
            let public = PATTERNS
                .iter()
                .filter(|p| p.token_prefix)
                .flat_map(|p| p.prefixes.iter())
                .any(|p| *p == head && p.len() >= 3);
            let revealed = if public { 0 } else { head.chars().count() } + tail.chars().count();
            assert!(revealed <= 4, "{secret:?} → {m}");
            assert!(secret.starts_with(head) && secret.ends_with(tail), "{m}");
            // And never a run of 5 consecutive characters of the random part.
            let body: Vec<char> = secret
                .chars()
                .skip(if public { head.chars().count() } else { 0 })
                .collect();
            for w in body.windows(5) {
                let w: String = w.iter().collect();
                assert!(!m.contains(&w), "{secret:?} → {m} leaks {w}");
            }
        }
        assert_eq!(
            mask(&format!(
                "apify_api_{}Xy",
                "a1B2c3D4e5".repeat(4).chars().take(34).collect::<String>()
            )),
            "apify_api_…Xy (46 chars)"
        );
        assert_eq!(mask("hunter2"), "… (7 chars)");
        assert_eq!(mask("S3cretPassw0rd"), "S…d (14 chars)");
    }
}
