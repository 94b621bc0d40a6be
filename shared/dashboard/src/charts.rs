//! Charts drawn by hand as inline SVG from the data: a few dozen lines
//! each, where a vendored charting library would be larger than the whole
//! component. No inline styles (the Content-Security-Policy forbids them):
//! colours are presentation attributes and classes of the stylesheet.
//! Charts read left to right in both languages (`dir="ltr"`), as time does.

use crate::page::esc;

const W: f64 = 640.0;
const H: f64 = 220.0;
const PAD_LEFT: f64 = 44.0;
const PAD_BOTTOM: f64 = 28.0;
const PAD_TOP: f64 = 12.0;

fn open(label: &str, height: f64) -> String {
    format!(
        "<svg class=\"chart\" dir=\"ltr\" viewBox=\"0 0 {W} {height}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\"><title>{}</title>",
        esc(label),
        esc(label)
    )
}

/// A line over periods; `None` is a gap (a week without answers). The y
/// axis runs from `min` to `max` with a grid line at each of `ticks`.
pub fn line(label: &str, points: &[(String, Option<f64>)], min: f64, max: f64, ticks: &[f64]) -> String {
    let mut svg = open(label, H);
    let plot_w = W - PAD_LEFT - 8.0;
    let plot_h = H - PAD_TOP - PAD_BOTTOM;
    let y = |v: f64| PAD_TOP + plot_h * (1.0 - (v.clamp(min, max) - min) / (max - min));
    let step = if points.len() > 1 {
        plot_w / (points.len() - 1) as f64
    } else {
        0.0
    };
    let x = |i: usize| {
        PAD_LEFT
            + if points.len() > 1 {
                step * i as f64
            } else {
                plot_w / 2.0
            }
    };
    for t in ticks {
        svg.push_str(&format!(
            "<line class=\"grid\" x1=\"{PAD_LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/><text class=\"axis\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{t}</text>",
            W - 8.0,
            PAD_LEFT - 6.0,
            y(*t) + 4.0,
            y = y(*t)
        ));
    }
    // One polyline per run of known points, so a gap is not bridged.
    let mut run: Vec<String> = Vec::new();
    let flush = |run: &mut Vec<String>, svg: &mut String| {
        if run.len() > 1 {
            svg.push_str(&format!(
                "<polyline class=\"series\" fill=\"none\" points=\"{}\"/>",
                run.join(" ")
            ));
        }
        run.clear();
    };
    for (i, (_, value)) in points.iter().enumerate() {
        match value {
            Some(v) => run.push(format!("{:.1},{:.1}", x(i), y(*v))),
            None => flush(&mut run, &mut svg),
        }
    }
    flush(&mut run, &mut svg);
    let label_every = points.len().div_ceil(8).max(1);
    for (i, (period, value)) in points.iter().enumerate() {
        if let Some(v) = value {
            svg.push_str(&format!(
                "<circle class=\"point\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\"><title>{}: {}</title></circle>",
                x(i),
                y(*v),
                esc(period),
                round(*v)
            ));
        }
        if i % label_every == 0 || i + 1 == points.len() {
            svg.push_str(&format!(
                "<text class=\"axis\" x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                x(i),
                H - 8.0,
                esc(period)
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Vertical bars with their counts (a score distribution).
pub fn bars(label: &str, bars: &[(String, u64)], class_of: impl Fn(&str) -> &'static str) -> String {
    let mut svg = open(label, H);
    let most = bars.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1) as f64;
    let plot_w = W - PAD_LEFT - 8.0;
    let plot_h = H - PAD_TOP - PAD_BOTTOM - 14.0;
    let slot = plot_w / bars.len().max(1) as f64;
    for (i, (name, n)) in bars.iter().enumerate() {
        let h = plot_h * (*n as f64) / most;
        let x = PAD_LEFT + slot * i as f64 + slot * 0.15;
        let y = PAD_TOP + 14.0 + plot_h - h;
        svg.push_str(&format!(
            "<rect class=\"{}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{h:.1}\"><title>{}: {n}</title></rect>\
             <text class=\"count\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{n}</text>\
             <text class=\"axis\" x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            class_of(name),
            slot * 0.7,
            esc(name),
            x + slot * 0.35,
            y - 3.0,
            x + slot * 0.35,
            H - 8.0,
            esc(name)
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// A grid of shaded cells: `cells[row][column]` in 0..=1 of `shade`
/// (`None`: not yet, left blank), each showing `label` of its value.
pub fn heatmap(
    label: &str,
    rows: &[String],
    columns: &[String],
    cells: &[Vec<Option<f64>>],
    show: impl Fn(f64) -> String,
) -> String {
    let cell_w = ((W - 90.0) / columns.len().max(1) as f64).min(60.0);
    let cell_h = 24.0;
    let height = 26.0 + cell_h * rows.len() as f64 + 4.0;
    let mut svg = open(label, height);
    for (c, column) in columns.iter().enumerate() {
        svg.push_str(&format!(
            "<text class=\"axis\" x=\"{:.1}\" y=\"16\" text-anchor=\"middle\">{}</text>",
            90.0 + cell_w * c as f64 + cell_w / 2.0,
            esc(column)
        ));
    }
    for (r, row) in rows.iter().enumerate() {
        let y = 26.0 + cell_h * r as f64;
        svg.push_str(&format!(
            "<text class=\"axis\" x=\"84\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            y + 16.0,
            esc(row)
        ));
        for (c, value) in cells.get(r).map(Vec::as_slice).unwrap_or_default().iter().enumerate() {
            let Some(v) = value else { continue };
            let x = 90.0 + cell_w * c as f64;
            svg.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{} · {}: {}</title></rect>\
                 <text class=\"{}\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                cell_w - 2.0,
                cell_h - 2.0,
                shade(*v),
                esc(row),
                esc(columns.get(c).map_or("", String::as_str)),
                esc(&show(*v)),
                if *v > 0.55 { "cell light" } else { "cell" },
                x + cell_w / 2.0 - 1.0,
                y + 16.0,
                esc(&show(*v))
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

/// White to the dashboard's blue (#1d4ed8) as `v` goes from 0 to 1.
fn shade(v: f64) -> String {
    let v = v.clamp(0.0, 1.0);
    let mix = |from: f64, to: f64| (from + (to - from) * v).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(239.0, 29.0),
        mix(246.0, 78.0),
        mix(255.0, 216.0)
    )
}

fn round(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_skips_gaps_and_labels_each_point() {
        let points = vec![
            ("2026-W46".to_string(), Some(-20.0)),
            ("2026-W47".to_string(), None),
            ("2026-W48".to_string(), Some(30.0)),
            ("2026-W49".to_string(), Some(50.0)),
        ];
        let svg = line("NPS <weekly>", &points, -100.0, 100.0, &[-100.0, 0.0, 100.0]);
        assert!(svg.contains("aria-label=\"NPS &lt;weekly&gt;\""));
        // W46 stands alone; W48-W49 is one line.
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains("<title>2026-W48: 30</title>"));
        // 0 sits halfway up the plot: 12 + 180 / 2.
        assert!(svg.contains("y1=\"102.0\""));
    }

    #[test]
    fn bars_and_cells_scale_to_the_largest() {
        let svg = bars("scores", &[("9".into(), 4), ("10".into(), 2)], |_| "bar");
        assert!(svg.contains("<title>9: 4</title>") && svg.contains("<title>10: 2</title>"));
        let map = heatmap(
            "cohorts",
            &["2026-01".into()],
            &["0".into(), "1".into()],
            &[vec![Some(1.0), None]],
            |v| format!("{:.0}%", v * 100.0),
        );
        assert!(map.contains("fill=\"#1d4ed8\"") && map.contains("100%"));
        assert_eq!(map.matches("<rect").count(), 1);
        assert_eq!(shade(0.0), "#eff6ff");
    }
}
