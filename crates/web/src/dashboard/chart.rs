//! The Reports page's daily chart as inline SVG, drawn on the server: clicks as bars on the
//! left scale, sales as a line on the right scale. No script and no inline style (the CSP
//! forbids both); colours come from classes in `app.css`. Everything written into the SVG is
//! a number or a date we formatted, so the markup needs no escaping.

use std::fmt::Write;

use time::Date;

/// One day of the chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartDay {
    pub day: Date,
    pub clicks: i64,
    pub sales: i64,
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 44.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

/// The smallest "round" number (1, 2, 5 × 10ⁿ) at or above `max`, so the scale reads well;
/// at least 1, so an all-zero series still has a scale.
pub fn nice_ceiling(max: i64) -> i64 {
    let max = max.max(1);
    let mut step = 1_i64;
    loop {
        for m in [1, 2, 5] {
            let candidate = step.saturating_mul(m);
            if candidate >= max {
                return candidate;
            }
        }
        step = step.saturating_mul(10);
    }
}

/// `MM-DD`: the year is in the page's heading.
fn short(day: Date) -> String {
    format!("{:02}-{:02}", u8::from(day.month()), day.day())
}

fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The SVG of `days` (oldest first), labelled by `title` for screen readers.
pub fn daily_svg(days: &[ChartDay], title: &str) -> String {
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let n = days.len().max(1) as f64;
    let slot = plot_w / n;
    let bar_w = (slot * 0.7).max(1.0);
    let clicks_max = nice_ceiling(days.iter().map(|d| d.clicks).max().unwrap_or(0));
    let sales_max = nice_ceiling(days.iter().map(|d| d.sales).max().unwrap_or(0));
    let y = |value: i64, max: i64| TOP + plot_h - plot_h * (value as f64) / (max as f64);
    let baseline = TOP + plot_h;

    let mut svg = String::new();
    let total_clicks: i64 = days.iter().map(|d| d.clicks).sum();
    let total_sales: i64 = days.iter().map(|d| d.sales).sum();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-title chart-desc" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">"#
    );
    let _ = write!(
        svg,
        r#"<title id="chart-title">{}</title><desc id="chart-desc">{} and {} over {} days.</desc>"#,
        html_text(title),
        plural(total_clicks, "click", "clicks"),
        plural(total_sales, "sale", "sales"),
        days.len()
    );
    // Grid lines with both scales: clicks on the left, sales on the right.
    for i in 0..=2_i64 {
        let gy = TOP + plot_h * (2 - i) as f64 / 2.0;
        let _ = write!(
            svg,
            r#"<line class="chart-grid" x1="{LEFT}" y1="{gy:.1}" x2="{:.1}" y2="{gy:.1}"/>"#,
            WIDTH - RIGHT
        );
        let _ = write!(
            svg,
            r#"<text class="chart-axis chart-axis-clicks" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT - 6.0,
            gy + 4.0,
            clicks_max * i / 2
        );
        let _ = write!(
            svg,
            r#"<text class="chart-axis chart-axis-sales" x="{:.1}" y="{:.1}" text-anchor="start">{}</text>"#,
            WIDTH - RIGHT + 6.0,
            gy + 4.0,
            sales_max * i / 2
        );
    }
    svg.push_str(r#"<g class="chart-bars">"#);
    for (i, d) in days.iter().enumerate() {
        let x = LEFT + slot * i as f64 + (slot - bar_w) / 2.0;
        let top = y(d.clicks, clicks_max);
        let _ = write!(
            svg,
            r#"<rect class="chart-bar" data-day="{}" data-clicks="{}" data-sales="{}" x="{x:.1}" y="{top:.1}" width="{bar_w:.1}" height="{:.1}"><title>{}: {}, {}</title></rect>"#,
            d.day,
            d.clicks,
            d.sales,
            (baseline - top).max(0.0),
            d.day,
            plural(d.clicks, "click", "clicks"),
            plural(d.sales, "sale", "sales"),
        );
    }
    svg.push_str("</g>");
    let points: Vec<String> = days
        .iter()
        .enumerate()
        .map(|(i, d)| format!("{:.1},{:.1}", LEFT + slot * (i as f64 + 0.5), y(d.sales, sales_max)))
        .collect();
    let _ = write!(
        svg,
        r#"<polyline class="chart-line" fill="none" points="{}"/>"#,
        points.join(" ")
    );
    // Day labels: the first, the middle and the last.
    if let (Some(first), Some(last)) = (days.first(), days.last()) {
        let middle = days[days.len() / 2];
        let label_y = HEIGHT - 8.0;
        for (i, d, anchor) in [
            (0, first, "start"),
            (days.len() / 2, &middle, "middle"),
            (days.len() - 1, last, "end"),
        ] {
            let x = match anchor {
                "start" => LEFT,
                "end" => WIDTH - RIGHT,
                _ => LEFT + slot * (i as f64 + 0.5),
            };
            let _ = write!(
                svg,
                r#"<text class="chart-axis" x="{x:.1}" y="{label_y:.1}" text-anchor="{anchor}">{}</text>"#,
                short(d.day)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Text for an SVG `<title>`: the few characters markup gives meaning to, escaped.
fn html_text(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn scales_are_round() {
        assert_eq!(nice_ceiling(0), 1);
        assert_eq!(nice_ceiling(1), 1);
        assert_eq!(nice_ceiling(3), 5);
        assert_eq!(nice_ceiling(7), 10);
        assert_eq!(nice_ceiling(11), 20);
        assert_eq!(nice_ceiling(480), 500);
        assert_eq!(nice_ceiling(501), 1_000);
    }

    #[test]
    fn draws_a_bar_per_day_and_the_sales_line() {
        let days = [
            ChartDay {
                day: date!(2026 - 11 - 20),
                clicks: 4,
                sales: 0,
            },
            ChartDay {
                day: date!(2026 - 11 - 21),
                clicks: 10,
                sales: 2,
            },
        ];
        let svg = daily_svg(&days, "Clicks & sales");
        assert!(svg.starts_with("<svg class=\"chart\"") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<rect class=\"chart-bar\"").count(), 2);
        assert!(svg.contains("<title id=\"chart-title\">Clicks &amp; sales</title>"));
        assert!(svg.contains("<desc id=\"chart-desc\">14 clicks and 2 sales over 2 days.</desc>"));
        assert!(svg.contains(r#"data-day="2026-11-21" data-clicks="10" data-sales="2""#));
        assert!(svg.contains("<title>2026-11-20: 4 clicks, 0 sales</title>"));
        // The tallest bar fills the plot: 10 clicks on a scale of 10.
        assert!(svg.contains(r#"y="12.0" width="#), "{svg}");
        assert!(svg.contains(r#"<polyline class="chart-line""#));
        assert!(svg.contains(">11-20</text>") && svg.contains(">11-21</text>"));
        assert!(!svg.contains("style="), "the CSP forbids inline styles");
    }

    #[test]
    fn an_empty_series_still_draws() {
        let svg = daily_svg(&[], "Nothing");
        assert!(svg.contains("0 clicks and 0 sales over 0 days."));
        assert_eq!(svg.matches("<rect").count(), 0);
    }
}
