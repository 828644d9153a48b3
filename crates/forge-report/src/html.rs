//! Escaping, safe links, number formats and small table builders. Every string that came from
//! OUTPUT goes through [`esc`] (text) or [`link`] (an href), nowhere else.

use serde_json::Value;

/// Text for an element or an attribute value. `://` is written `&#58;//`: the page reads the
/// same, but its source names no URL other than the links [`link`] vets, so nothing in user
/// data (a prefill's start URL, a storage URL) can look like an asset reference.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out.replace("://", "&#58;//")
}

/// Hosts a report may link to: the user's own Console and Apify's docs.
const LINK_PREFIXES: [&str; 2] = ["https://console.apify.com/", "https://docs.apify.com/"];

/// The URL when it is one we link to: one of [`LINK_PREFIXES`], printable ASCII, nothing that
/// could leave the attribute.
pub fn safe_url(url: &str) -> Option<&str> {
    let ok = LINK_PREFIXES.iter().any(|p| url.starts_with(p))
        && url
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'\'' | b'<' | b'>' | b'`'));
    ok.then_some(url)
}

/// `<a href>` for a Console or docs URL; anything else is shown as plain text.
pub fn link(url: Option<&str>, text: &str) -> String {
    match url.and_then(safe_url) {
        Some(u) => format!("<a href=\"{}\">{}</a>", u.replace('&', "&amp;"), esc(text)),
        None => esc(text),
    }
}

/// The Console page of an actor id (ids are alphanumeric; anything else gets no link).
pub fn actor_console_url(actor_id: &str) -> Option<String> {
    (!actor_id.is_empty()
        && actor_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'~' || b == b'_' || b == b'-'))
    .then(|| format!("https://console.apify.com/actors/{actor_id}"))
}

/// A CSS class suffix from data (a severity, a level, a verdict): lowercase letters, digits,
/// `_` and `-`; a space becomes `_` ("A better" → `a_better`), anything else is dropped.
pub fn class_of(s: &str) -> String {
    s.chars()
        .map(|c| if c == ' ' { '_' } else { c })
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A coloured label, e.g. a severity.
pub fn badge(kind: &str, text: &str) -> String {
    format!(
        "<span class=\"badge k-{}\">{}</span>",
        class_of(kind),
        esc(text)
    )
}

// ---------------------------------------------------------------- reading OUTPUT

/// The string at `v`, or "" (odd data never stops a report).
pub fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// A finite number at `v`.
pub fn n(v: &Value) -> Option<f64> {
    v.as_f64().filter(|x| x.is_finite())
}

pub fn arr(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

/// The analysis date: `window.asOf`, else `asOf`.
pub fn as_of(output: &Value) -> &str {
    output["window"]["asOf"]
        .as_str()
        .or_else(|| output["asOf"].as_str())
        .unwrap_or("")
}

// ---------------------------------------------------------------- formats

pub fn usd(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let digits = if x.abs() >= 100.0 { 0 } else { 2 };
    let raw = format!("{:.*}", digits, x.abs());
    let (int, frac) = raw.split_once('.').unwrap_or((&raw, ""));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if x < 0.0 && raw.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        "−"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}${grouped}")
    } else {
        format!("{sign}${grouped}.{frac}")
    }
}

pub fn opt_usd(v: &Value) -> String {
    n(v).map_or_else(|| "–".into(), usd)
}

/// A share (0..1) as a percentage.
pub fn pct(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    format!("{:.1} %", x * 100.0)
}

pub fn opt_pct(v: &Value) -> String {
    n(v).map_or_else(|| "–".into(), pct)
}

/// A number with at most `digits` decimals, trailing zeros trimmed.
pub fn num(x: f64, digits: usize) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let s = format!("{x:.digits$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" {
        "0".into()
    } else {
        s
    }
}

/// A p- or q-value: four decimals, and "< 0.0001" rather than a misleading 0.
pub fn p_value(v: &Value) -> String {
    match n(v) {
        None => "–".into(),
        Some(x) if x < 0.0001 => "< 0.0001".into(),
        Some(x) => num(x, 4),
    }
}

pub fn opt_num(v: &Value, digits: usize) -> String {
    n(v).map_or_else(|| "–".into(), |x| num(x, digits))
}

/// Seconds as "42 s", "7.5 min" or "2.1 h".
pub fn secs(x: f64) -> String {
    if !x.is_finite() {
        "–".into()
    } else if x < 120.0 {
        format!("{} s", num(x, 1))
    } else if x < 7200.0 {
        format!("{} min", num(x / 60.0, 1))
    } else {
        format!("{} h", num(x / 3600.0, 1))
    }
}

/// An RFC 3339 time shortened to minutes, as written ("2026-11-23 00:00 UTC").
pub fn time(v: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(v) {
        Ok(t) => t
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%d %H:%M UTC")
            .to_string(),
        Err(_) => v.to_string(),
    }
}

/// A JSON value as a person reads it in a diff: strings bare, the rest pretty-printed.
pub fn json_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "(absent)".into(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

// ---------------------------------------------------------------- tables

/// A cell, right-aligned when it holds a number.
pub fn td(html: impl AsRef<str>) -> String {
    format!("<td>{}</td>", html.as_ref())
}

pub fn td_n(html: impl AsRef<str>) -> String {
    format!("<td class=\"n\">{}</td>", html.as_ref())
}

pub fn tr(cells: &[String]) -> String {
    format!("<tr>{}</tr>", cells.concat())
}

pub fn tr_class(class: &str, cells: &[String]) -> String {
    format!("<tr class=\"{}\">{}</tr>", class_of(class), cells.concat())
}

/// A table with a header row; headers are plain text, rows are built with [`tr`].
pub fn table(head: &[&str], rows: &[String]) -> String {
    let th: String = head
        .iter()
        .map(|h| format!("<th>{}</th>", esc(h)))
        .collect();
    format!(
        "<div class=\"scroll\"><table><thead><tr>{th}</tr></thead><tbody>{}</tbody></table></div>",
        rows.concat()
    )
}

/// A small key figure.
pub fn card(label: &str, value: &str, note: &str) -> String {
    format!(
        "<div class=\"card\"><div class=\"label\">{}</div><div class=\"value\">{}</div><div class=\"note\">{}</div></div>",
        esc(label),
        esc(value),
        esc(note)
    )
}

pub fn section(id: &str, title: &str, body: &str) -> String {
    format!(
        "<section id=\"{}\"><h2>{}</h2>{body}</section>",
        class_of(id),
        esc(title)
    )
}

/// A muted paragraph.
pub fn note(text: &str) -> String {
    format!("<p class=\"muted\">{}</p>", esc(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_defuses_markup_and_urls() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
        assert_eq!(
            esc("see https://example.com"),
            "see https&#58;//example.com"
        );
    }

    #[test]
    fn only_console_and_docs_links_become_hrefs() {
        assert_eq!(
            link(Some("https://console.apify.com/actors/abc?x=1&y=2"), "a<b"),
            "<a href=\"https://console.apify.com/actors/abc?x=1&amp;y=2\">a&lt;b</a>"
        );
        assert_eq!(link(Some("https://evil.example/"), "x"), "x");
        assert_eq!(link(Some("javascript:alert(1)"), "x"), "x");
        assert_eq!(
            link(Some("https://console.apify.com/\"onmouseover=\"x"), "x"),
            "x"
        );
        assert_eq!(link(None, "x"), "x");
        assert_eq!(
            actor_console_url("abc123").as_deref(),
            Some("https://console.apify.com/actors/abc123")
        );
        assert_eq!(actor_console_url("a/../b"), None);
        assert_eq!(actor_console_url(""), None);
    }

    #[test]
    fn numbers_read_well_and_never_show_nan() {
        assert_eq!(usd(1234.567), "$1,235");
        assert_eq!(usd(12.3), "$12.30");
        assert_eq!(usd(-0.001), "$0.00");
        assert_eq!(usd(-5.5), "−$5.50");
        assert_eq!(usd(f64::NAN), "–");
        assert_eq!(pct(0.1234), "12.3 %");
        assert_eq!(num(2.50, 2), "2.5");
        assert_eq!(p_value(&serde_json::json!(1e-9)), "< 0.0001");
        assert_eq!(p_value(&serde_json::json!(0.04567)), "0.0457");
        assert_eq!(num(-0.0001, 2), "0");
        assert_eq!(secs(90.0), "90 s");
        assert_eq!(secs(600.0), "10 min");
        assert_eq!(time("2026-11-23T00:00:00Z"), "2026-11-23 00:00 UTC");
        assert_eq!(time("not a time"), "not a time");
        assert_eq!(class_of("act_now\" onclick=\"x"), "act_now_onclickx");
        assert_eq!(class_of("A better"), "a_better");
    }
}
