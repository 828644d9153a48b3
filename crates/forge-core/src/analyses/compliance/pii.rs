//! Personal data: literals in values (e-mail addresses, phone numbers, payment card numbers,
//! IBANs, IP addresses), each with a validator that keeps documentation values out (Presidio's
//! recognisers, `methods-anchors.md` §6), and the signs that an Actor *outputs* personal data
//! (dataset fields, title and description, README phrases, the lead-generation category).

use super::secrets::mask;
use super::{contains_phrase, words};

/// A personal-data literal found in a value. Never the value: its masked form.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PiiHit {
    /// `email`, `phone`, `payment-card`, `iban`, `ip-address`.
    pub kind: &'static str,
    pub start: usize,
    pub end: usize,
    pub masked: String,
}

/// Luhn's check (ISO/IEC 7812): from the right, every second digit doubled (9 subtracted when
/// it exceeds 9); the sum is a multiple of 10. Only ASCII digits, at least two.
pub fn luhn_valid(digits: &str) -> bool {
    if digits.len() < 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let d2 = d * 2;
                if d2 > 9 {
                    d2 - 9
                } else {
                    d2
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// IBAN lengths by country (ISO 13616 registry, SWIFT release 2024).
#[rustfmt::skip]
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24), ("AE", 23), ("AL", 28), ("AT", 20), ("AZ", 28), ("BA", 20), ("BE", 16),
    ("BG", 22), ("BH", 22), ("BR", 29), ("BY", 28), ("CH", 21), ("CR", 22), ("CY", 28),
    ("CZ", 24), ("DE", 22), ("DK", 18), ("DO", 28), ("EE", 20), ("EG", 29), ("ES", 24),
    ("FI", 18), ("FO", 18), ("FR", 27), ("GB", 22), ("GE", 22), ("GI", 23), ("GL", 18),
    ("GR", 27), ("GT", 28), ("HR", 21), ("HU", 28), ("IE", 22), ("IL", 23), ("IQ", 23),
    ("IS", 26), ("IT", 27), ("JO", 30), ("KW", 30), ("KZ", 20), ("LB", 28), ("LC", 32),
    ("LI", 21), ("LT", 20), ("LU", 20), ("LV", 21), ("MC", 27), ("MD", 24), ("ME", 22),
    ("MK", 19), ("MR", 27), ("MT", 31), ("MU", 30), ("NL", 18), ("NO", 15), ("PK", 24),
    ("PL", 28), ("PS", 29), ("PT", 25), ("QA", 29), ("RO", 24), ("RS", 22), ("SA", 24),
    ("SC", 31), ("SE", 24), ("SI", 19), ("SK", 24), ("SM", 27), ("ST", 25), ("SV", 28),
    ("TL", 23), ("TN", 24), ("TR", 26), ("UA", 29), ("VA", 22), ("VG", 24), ("XK", 20),
];

/// ISO 7064 mod 97-10 on an IBAN (spaces allowed): the country's length, then the first four
/// characters moved to the end, letters as 10–35, the number mod 97 equal to 1.
pub fn iban_valid(iban: &str) -> bool {
    let compact: String = iban.chars().filter(|c| *c != ' ').collect();
    let bytes = compact.as_bytes();
    if bytes.len() < 5
        || !bytes[..2].iter().all(u8::is_ascii_uppercase)
        || !bytes[2..4].iter().all(u8::is_ascii_digit)
        || !bytes[4..]
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return false;
    }
    let Some(&(_, len)) = IBAN_LENGTHS.iter().find(|(c, _)| *c == &compact[..2]) else {
        return false;
    };
    if bytes.len() != len {
        return false;
    }
    let mut rem: u32 = 0;
    for &b in bytes[4..].iter().chain(&bytes[..4]) {
        let v = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            u32::from(b - b'A') + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// IBANs printed in standards, bank documentation and Wikipedia: valid, and nobody's account.
const EXAMPLE_IBANS: &[&str] = &[
    "GB82WEST12345698765432",
    "GB29NWBK60161331926819",
    "DE89370400440532013000",
    "DE75512108001245126199",
    "FR1420041010050500013M02606",
    "FR7630006000011234567890189",
    "NL91ABNA0417164300",
    "NL02ABNA0123456789",
    "CH9300762011623852957",
    "BE68539007547034",
    "ES9121000418450200051332",
    "IT60X0542811101000000123456",
    "AT611904300234573201",
    "CZ6508000000192000145399",
    "PL61109010140000071219812874",
];

/// Card numbers the networks publish for testing (Stripe, Adyen, PayPal sandboxes).
const TEST_CARDS: &[&str] = &[
    "4111111111111111",
    "4242424242424242",
    "4012888888881881",
    "4000056655665556",
    "4000000000000002",
    "4000000000000077",
    "4000000000003220",
    "4222222222222",
    "5555555555554444",
    "5105105105105100",
    "5200828282828210",
    "2223003122003222",
    "378282246310005",
    "371449635398431",
    "378734493671000",
    "6011111111111117",
    "6011000990139424",
    "6011000000000004",
    "3530111333300000",
    "3566002020360505",
    "30569309025904",
    "38520000023237",
    "36227206271667",
];

/// The network whose prefix and length a number has (Presidio's card regex, made exact).
fn card_network(d: &str) -> Option<&'static str> {
    let n = d.len();
    let p = |k: usize| d[..k.min(n)].parse::<u32>().unwrap_or(0);
    if d.starts_with('4') && matches!(n, 13 | 16 | 19) {
        Some("visa")
    } else if ((51..=55).contains(&p(2)) || (2221..=2720).contains(&p(4))) && n == 16 {
        Some("mastercard")
    } else if matches!(p(2), 34 | 37) && n == 15 {
        Some("amex")
    } else if (p(4) == 6011 || p(2) == 65 || (644..=649).contains(&p(3))) && (16..=19).contains(&n)
    {
        Some("discover")
    } else if (3528..=3589).contains(&p(4)) && (16..=19).contains(&n) {
        Some("jcb")
    } else if ((300..=305).contains(&p(3)) || matches!(p(2), 36 | 38)) && (14..=19).contains(&n) {
        Some("diners")
    } else {
        None
    }
}

/// Digits that are a pattern, not a number somebody has: few distinct digits, or a counting
/// run (`1234567`, `9876543`).
fn patterned(d: &str) -> bool {
    let mut distinct: Vec<u8> = d.bytes().collect();
    distinct.sort_unstable();
    distinct.dedup();
    distinct.len() < 4 || d.contains("1234567") || d.contains("9876543") || d.contains("0000000")
}

fn boundary_before(text: &str, at: usize) -> bool {
    text[..at]
        .chars()
        .next_back()
        .is_none_or(|c| !c.is_alphanumeric() && c != '.' && c != '_')
}
fn boundary_after(text: &str, at: usize) -> bool {
    text[at..]
        .chars()
        .next()
        .is_none_or(|c| !c.is_alphanumeric() && c != '_')
}

/// Digits from `from`, with at most two separators from `seps` in a row between them
/// (`(415) 726`); stops at anything else, and ends after the last digit. Stops collecting once
/// more than `max_digits` digits were seen (the caller rejects the run). Returns (end, digits).
fn digit_run(text: &str, from: usize, seps: &[u8], max_digits: usize) -> (usize, String) {
    let bytes = text.as_bytes();
    let (mut i, mut end, mut in_sep) = (from, from, 0);
    let mut digits = String::new();
    while i < bytes.len() && digits.len() <= max_digits {
        let b = bytes[i];
        if b.is_ascii_digit() {
            digits.push(b as char);
            in_sep = 0;
            end = i + 1;
        } else if seps.contains(&b) && in_sep < 2 {
            in_sep += 1;
        } else {
            break;
        }
        i += 1;
    }
    (end, digits)
}

fn cards(text: &str, out: &mut Vec<PiiHit>) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() || !boundary_before(text, i) {
            i += 1;
            continue;
        }
        let (end, digits) = digit_run(text, i, b" -", 19);
        if (13..=19).contains(&digits.len())
            && boundary_after(text, end)
            && card_network(&digits).is_some()
            && luhn_valid(&digits)
            && !TEST_CARDS.contains(&digits.as_str())
            && !patterned(&digits)
        {
            out.push(PiiHit {
                kind: "payment-card",
                start: i,
                end,
                masked: mask(&digits),
            });
        }
        i = end.max(i + 1);
    }
}

fn ibans(text: &str, out: &mut Vec<PiiHit>) {
    let bytes = text.as_bytes();
    for i in 0..bytes.len().saturating_sub(4) {
        let starts_like_an_iban = bytes[i].is_ascii_uppercase()
            && bytes[i + 1].is_ascii_uppercase()
            && bytes[i + 2].is_ascii_digit()
            && bytes[i + 3].is_ascii_digit();
        if !starts_like_an_iban || !boundary_before(text, i) {
            continue;
        }
        // Up to 34 characters, in groups of four separated by single spaces.
        let mut j = i;
        let mut compact = String::new();
        while j < bytes.len() && compact.len() < 34 {
            let b = bytes[j];
            if b.is_ascii_uppercase() || b.is_ascii_digit() {
                compact.push(b as char);
                j += 1;
            } else if b == b' '
                && compact.len().is_multiple_of(4)
                && bytes
                    .get(j + 1)
                    .is_some_and(|n| n.is_ascii_uppercase() || n.is_ascii_digit())
            {
                j += 1;
            } else {
                break;
            }
        }
        // The longest valid prefix (a following word may have been swallowed after a space).
        let valid = (15..=compact.len())
            .rev()
            .find(|&n| iban_valid(&compact[..n]));
        let Some(n) = valid else {
            continue;
        };
        // Map the compact length back to the text end.
        let mut seen = 0;
        let mut end = i;
        while seen < n {
            if bytes[end] != b' ' {
                seen += 1;
            }
            end += 1;
        }
        if !boundary_after(text, end) || EXAMPLE_IBANS.contains(&&compact[..n]) {
            continue;
        }
        out.push(PiiHit {
            kind: "iban",
            start: i,
            end,
            masked: mask(&compact[..n]),
        });
    }
}

#[rustfmt::skip]
const ROLE_MAILBOXES: &[&str] = &[
    "info", "support", "contact", "hello", "hi", "sales", "admin", "noreply", "no-reply",
    "donotreply", "do-not-reply", "team", "help", "privacy", "legal", "gdpr", "dpo", "abuse",
    "postmaster", "webmaster", "hostmaster", "office", "billing", "marketing", "press", "media",
    "careers", "jobs", "security", "feedback", "git", "root", "mailer-daemon", "notifications",
];
#[rustfmt::skip]
const PLACEHOLDER_MAILBOXES: &[&str] = &[
    "you", "your", "yourname", "youremail", "your.name", "your.email", "user", "username",
    "name", "email", "mail", "me", "someone", "somebody", "foo", "bar", "john.doe", "jane.doe",
    "johndoe", "janedoe", "john", "jane", "firstname.lastname", "first.last", "firstname",
    "name.surname",
];
#[rustfmt::skip]
const PLACEHOLDER_DOMAINS: &[&str] = &[
    "domain.com", "yourdomain.com", "mydomain.com", "email.com", "company.com", "mycompany.com",
    "yourcompany.com", "test.com", "website.com", "yoursite.com", "mysite.com", "acme.com",
    "sample.com", "foo.com", "bar.com", "somewhere.com", "host.com",
];

/// E-mail addresses of people: not role mailboxes (`support@`...), not placeholders
/// (`you@`, `john.doe@`), not RFC 2606 / 6761 domains (`example.com`, `.test`, `.invalid`)
/// and not the user part of a URL.
fn emails(text: &str, out: &mut Vec<PiiHit>) {
    let local_char = |c: char| c.is_ascii_alphanumeric() || "._%+-".contains(c);
    let domain_char = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
    for (at, _) in text.match_indices('@') {
        let local_len = text[..at]
            .chars()
            .rev()
            .take_while(|c| local_char(*c))
            .count();
        let start = at - local_len;
        let local = &text[start..at];
        let domain_len = text[at + 1..]
            .chars()
            .take_while(|c| domain_char(*c))
            .count();
        let domain = text[at + 1..at + 1 + domain_len].trim_end_matches(['.', '-']);
        let end = at + 1 + domain.len();
        let before = text[..start].chars().next_back();
        if local.is_empty()
            || local.starts_with('.')
            || local.ends_with('.')
            || before.is_some_and(|c| c == ':' || c == '/')
        {
            continue;
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let tld = labels.last().copied().unwrap_or("");
        if labels.len() < 2
            || labels.iter().any(|l| l.is_empty())
            || !(2..=24).contains(&tld.len())
            || !tld.chars().all(|c| c.is_ascii_alphabetic())
        {
            continue;
        }
        let local_l = local.to_ascii_lowercase();
        let domain_l = domain.to_ascii_lowercase();
        let reserved = ["example.com", "example.org", "example.net"]
            .iter()
            .any(|d| domain_l == *d || domain_l.ends_with(&format!(".{d}")))
            || matches!(
                tld.to_ascii_lowercase().as_str(),
                "example" | "test" | "invalid" | "localhost" | "local"
            );
        let placeholder = ROLE_MAILBOXES.contains(&local_l.as_str())
            || PLACEHOLDER_MAILBOXES.contains(&local_l.as_str())
            || PLACEHOLDER_DOMAINS.contains(&domain_l.as_str())
            || ["example", "your", "test", "dummy", "sample", "fake", "xxx"]
                .iter()
                .any(|m| local_l.contains(m));
        if reserved || placeholder {
            continue;
        }
        out.push(PiiHit {
            kind: "email",
            start,
            end,
            masked: mask(&text[start..end]),
        });
    }
}

/// Whether a key names a phone number.
fn phone_key(key: &str) -> bool {
    words(key).iter().any(|w| {
        matches!(
            w.as_str(),
            "phone"
                | "phones"
                | "telephone"
                | "tel"
                | "mobile"
                | "cellphone"
                | "whatsapp"
                | "msisdn"
        )
    })
}

/// A North American number in the 555 exchange (555-0100–0199 are reserved for fiction, the
/// rest of 555 is directory and service numbers: none is a person's line).
fn nanp_fictional(d: &str) -> bool {
    let national = if d.len() == 11 && d.starts_with('1') {
        &d[1..]
    } else if d.len() == 10 {
        d
    } else {
        return false;
    };
    &national[3..6] == "555"
}

fn phone_ok(d: &str, international: bool) -> bool {
    if patterned(d) || nanp_fictional(d) {
        return false;
    }
    if international && d.starts_with('1') {
        // NANP: +1, then an area code and an exchange that do not start with 0 or 1.
        return d.len() == 11 && d.as_bytes()[1] >= b'2' && d.as_bytes()[4] >= b'2';
    }
    (8..=15).contains(&d.len())
}

/// Phone numbers: `+<country>…` anywhere (E.164: 8–15 digits), and national formats only as
/// the whole value of a phone-named key (7–15 digits); fictional and patterned numbers are not
/// reported.
fn phones(text: &str, key: Option<&str>, out: &mut Vec<PiiHit>) {
    for (at, _) in text.match_indices('+') {
        let first = text.as_bytes().get(at + 1);
        if !first.is_some_and(|b| (b'1'..=b'9').contains(b)) || !boundary_before(text, at) {
            continue;
        }
        let (end, digits) = digit_run(text, at + 1, b" -.()", 15);
        if boundary_after(text, end) && digits.len() <= 15 && phone_ok(&digits, true) {
            out.push(PiiHit {
                kind: "phone",
                start: at,
                end,
                masked: mask(&text[at..end]),
            });
        }
    }
    if key.is_some_and(phone_key) && out.iter().all(|h| h.kind != "phone") {
        let value = text.trim();
        let start = text.len() - text.trim_start().len();
        let digits: String = value.chars().filter(char::is_ascii_digit).collect();
        let shape_ok = !value.is_empty()
            && value
                .chars()
                .all(|c| c.is_ascii_digit() || " -.()+".contains(c));
        if shape_ok
            && (7..=15).contains(&digits.len())
            && !patterned(&digits)
            && !nanp_fictional(&digits)
        {
            out.push(PiiHit {
                kind: "phone",
                start,
                end: start + value.len(),
                masked: mask(value),
            });
        }
    }
}

/// Public IPv4 addresses: private, loopback, link-local, shared, documentation
/// (RFC 5737), multicast and reserved ranges, public resolvers and `1.2.3.4` are not reported.
fn ipv4s(text: &str, out: &mut Vec<PiiHit>) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() || !boundary_before(text, i) {
            i += 1;
            continue;
        }
        let mut octets = Vec::new();
        let mut j = i;
        loop {
            let n = bytes[j..]
                .iter()
                .take(4)
                .take_while(|b| b.is_ascii_digit())
                .count();
            let part = &text[j..j + n];
            let ok = (1..=3).contains(&n) && !(n > 1 && part.starts_with('0'));
            match part.parse::<u16>() {
                Ok(v) if ok && v <= 255 => octets.push(v as u8),
                _ => break,
            }
            j += n;
            if octets.len() == 4
                || bytes.get(j) != Some(&b'.')
                || !bytes.get(j + 1).is_some_and(u8::is_ascii_digit)
            {
                break;
            }
            j += 1;
        }
        let followed_by_more =
            bytes.get(j) == Some(&b'.') && bytes.get(j + 1).is_some_and(u8::is_ascii_digit);
        if octets.len() == 4 && boundary_after(text, j) && !followed_by_more && public_ip(&octets) {
            out.push(PiiHit {
                kind: "ip-address",
                start: i,
                end: j,
                masked: mask(&text[i..j]),
            });
        }
        i = j.max(i + 1);
    }
}

fn public_ip(o: &[u8]) -> bool {
    let (a, b, c) = (o[0], o[1], o[2]);
    let special = a == 0
        || a == 10
        || a == 127
        || a >= 224
        || (a == 100 && (64..=127).contains(&b))
        || (a == 169 && b == 254)
        || (a == 172 && (16..=31).contains(&b))
        || (a == 192 && b == 168)
        || (a == 192 && b == 0 && c == 2)
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
        || (a == 198 && (18..=19).contains(&b));
    let well_known = matches!(
        o,
        [8, 8, 8, 8]
            | [8, 8, 4, 4]
            | [1, 1, 1, 1]
            | [1, 0, 0, 1]
            | [9, 9, 9, 9]
            | [208, 67, 222, 222]
            | [1, 2, 3, 4]
    );
    !special && !well_known
}

/// Personal-data literals in `text` (`key`: the JSON key it is the value of). With
/// `numbers_only`, only validated card numbers and IBANs (for README text, where the
/// developer's own contact details are expected and not a finding).
pub(super) fn scan(text: &str, key: Option<&str>, numbers_only: bool) -> Vec<PiiHit> {
    let mut hits = Vec::new();
    cards(text, &mut hits);
    ibans(text, &mut hits);
    if !numbers_only {
        emails(text, &mut hits);
        phones(text, key, &mut hits);
        ipv4s(text, &mut hits);
    }
    let mut kept: Vec<PiiHit> = Vec::new();
    for h in hits {
        if !kept.iter().any(|k| h.start < k.end && k.start < h.end) {
            kept.push(h);
        }
    }
    kept.sort_by_key(|h| h.start);
    kept
}

/// What a dataset field name says about personal data: `email`, `phone`, `person-name`,
/// `profile`, `address`, `birth-date`, `identity-document`, `ip-address`. A bare `name` says
/// nothing (products and places have names).
pub(super) fn field_category(name: &str) -> Option<&'static str> {
    let ws = words(name);
    let has = |w: &str| ws.iter().any(|x| x == w);
    let pair = |a: &str, b: &str| ws.windows(2).any(|p| p[0] == a && p[1] == b);
    let name_qualifiers = [
        "first",
        "last",
        "full",
        "given",
        "family",
        "middle",
        "author",
        "owner",
        "person",
        "contact",
        "employee",
        "member",
        "customer",
        "reviewer",
        "candidate",
        "host",
        "seller",
        "buyer",
        "agent",
        "founder",
        "user",
    ];
    if has("email") || has("emails") || pair("e", "mail") {
        Some("email")
    } else if [
        "phone",
        "phones",
        "telephone",
        "tel",
        "mobile",
        "cellphone",
        "whatsapp",
    ]
    .iter()
    .any(|w| has(w))
    {
        Some("phone")
    } else if (has("ip") && (has("address") || ws.len() == 1)) || has("ipv4") || has("ipv6") {
        Some("ip-address")
    } else if pair("user", "name")
        || has("username")
        || has("profile")
        || has("profiles")
        || has("linkedin")
        || has("avatar")
        || has("followers")
    {
        Some("profile")
    } else if [
        "firstname",
        "lastname",
        "fullname",
        "surname",
        "author",
        "reviewer",
    ]
    .iter()
    .any(|w| has(w))
        || ws
            .windows(2)
            .any(|p| p[1] == "name" && name_qualifiers.contains(&p[0].as_str()))
    {
        Some("person-name")
    } else if ["birthday", "birthdate", "dob", "birth"]
        .iter()
        .any(|w| has(w))
    {
        Some("birth-date")
    } else if ["ssn", "passport"].iter().any(|w| has(w)) || pair("national", "id") {
        Some("identity-document")
    } else if ["street", "zip", "zipcode", "postcode", "postal"]
        .iter()
        .any(|w| has(w))
        || ((has("address") || has("addresses"))
            && ![
                "mac", "web", "url", "wallet", "contract", "server", "memory", "hardware",
                "network", "crypto", "token", "email", "ip",
            ]
            .iter()
            .any(|w| has(w)))
    {
        Some("address")
    } else {
        None
    }
}

/// Phrases in an Actor's title, description or SEO texts that say it collects personal data.
#[rustfmt::skip]
const TITLE_PHRASES: &[&str] = &[
    "email", "emails", "e-mail", "e-mails", "phone number", "phone numbers", "contact details",
    "contact info", "contact information", "contacts", "personal data", "personal information",
    "user profiles", "social profiles", "social media profiles", "linkedin", "followers",
    "influencers", "leads",
];
/// README phrases: specific enough that a README mentioning notification e-mails or a support
/// address does not count.
#[rustfmt::skip]
const README_PHRASES: &[&str] = &[
    "email addresses", "e-mail addresses", "phone numbers", "contact details",
    "contact information", "personal information", "personal details", "user profiles",
    "profile data", "home addresses",
];

/// The first personal-data phrase in a title or description.
pub(super) fn title_phrase(text: &str) -> Option<&'static str> {
    let lower = text.to_lowercase();
    TITLE_PHRASES
        .iter()
        .copied()
        .find(|p| contains_phrase(&lower, p))
}

/// The first personal-data phrase of a README line.
pub(super) fn readme_phrase(line: &str) -> Option<&'static str> {
    let lower = line.to_lowercase();
    README_PHRASES
        .iter()
        .copied()
        .find(|p| contains_phrase(&lower, p))
}

/// Terms that make a legal note: the README says what the Actor does with personal data.
#[rustfmt::skip]
const LEGAL_TERMS: &[&str] = &[
    "gdpr", "personal data", "data protection", "privacy", "legitimate interest", "ccpa",
    "legal", "legality", "lawful", "lawfully",
];

/// Whether the README has a legal note on personal data.
pub(super) fn has_legal_note(readme: &str) -> bool {
    let lower = readme.to_lowercase();
    LEGAL_TERMS.iter().any(|t| contains_phrase(&lower, t))
}

/// Whether a boolean input switches on personal-data collection (`scrapeEmails`,
/// `includePhoneNumbers`, `extractContacts`...).
pub(super) fn personal_data_switch(name: &str) -> bool {
    let ws = words(name);
    let verbs = [
        "include", "scrape", "extract", "get", "collect", "fetch", "with", "find", "enrich",
        "save", "add",
    ];
    let data = [
        "email", "emails", "phone", "phones", "contact", "contacts", "personal", "social",
    ];
    ws.first().is_some_and(|w| verbs.contains(&w.as_str()))
        && ws.iter().any(|w| data.contains(&w.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str, key: Option<&str>) -> Vec<&'static str> {
        scan(text, key, false).into_iter().map(|h| h.kind).collect()
    }

    #[test]
    fn luhn_accepts_valid_numbers_and_rejects_one_digit_off() {
        for valid in [
            "4111111111111111",
            "5555555555554444",
            "378282246310005",
            "6011111111111117",
            "79927398713",
            "4539578763621486",
        ] {
            assert!(luhn_valid(valid), "{valid}");
        }
        for invalid in [
            "4111111111111112",
            "5555555555554445",
            "378282246310006",
            "79927398710",
            "1234567812345678",
            "",
            "4",
            "4111-1111-1111-1111",
        ] {
            assert!(!luhn_valid(invalid), "{invalid}");
        }
    }

    #[test]
    fn iban_mod97_accepts_valid_and_rejects_altered_or_misfit_ibans() {
        for valid in [
            "GB82WEST12345698765432",
            "GB82 WEST 1234 5698 7654 32",
            "DE89370400440532013000",
            "FR1420041010050500013M02606",
            "NL91ABNA0417164300",
            "CH9300762011623852957",
            "BE68539007547034",
            "NO9386011117947",
        ] {
            assert!(iban_valid(valid), "{valid}");
        }
        for invalid in [
            "GB82WEST12345698765433", // check digits do not match
            "GB28WEST12345698765432", // check digits altered
            "DE8937040044053201300",  // one character short for DE
            "XX82WEST12345698765432", // no such country
            "gb82west12345698765432", // lower case
            "GB82-WEST-1234-5698-7654-32",
            "",
        ] {
            assert!(!iban_valid(invalid), "{invalid}");
        }
    }

    #[test]
    fn card_numbers_need_a_network_prefix_a_luhn_check_and_not_a_test_number() {
        // A Luhn-valid Visa number (not a published test card).
        assert_eq!(kinds("card: 4539 5787 6362 1486", None), ["payment-card"]);
        assert_eq!(kinds("4539-5787-6362-1486", None), ["payment-card"]);
        // Published test cards, a Luhn failure, a number with no network, a timestamp.
        for text in [
            "4111 1111 1111 1111",
            "4242424242424242",
            "4539 5787 6362 1487",
            "9539578763621486",
            "1700000000000",
            "order 45395787636214861",
        ] {
            assert!(!kinds(text, None).contains(&"payment-card"), "{text}");
        }
    }

    #[test]
    fn ibans_in_text_need_mod97_and_are_not_documentation_examples() {
        // Valid check digits computed for a made-up account (not a documented example).
        let real = "DE78701204008451293765";
        assert!(iban_valid(real));
        assert_eq!(kinds(&format!("Pay to {real} today"), None), ["iban"]);
        assert_eq!(kinds("IBAN: DE78 7012 0400 8451 2937 65.", None), ["iban"]);
        for text in [
            "GB82 WEST 1234 5698 7654 32", // the canonical example
            "DE79701204008451293765",      // check digits wrong
            "ABCD1234",
        ] {
            assert!(!kinds(text, None).contains(&"iban"), "{text}");
        }
    }

    #[test]
    fn emails_of_people_are_found_and_examples_roles_and_placeholders_are_not() {
        assert_eq!(kinds("jan.novak82@gmail.com", None), ["email"]);
        assert_eq!(
            kinds("write to <petra.svobodova@seznam.cz>", None),
            ["email"]
        );
        for text in [
            "john@example.com",
            "someone@mail.example.org",
            "support@apify.com",
            "noreply@company.io",
            "your.email@gmail.com",
            "test@test.com",
            "user@domain.com",
            "git@github.com:apify/repo.git",
            "postgres://app:pw@db.mycorp.io",
            "npm i @apify/log",
            "alice@localhost",
            "bob@server.test",
        ] {
            assert!(!kinds(text, None).contains(&"email"), "{text}");
        }
    }

    #[test]
    fn phone_numbers_need_a_country_code_or_a_phone_key_and_555_is_fictional() {
        assert_eq!(kinds("+420 603 271 948", None), ["phone"]);
        assert_eq!(kinds("call +1 (415) 726-3091", None), ["phone"]);
        assert_eq!(kinds("603271948", Some("phoneNumber")), ["phone"]);
        for (text, key) in [
            ("+1 415 555 0134", None), // NANP 555: reserved for fiction
            ("(415) 555-2671", Some("phone")),
            ("+420 123 456 789", None), // counting run
            ("+1 000 000 0000", None),
            ("603271948", None), // no country code, no phone key
            ("603271948", Some("maxItems")),
            ("+44", None),
            ("version 1.2+3", None),
        ] {
            assert!(!kinds(text, key).contains(&"phone"), "{text} {key:?}");
        }
    }

    #[test]
    fn public_ips_are_found_and_private_documentation_and_versions_are_not() {
        assert_eq!(kinds("proxy at 81.95.96.1", None), ["ip-address"]);
        for text in [
            "10.0.0.1",
            "192.168.1.20",
            "172.20.0.3",
            "127.0.0.1",
            "192.0.2.44",
            "198.51.100.7",
            "203.0.113.9",
            "8.8.8.8",
            "1.2.3.4",
            "v1.22.3.4",
            "1.2.3.4.5",
            "300.1.1.1",
            "01.02.03.04",
        ] {
            assert!(!kinds(text, None).contains(&"ip-address"), "{text}");
        }
    }

    #[test]
    fn readme_text_is_scanned_for_numbers_only() {
        let text =
            "Contact me at jan.novak82@gmail.com or +420 603 271 948. Card 4539 5787 6362 1486.";
        let found: Vec<&str> = scan(text, None, true).into_iter().map(|h| h.kind).collect();
        assert_eq!(found, ["payment-card"]);
    }

    #[test]
    fn field_names_are_classified() {
        for (name, want) in [
            ("email", Some("email")),
            ("contactEmails", Some("email")),
            ("e_mail", Some("email")),
            ("phoneNumber", Some("phone")),
            ("firstName", Some("person-name")),
            ("authorName", Some("person-name")),
            ("profileUrl", Some("profile")),
            ("userName", Some("profile")),
            ("streetAddress", Some("address")),
            ("ipAddress", Some("ip-address")),
            ("dateOfBirth", Some("birth-date")),
            ("name", None),
            ("productName", None),
            ("walletAddress", None),
            ("price", None),
            ("url", None),
        ] {
            assert_eq!(field_category(name), want, "{name}");
        }
        assert!(personal_data_switch("scrapeEmails"));
        assert!(personal_data_switch("includePhoneNumbers"));
        assert!(!personal_data_switch("emailNotifications"));
        assert!(!personal_data_switch("includeImages"));
    }

    #[test]
    fn legal_notes_are_recognised() {
        assert!(has_legal_note(
            "## Is it legal?\nScraped personal data is protected by GDPR."
        ));
        assert!(has_legal_note(
            "We process personal data under legitimate interest."
        ));
        assert!(!has_legal_note(
            "## Output\nEmails and phone numbers of each company."
        ));
        // `illegal` alone is not `legal`: phrases match on word boundaries.
        assert!(!has_legal_note("No illegalities here."));
    }
}
