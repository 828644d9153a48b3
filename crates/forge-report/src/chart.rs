//! Charts as inline SVG: pure functions from numbers to a `<figure>` holding the SVG (axes,
//! labels, a `<title>` tooltip on every mark) and the same numbers in a `<details>` table, for
//! screen readers, copying and print. Missing or non-finite values are gaps, never NaN in the
//! SVG; an empty series draws an empty frame that says so.

use crate::html::{esc, num, pct, table, td, td_n, tr, usd};
use std::fmt::Write as _;

/// How a chart's values read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unit {
    Count,
    Usd,
    /// A share 0..1, shown as a percentage.
    Share,
    /// A 0..100 score.
    Score,
}

impl Unit {
    pub fn fmt(self, x: f64) -> String {
        match self {
            Unit::Count => num(x, 0),
            Unit::Usd => usd(x),
            Unit::Share => pct(x),
            Unit::Score => num(x, 1),
        }
    }
    /// A short axis label: fewer digits than a tooltip.
    fn tick(self, x: f64) -> String {
        match self {
            Unit::Share => format!("{} %", num(x * 100.0, 1)),
            Unit::Usd if x.abs() < 10.0 => format!("${}", num(x, 2)),
            Unit::Usd => format!("${}", num(x, 0)),
            _ => num(x, 2),
        }
    }
}

/// One bar or column.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: Option<f64>,
    /// Colour: a class suffix (`bar`, `crit`, a grade letter...).
    pub class: String,
    /// Extra tooltip text after the value.
    pub tip: String,
}

impl Bar {
    pub fn new(label: impl Into<String>, value: Option<f64>) -> Bar {
        Bar {
            label: label.into(),
            value: value.filter(|v| v.is_finite()),
            class: "bar".into(),
            tip: String::new(),
        }
    }
    pub fn class(mut self, class: &str) -> Bar {
        self.class = crate::html::class_of(class);
        self
    }
    pub fn tip(mut self, tip: impl Into<String>) -> Bar {
        self.tip = tip.into();
        self
    }
}

/// One estimate with its interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Interval {
    pub label: String,
    pub estimate: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub class: String,
    pub tip: String,
}

const W: f64 = 720.0;

/// A coordinate: finite, one decimal.
fn c(x: f64) -> String {
    if x.is_finite() {
        num(x, 1)
    } else {
        "0".into()
    }
}

/// 1, 2, 2.5 or 5 times a power of ten, at least `x`.
fn nice(x: f64) -> f64 {
    if !x.is_finite() || x <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|v| *v >= x * (1.0 - 1e-9))
        .unwrap_or(10.0 * mag)
}

/// Ticks covering `[lo, hi]` (which include 0) at a nice step, about `n` of them.
fn ticks(lo: f64, hi: f64, n: usize) -> (f64, f64, Vec<f64>) {
    let step = nice((hi - lo) / n.max(1) as f64);
    let lo = (lo / step).floor() * step;
    let hi = ((hi / step).ceil() * step).max(lo + step);
    let count = ((hi - lo) / step).round() as usize;
    let t = (0..=count).map(|i| lo + i as f64 * step).collect();
    (lo, hi, t)
}

/// The top of a scale: 1 when there is nothing above 0 to show.
fn positive(max: f64) -> f64 {
    if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    }
}

fn finite(values: impl Iterator<Item = f64>) -> Vec<f64> {
    values.filter(|v| v.is_finite()).collect()
}

fn svg_open(height: f64, title: &str) -> String {
    format!(
        "<svg viewBox=\"0 0 {W} {}\" role=\"img\" aria-label=\"{t}\" preserveAspectRatio=\"xMinYMin meet\"><title>{t}</title>",
        c(height),
        t = esc(title)
    )
}

fn empty_text(x: f64, y: f64) -> String {
    format!(
        "<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">No data</text>",
        c(x),
        c(y)
    )
}

fn figure(title: &str, svg: &str, head: &[&str], rows: &[String]) -> String {
    format!(
        "<figure class=\"chart\"><figcaption>{}</figcaption>{svg}<details><summary>The numbers</summary>{}</details></figure>",
        esc(title),
        table(head, rows)
    )
}

fn bar_rows(bars: &[Bar], unit: Unit) -> Vec<String> {
    bars.iter()
        .map(|b| {
            tr(&[
                td(esc(&b.label)),
                td_n(b.value.map_or_else(|| "–".into(), |v| esc(&unit.fmt(v)))),
                td(esc(&b.tip)),
            ])
        })
        .collect()
}

fn tooltip(label: &str, value: Option<f64>, unit: Unit, tip: &str) -> String {
    let v = value.map_or_else(|| "no value".into(), |v| unit.fmt(v));
    let tip = if tip.is_empty() {
        String::new()
    } else {
        format!("; {tip}")
    };
    format!("<title>{}</title>", esc(&format!("{label}: {v}{tip}")))
}

/// Horizontal bars, one per row, on a scale from 0 to `domain_max` (or the largest value).
pub fn hbars(title: &str, unit: Unit, domain_max: Option<f64>, bars: &[Bar]) -> String {
    let (left, right, top, row) = (190.0, 80.0, 8.0, 26.0);
    let plot = W - left - right;
    let values = finite(bars.iter().filter_map(|b| b.value));
    let max = domain_max
        .filter(|m| m.is_finite() && *m > 0.0)
        .unwrap_or_else(|| values.iter().cloned().fold(0.0, f64::max));
    let (_, hi, t) = ticks(0.0, positive(max), 4);
    let body_h = row * bars.len().max(1) as f64;
    let height = top + body_h + 26.0;
    let x = |v: f64| left + (v.max(0.0) / hi).min(1.0) * plot;
    let mut svg = svg_open(height, title);
    for v in &t {
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{x}\" x2=\"{x}\" y1=\"{}\" y2=\"{}\"/><text class=\"axis\" x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            c(top),
            c(top + body_h),
            c(top + body_h + 16.0),
            esc(&unit.tick(*v)),
            x = c(x(*v)),
        );
    }
    if bars.is_empty() {
        svg.push_str(&empty_text(left + plot / 2.0, top + row / 2.0 + 4.0));
    }
    for (i, b) in bars.iter().enumerate() {
        let y = top + i as f64 * row;
        let _ = write!(
            svg,
            "<text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            c(left - 8.0),
            c(y + row / 2.0 + 4.0),
            esc(&truncate(&b.label, 28))
        );
        let w = b.value.map_or(0.0, |v| x(v) - left);
        let _ = write!(
            svg,
            "<rect class=\"f-{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"2\">{}</rect><text class=\"value\" x=\"{}\" y=\"{}\">{}</text>",
            b.class,
            c(left),
            c(y + 4.0),
            c(w.max(0.0)),
            c(row - 8.0),
            tooltip(&b.label, b.value, unit, &b.tip),
            c(left + w + 6.0),
            c(y + row / 2.0 + 4.0),
            esc(&b.value.map_or_else(|| "n/a".into(), |v| unit.fmt(v)))
        );
    }
    let _ = write!(
        svg,
        "<line class=\"axisline\" x1=\"{l}\" x2=\"{l}\" y1=\"{}\" y2=\"{}\"/></svg>",
        c(top),
        c(top + body_h),
        l = c(left)
    );
    figure(title, &svg, &["", "value", "note"], &bar_rows(bars, unit))
}

/// Vertical columns with a y axis from 0.
pub fn columns(title: &str, unit: Unit, domain_max: Option<f64>, bars: &[Bar]) -> String {
    let (left, right, top, bottom, height) = (64.0, 12.0, 14.0, 40.0, 240.0);
    let (plot_w, plot_h) = (W - left - right, height - top - bottom);
    let values = finite(bars.iter().filter_map(|b| b.value));
    let max = values.iter().cloned().fold(0.0, f64::max);
    let max = domain_max
        .filter(|m| m.is_finite() && *m > 0.0)
        .map_or(max, |d| max.min(d));
    let (_, hi, t) = ticks(0.0, positive(max), 4);
    let y = |v: f64| top + plot_h - (v.max(0.0) / hi).min(1.0) * plot_h;
    let mut svg = svg_open(height, title);
    axes_y(&mut svg, &t, unit, left, W - right, y);
    let n = bars.len();
    if n == 0 {
        svg.push_str(&empty_text(left + plot_w / 2.0, top + plot_h / 2.0));
    }
    let slot = plot_w / n.max(1) as f64;
    let every = n.div_ceil(16).max(1);
    for (i, b) in bars.iter().enumerate() {
        let x = left + i as f64 * slot;
        let w = slot * 0.7;
        let top_y = b.value.map_or(top + plot_h, y);
        let _ = write!(
            svg,
            "<rect class=\"f-{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"2\">{}</rect>",
            b.class,
            c(x + slot * 0.15),
            c(top_y),
            c(w),
            c(top + plot_h - top_y),
            tooltip(&b.label, b.value, unit, &b.tip)
        );
        if n <= 16 {
            let _ = write!(
                svg,
                "<text class=\"value\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                c(x + slot / 2.0),
                c(top_y - 4.0),
                esc(&b.value.map_or_else(|| "n/a".into(), |v| unit.tick(v)))
            );
        }
        if i % every == 0 {
            let _ = write!(
                svg,
                "<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                c(x + slot / 2.0),
                c(top + plot_h + 16.0),
                esc(&truncate(&b.label, 14))
            );
        }
    }
    svg.push_str("</svg>");
    figure(title, &svg, &["", "value", "note"], &bar_rows(bars, unit))
}

/// Gridlines and labels of a y axis, and the baseline.
fn axes_y(svg: &mut String, t: &[f64], unit: Unit, left: f64, right: f64, y: impl Fn(f64) -> f64) {
    for v in t {
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{}\" x2=\"{}\" y1=\"{yy}\" y2=\"{yy}\"/><text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            c(left),
            c(right),
            c(left - 6.0),
            c(y(*v) + 4.0),
            esc(&unit.tick(*v)),
            yy = c(y(*v)),
        );
    }
    let base = t.first().copied().unwrap_or(0.0);
    let _ = write!(
        svg,
        "<line class=\"axisline\" x1=\"{}\" x2=\"{}\" y1=\"{yy}\" y2=\"{yy}\"/>",
        c(left),
        c(right),
        yy = c(y(base))
    );
}

/// A line over an area, one point per x label; `None` breaks the line. `reference` draws a
/// dashed level (a daily budget) with its label.
pub fn area(
    title: &str,
    unit: Unit,
    xs: &[String],
    ys: &[Option<f64>],
    reference: Option<(f64, &str)>,
) -> String {
    let (left, right, top, bottom, height) = (64.0, 16.0, 14.0, 40.0, 260.0);
    let (plot_w, plot_h) = (W - left - right, height - top - bottom);
    let n = xs.len().min(ys.len());
    let ys: Vec<Option<f64>> = ys[..n]
        .iter()
        .map(|v| v.filter(|x| x.is_finite()))
        .collect();
    let reference = reference.filter(|(v, _)| v.is_finite() && *v >= 0.0);
    let max = finite(ys.iter().flatten().copied())
        .into_iter()
        .chain(reference.map(|r| r.0))
        .fold(0.0, f64::max);
    let (_, hi, t) = ticks(0.0, positive(max), 4);
    let x = |i: usize| {
        if n <= 1 {
            left + plot_w / 2.0
        } else {
            left + i as f64 / (n - 1) as f64 * plot_w
        }
    };
    let y = |v: f64| top + plot_h - (v.max(0.0) / hi).min(1.0) * plot_h;
    let mut svg = svg_open(height, title);
    axes_y(&mut svg, &t, unit, left, W - right, y);
    if ys.iter().all(Option::is_none) {
        svg.push_str(&empty_text(left + plot_w / 2.0, top + plot_h / 2.0));
    }
    // Runs of consecutive values: one area and one line each.
    let mut segments: Vec<Vec<(usize, f64)>> = Vec::new();
    let mut current = Vec::new();
    for (i, v) in ys.iter().enumerate() {
        match v {
            Some(v) => current.push((i, *v)),
            None if !current.is_empty() => segments.push(std::mem::take(&mut current)),
            None => {}
        }
    }
    if !current.is_empty() {
        segments.push(current);
    }
    for seg in &segments {
        let line: Vec<String> = seg
            .iter()
            .map(|(i, v)| format!("{},{}", c(x(*i)), c(y(*v))))
            .collect();
        let (first, last) = (seg[0].0, seg[seg.len() - 1].0);
        let base = c(y(0.0));
        let _ = write!(
            svg,
            "<path class=\"area\" d=\"M{},{base} L{} L{},{base} Z\"/><polyline class=\"line\" points=\"{}\"/>",
            c(x(first)),
            line.join(" L"),
            c(x(last)),
            line.join(" ")
        );
    }
    for (i, v) in ys.iter().enumerate() {
        if let Some(v) = v {
            let _ = write!(
                svg,
                "<circle class=\"dot\" cx=\"{}\" cy=\"{}\" r=\"{}\">{}</circle>",
                c(x(i)),
                c(y(*v)),
                if n > 60 { "1.5" } else { "2.5" },
                tooltip(&xs[i], Some(*v), unit, "")
            );
        }
    }
    if let Some((v, label)) = reference {
        let _ = write!(
            svg,
            "<line class=\"ref\" x1=\"{}\" x2=\"{}\" y1=\"{yy}\" y2=\"{yy}\"><title>{}</title></line><text class=\"reflabel\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            c(left),
            c(W - right),
            esc(&format!("{label}: {}", unit.fmt(v))),
            c(W - right - 4.0),
            c(y(v) - 5.0),
            esc(label),
            yy = c(y(v))
        );
    }
    let every = n.div_ceil(7).max(1);
    for (i, label) in xs.iter().take(n).enumerate() {
        if i % every == 0 || i + 1 == n {
            let _ = write!(
                svg,
                "<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                c(x(i)),
                c(top + plot_h + 18.0),
                esc(label)
            );
        }
    }
    svg.push_str("</svg>");
    let mut rows: Vec<String> = xs
        .iter()
        .zip(&ys)
        .map(|(l, v)| {
            tr(&[
                td(esc(l)),
                td_n(v.map_or_else(|| "–".into(), |v| esc(&unit.fmt(v)))),
            ])
        })
        .collect();
    if let Some((v, label)) = reference {
        rows.push(tr(&[td(esc(label)), td_n(esc(&unit.fmt(v)))]));
    }
    figure(title, &svg, &["", "value"], &rows)
}

/// Estimates with intervals on one signed axis through 0 (values are shares: +0.1 = +10 %).
pub fn intervals(title: &str, axis: &str, rows: &[Interval]) -> String {
    let (left, right, top, row) = (170.0, 24.0, 10.0, 34.0);
    let plot = W - left - right;
    let all = finite(
        rows.iter()
            .flat_map(|r| [r.estimate, r.low, r.high])
            .flatten(),
    );
    let lo = all.iter().cloned().fold(0.0, f64::min);
    let hi = all.iter().cloned().fold(0.0, f64::max);
    let (lo, hi) = if hi - lo < 1e-9 {
        (-0.1, 0.1)
    } else {
        (lo, hi)
    };
    let (lo, hi, t) = ticks(lo, hi, 5);
    let x = |v: f64| left + ((v - lo) / (hi - lo)).clamp(0.0, 1.0) * plot;
    let body_h = row * rows.len().max(1) as f64;
    let height = top + body_h + 40.0;
    let mut svg = svg_open(height, title);
    let signed = |v: f64| {
        let s = format!("{} %", num(v * 100.0, 1));
        if v > 0.0 {
            format!("+{s}")
        } else {
            s
        }
    };
    for v in &t {
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{xx}\" x2=\"{xx}\" y1=\"{}\" y2=\"{}\"/><text class=\"axis\" x=\"{xx}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            c(top),
            c(top + body_h),
            c(top + body_h + 16.0),
            esc(&signed(*v)),
            xx = c(x(*v))
        );
    }
    let _ = write!(
        svg,
        "<line class=\"zero\" x1=\"{xx}\" x2=\"{xx}\" y1=\"{}\" y2=\"{}\"/><text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        c(top),
        c(top + body_h),
        c(left + plot / 2.0),
        c(top + body_h + 34.0),
        esc(axis),
        xx = c(x(0.0))
    );
    if rows.is_empty() {
        svg.push_str(&empty_text(left + plot / 2.0, top + row / 2.0 + 4.0));
    }
    for (i, r) in rows.iter().enumerate() {
        let cy = top + i as f64 * row + row / 2.0;
        let tip = format!(
            "<title>{}</title>",
            esc(&format!(
                "{}: {} (interval {} to {}){}",
                r.label,
                r.estimate.map_or_else(|| "–".into(), signed),
                r.low.map_or_else(|| "–".into(), signed),
                r.high.map_or_else(|| "–".into(), signed),
                if r.tip.is_empty() {
                    String::new()
                } else {
                    format!("; {}", r.tip)
                }
            ))
        );
        let _ = write!(
            svg,
            "<text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><g class=\"s-{}\">{tip}",
            c(left - 8.0),
            c(cy + 4.0),
            esc(&truncate(&r.label, 24)),
            crate::html::class_of(&r.class)
        );
        if let (Some(l), Some(h)) = (r.low, r.high) {
            let _ = write!(
                svg,
                "<line class=\"whisker\" x1=\"{}\" x2=\"{}\" y1=\"{yy}\" y2=\"{yy}\"/><line class=\"whisker\" x1=\"{l}\" x2=\"{l}\" y1=\"{}\" y2=\"{}\"/><line class=\"whisker\" x1=\"{h}\" x2=\"{h}\" y1=\"{}\" y2=\"{}\"/>",
                c(x(l)),
                c(x(h)),
                c(cy - 6.0),
                c(cy + 6.0),
                c(cy - 6.0),
                c(cy + 6.0),
                yy = c(cy),
                l = c(x(l)),
                h = c(x(h)),
            );
        }
        if let Some(e) = r.estimate {
            let _ = write!(
                svg,
                "<circle class=\"est\" cx=\"{}\" cy=\"{}\" r=\"5\"/>",
                c(x(e)),
                c(cy)
            );
        }
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");
    let table_rows: Vec<String> = rows
        .iter()
        .map(|r| {
            let f = |v: Option<f64>| v.map_or_else(|| "–".into(), |v| esc(&signed(v)));
            tr(&[
                td(esc(&r.label)),
                td_n(f(r.estimate)),
                td_n(f(r.low)),
                td_n(f(r.high)),
                td(esc(&r.tip)),
            ])
        })
        .collect();
    figure(
        title,
        &svg,
        &["", "estimate", "low", "high", "note"],
        &table_rows,
    )
}

/// Month to date, the projection with its interval, and the budget, on one scale.
pub fn projection(
    title: &str,
    month_to_date: f64,
    projected: Option<(f64, f64, f64)>,
    budget: Option<f64>,
) -> String {
    let (left, right, top, height) = (16.0, 16.0, 30.0, 92.0);
    let plot = W - left - right;
    let mtd = if month_to_date.is_finite() {
        month_to_date.max(0.0)
    } else {
        0.0
    };
    let projected = projected.filter(|(p, l, h)| p.is_finite() && l.is_finite() && h.is_finite());
    let budget = budget.filter(|b| b.is_finite() && *b >= 0.0);
    let max = [mtd]
        .into_iter()
        .chain(projected.map(|p| p.2.max(p.0)))
        .chain(budget)
        .fold(0.0, f64::max);
    let (_, hi, t) = ticks(0.0, positive(max), 5);
    let x = |v: f64| left + (v.max(0.0) / hi).min(1.0) * plot;
    let mut svg = svg_open(height, title);
    let (bar_y, bar_h) = (top, 22.0);
    for v in &t {
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{xx}\" x2=\"{xx}\" y1=\"{}\" y2=\"{}\"/><text class=\"axis\" x=\"{xx}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            c(top - 6.0),
            c(bar_y + bar_h + 6.0),
            c(bar_y + bar_h + 22.0),
            esc(&Unit::Usd.tick(*v)),
            xx = c(x(*v))
        );
    }
    if let Some((p, l, h)) = projected {
        let _ = write!(
            svg,
            "<rect class=\"f-proj\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"2\"><title>{}</title></rect><line class=\"whisker\" x1=\"{}\" x2=\"{}\" y1=\"{yy}\" y2=\"{yy}\"><title>{}</title></line>",
            c(left),
            c(bar_y),
            c(x(p) - left),
            c(bar_h),
            esc(&format!("projected by month end: {}", usd(p))),
            c(x(l)),
            c(x(h)),
            esc(&format!("90 % interval: {} to {}", usd(l), usd(h))),
            yy = c(bar_y + bar_h / 2.0)
        );
    }
    let _ = write!(
        svg,
        "<rect class=\"f-bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"2\"><title>{}</title></rect>",
        c(left),
        c(bar_y + 4.0),
        c(x(mtd) - left),
        c(bar_h - 8.0),
        esc(&format!("month to date: {}", usd(mtd)))
    );
    if let Some(b) = budget {
        let _ = write!(
            svg,
            "<line class=\"budget\" x1=\"{xx}\" x2=\"{xx}\" y1=\"{}\" y2=\"{}\"><title>{}</title></line><text class=\"reflabel\" x=\"{xx}\" y=\"{}\" text-anchor=\"middle\">budget</text>",
            c(top - 10.0),
            c(bar_y + bar_h + 4.0),
            esc(&format!("monthly budget: {}", usd(b))),
            c(top - 14.0),
            xx = c(x(b))
        );
    }
    svg.push_str("</svg>");
    let mut rows = vec![tr(&[td("month to date"), td_n(esc(&usd(mtd)))])];
    if let Some((p, l, h)) = projected {
        rows.push(tr(&[td("projected by month end"), td_n(esc(&usd(p)))]));
        rows.push(tr(&[
            td("90 % interval"),
            td_n(esc(&format!("{} – {}", usd(l), usd(h)))),
        ]));
    }
    if let Some(b) = budget {
        rows.push(tr(&[td("monthly budget"), td_n(esc(&usd(b)))]));
    }
    figure(title, &svg, &["", "USD"], &rows)
}

/// A tiny trend line for a table cell; its tooltip carries the total.
pub fn sparkline(values: &[Option<f64>], tip: &str) -> String {
    let (w, h) = (120.0, 24.0);
    let vals: Vec<Option<f64>> = values.iter().map(|v| v.filter(|x| x.is_finite())).collect();
    let max = finite(vals.iter().flatten().copied())
        .into_iter()
        .fold(0.0, f64::max);
    let n = vals.len();
    let x = |i: usize| {
        if n <= 1 {
            w / 2.0
        } else {
            1.0 + i as f64 / (n - 1) as f64 * (w - 2.0)
        }
    };
    let y = |v: f64| {
        if max > 0.0 {
            h - 2.0 - v.max(0.0) / max * (h - 4.0)
        } else {
            h - 2.0
        }
    };
    let points: Vec<String> = vals
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| format!("{},{}", c(x(i)), c(y(v)))))
        .collect();
    format!(
        "<svg class=\"spark\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title><polyline class=\"line\" points=\"{}\"/></svg>",
        points.join(" "),
        t = esc(tip)
    )
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(svg: &str) {
        for bad in ["NaN", "=\"inf", "=\"-inf", ",inf", ",-inf", "undefined"] {
            assert!(!svg.contains(bad), "{bad} in {svg}");
        }
        assert!(svg.contains("<title>"), "{svg}");
        assert!(svg.contains("<details>"), "a textual fallback: {svg}");
    }

    fn odd_bars() -> Vec<Vec<Bar>> {
        vec![
            vec![],
            vec![Bar::new("one", Some(3.0))],
            vec![Bar::new("zero", Some(0.0)), Bar::new("none", None)],
            vec![
                Bar::new("nan", Some(f64::NAN)),
                Bar::new("huge", Some(f64::INFINITY)),
                Bar::new("neg", Some(-2.0)),
            ],
        ]
    }

    #[test]
    fn odd_series_draw_without_nan() {
        for bars in odd_bars() {
            for unit in [Unit::Count, Unit::Usd, Unit::Share, Unit::Score] {
                clean(&hbars("t", unit, None, &bars));
                clean(&hbars("t", unit, Some(100.0), &bars));
                clean(&columns("t", unit, Some(1.0), &bars));
            }
        }
        let days = |n: usize| (0..n).map(|i| format!("d{i}")).collect::<Vec<_>>();
        for ys in [
            vec![],
            vec![Some(2.0)],
            vec![None, None],
            vec![Some(0.0), Some(0.0)],
            vec![
                Some(f64::NAN),
                Some(1.0),
                None,
                Some(f64::NEG_INFINITY),
                Some(4.0),
            ],
        ] {
            clean(&area("cost", Unit::Usd, &days(ys.len()), &ys, None));
            clean(&area(
                "cost",
                Unit::Usd,
                &days(ys.len()),
                &ys,
                Some((f64::NAN, "budget")),
            ));
            clean(&area(
                "cost",
                Unit::Usd,
                &days(ys.len()),
                &ys,
                Some((3.0, "budget")),
            ));
            assert!(!sparkline(&ys, "t").contains("NaN"));
        }
        let iv = |e: Option<f64>, l: Option<f64>, h: Option<f64>| Interval {
            label: "m".into(),
            estimate: e,
            low: l,
            high: h,
            class: "b-better".into(),
            tip: String::new(),
        };
        for rows in [
            vec![],
            vec![iv(Some(0.0), Some(0.0), Some(0.0))],
            vec![
                iv(None, None, None),
                iv(Some(f64::NAN), Some(-1.0), Some(f64::INFINITY)),
            ],
            vec![iv(Some(0.2), Some(0.1), Some(0.3))],
        ] {
            clean(&intervals("ab", "B − A", &rows));
        }
        clean(&projection("month", f64::NAN, None, None));
        clean(&projection(
            "month",
            10.0,
            Some((20.0, f64::NAN, 30.0)),
            Some(-1.0),
        ));
        clean(&projection("month", 0.0, Some((0.0, 0.0, 0.0)), Some(0.0)));
    }

    #[test]
    fn an_empty_chart_says_so() {
        assert!(columns("t", Unit::Count, None, &[]).contains("No data"));
        assert!(area("t", Unit::Usd, &[], &[], None).contains("No data"));
        assert!(area("t", Unit::Usd, &["a".into()], &[None], None).contains("No data"));
    }

    #[test]
    fn marks_scale_to_the_data_and_carry_tooltips() {
        let bars = [
            Bar::new("A", Some(10.0)),
            Bar::new("B", Some(5.0)).tip("half"),
        ];
        let svg = hbars("grades", Unit::Count, None, &bars);
        // The longest bar spans the plot (720 − 190 − 80 = 450 px), the other half of it.
        assert!(svg.contains("width=\"450\""), "{svg}");
        assert!(svg.contains("width=\"225\""), "{svg}");
        assert!(svg.contains("<title>B: 5; half</title>"), "{svg}");
        // A gap breaks the line into two areas.
        let xs: Vec<String> = (0..5).map(|i| format!("d{i}")).collect();
        let svg = area(
            "t",
            Unit::Usd,
            &xs,
            &[Some(1.0), Some(2.0), None, Some(3.0), Some(4.0)],
            None,
        );
        assert_eq!(svg.matches("class=\"area\"").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 4);
    }

    #[test]
    fn ticks_are_nice_and_cover_the_range() {
        assert_eq!(nice(0.07), 0.1);
        assert_eq!(nice(3.0), 5.0);
        assert_eq!(nice(0.0), 1.0);
        let (lo, hi, t) = ticks(-0.17, 0.06, 5);
        assert!(lo <= -0.17 && hi >= 0.06, "{lo} {hi}");
        assert!(t.iter().any(|v| v.abs() < 1e-12), "0 is a tick: {t:?}");
    }
}
