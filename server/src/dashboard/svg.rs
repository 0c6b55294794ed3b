//! Charts drawn on the server as inline SVG: no script, no CDN, nothing to fetch, so the
//! pages work offline on a LAN and print as they look.
//!
//! SVG elements are always written with a closing tag (`rect … {}`): inside HTML, a start
//! tag without one would swallow the elements after it.

use maud::{Markup, html};

use super::i18n::Lang;

const PALETTE: [&str; 8] = [
    "#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563",
];

/// The colour of the `i`-th series (reps keep theirs between the chart and the legend).
pub fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// The colour of an attainment: reached, close, or behind.
pub fn attainment_colour(attainment: f64) -> &'static str {
    if attainment >= 1.0 {
        "#059669"
    } else if attainment >= 0.7 {
        "#d97706"
    } else {
        "#dc2626"
    }
}

/// One line of the trend chart.
#[derive(Debug)]
pub struct Series<'a> {
    pub name: &'a str,
    pub values: &'a [u64],
}

/// A round upper bound of the y axis and its tick step, for values up to `max`.
fn axis(max: u64) -> (u64, u64) {
    let max = max.max(1);
    let step = [1u64, 2, 5, 10, 20, 50, 100, 200, 500, 1000]
        .into_iter()
        .find(|s| max.div_ceil(*s) <= 6)
        .unwrap_or(max.div_ceil(6).max(1));
    (max.div_ceil(step) * step, step)
}

/// The label of an ISO week on the x axis: `2026-W48` → `W48`.
fn short_week(label: &str) -> &str {
    label.split_once('-').map_or(label, |(_, w)| w)
}

/// Visits per rep per week as lines, with the weekly target dashed and the week `selected`
/// shaded.
pub fn trend_chart(
    lang: Lang,
    weeks: &[String],
    series: &[Series<'_>],
    target: i64,
    selected: Option<usize>,
) -> Markup {
    const W: f64 = 720.0;
    const H: f64 = 250.0;
    const LEFT: f64 = 34.0;
    const RIGHT: f64 = 16.0;
    const TOP: f64 = 16.0;
    const BOTTOM: f64 = 30.0;
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let n = weeks.len();
    let target_u = u64::try_from(target).unwrap_or(0);
    let top_value = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .max()
        .unwrap_or(0)
        .max(target_u);
    let (y_max, step) = axis(top_value);
    let slot = if n > 1 {
        plot_w / (n - 1) as f64
    } else {
        plot_w
    };
    let x = |i: usize| {
        if n > 1 {
            LEFT + slot * i as f64
        } else {
            LEFT + plot_w / 2.0
        }
    };
    let y = |v: u64| TOP + plot_h - plot_h * v as f64 / y_max as f64;
    let ticks: Vec<u64> = (0..=y_max / step).map(|k| k * step).collect();
    let label_every = if n > 13 { 2 } else { 1 };
    let title = lang.t("Visits per rep per week", "每周每位销售的拜访次数");
    html! {
        svg.chart viewBox=(format!("0 0 {W} {H}")) role="img" aria-label=(title)
            xmlns="http://www.w3.org/2000/svg" data-testid="trend-chart" {
            title { (title) }
            @if let Some(i) = selected.filter(|i| *i < n) {
                rect x=(format!("{:.1}", (x(i) - slot / 2.0).max(LEFT)))
                    y=(format!("{TOP:.1}"))
                    width=(format!("{:.1}", slot.min(plot_w)))
                    height=(format!("{plot_h:.1}")) fill="#eef2ff" {}
            }
            @for t in &ticks {
                line x1=(format!("{LEFT:.1}")) x2=(format!("{:.1}", W - RIGHT))
                    y1=(format!("{:.1}", y(*t))) y2=(format!("{:.1}", y(*t)))
                    stroke="#e5e7eb" stroke-width="1" {}
                text x=(format!("{:.1}", LEFT - 6.0)) y=(format!("{:.1}", y(*t) + 4.0))
                    text-anchor="end" font-size="11" fill="#6b7280" { (t) }
            }
            @if target_u > 0 {
                line x1=(format!("{LEFT:.1}")) x2=(format!("{:.1}", W - RIGHT))
                    y1=(format!("{:.1}", y(target_u))) y2=(format!("{:.1}", y(target_u)))
                    stroke="#111827" stroke-width="1.2" stroke-dasharray="5 4" {}
                text x=(format!("{:.1}", LEFT + 4.0)) y=(format!("{:.1}", y(target_u) - 5.0))
                    text-anchor="start" font-size="11" fill="#111827" {
                    (lang.t("target", "目标")) " " (target)
                }
            }
            @for (i, week) in weeks.iter().enumerate() {
                @if i % label_every == 0 || Some(i) == selected {
                    text x=(format!("{:.1}", x(i))) y=(format!("{:.1}", H - 10.0))
                        text-anchor="middle" font-size="11"
                        fill=(if Some(i) == selected { "#1e3a8a" } else { "#6b7280" })
                        font-weight=(if Some(i) == selected { "bold" } else { "normal" }) {
                        (short_week(week))
                    }
                }
            }
            @for (k, s) in series.iter().enumerate() {
                @let points: Vec<String> = s.values.iter().enumerate()
                    .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v)))
                    .collect();
                polyline points=(points.join(" ")) fill="none" stroke=(colour(k))
                    stroke-width="2.2" stroke-linejoin="round" stroke-linecap="round" {}
                @for (i, v) in s.values.iter().enumerate() {
                    circle cx=(format!("{:.1}", x(i))) cy=(format!("{:.1}", y(*v))) r="3.2"
                        fill=(colour(k)) {
                        title { (s.name) " · " (weeks.get(i).map_or("", String::as_str)) ": " (v) }
                    }
                }
            }
        }
    }
}

/// A small bar of an attainment (value ÷ target), full at 100 %.
pub fn attainment_bar(attainment: Option<f64>) -> Markup {
    const W: f64 = 96.0;
    let Some(a) = attainment.filter(|a| a.is_finite()) else {
        return html! {};
    };
    let filled = (a.clamp(0.0, 1.0) * W).max(if a > 0.0 { 2.0 } else { 0.0 });
    let pct = format!("{:.0}%", a * 100.0);
    html! {
        svg.bar viewBox=(format!("0 0 {W} 10")) width=(W) height="10" role="img"
            preserveAspectRatio="none"
            aria-label=(pct) xmlns="http://www.w3.org/2000/svg" {
            rect x="0" y="0" width=(W) height="10" rx="3" fill="#e5e7eb" {}
            rect x="0" y="0" width=(format!("{filled:.1}")) height="10" rx="3"
                fill=(attainment_colour(a)) {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_are_round() {
        assert_eq!(axis(0), (1, 1));
        assert_eq!(axis(5), (5, 1));
        assert_eq!(axis(10), (10, 2));
        assert_eq!(axis(12), (12, 2));
        assert_eq!(axis(13), (15, 5));
        assert_eq!(axis(31), (40, 10));
    }

    #[test]
    fn svg_elements_are_closed() {
        let weeks = vec!["2026-W47".to_owned(), "2026-W48".to_owned()];
        let values = [3, 7];
        let svg = trend_chart(
            Lang::Zh,
            &weeks,
            &[Series {
                name: "李娜 <x>",
                values: &values,
            }],
            10,
            Some(1),
        )
        .into_string();
        for tag in ["rect", "line", "polyline", "circle", "text"] {
            assert_eq!(
                svg.matches(&format!("<{tag} ")).count(),
                svg.matches(&format!("</{tag}>")).count(),
                "{tag} in {svg}"
            );
        }
        assert!(svg.contains("李娜 &lt;x&gt;"), "names are escaped");
        assert!(svg.contains("W48"));
        assert!(attainment_bar(Some(1.4)).into_string().contains("#059669"));
        assert!(attainment_bar(None).into_string().is_empty());
    }
}
