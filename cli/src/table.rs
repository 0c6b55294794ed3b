//! Plain-text tables that stay aligned with Chinese text in them.
//!
//! Terminals draw CJK characters two columns wide, so padding by `char` count (what
//! `format!("{:<10}")` does) misaligns every row holding a Chinese name. The workspace has
//! no Unicode width crate, and names in this domain are Chinese or Latin, so the wide
//! ranges that matter are listed here.

/// How many terminal columns `c` takes.
fn char_width(c: char) -> usize {
    let cp = u32::from(c);
    let wide = matches!(cp,
        0x1100..=0x115F        // Hangul Jamo
        | 0x2E80..=0x303E      // CJK radicals, symbols and punctuation
        | 0x3041..=0x33FF      // Kana, Bopomofo, CJK compatibility
        | 0x3400..=0x4DBF      // CJK extension A
        | 0x4E00..=0x9FFF      // CJK unified ideographs
        | 0xA000..=0xA4CF      // Yi
        | 0xAC00..=0xD7A3      // Hangul syllables
        | 0xF900..=0xFAFF      // CJK compatibility ideographs
        | 0xFE30..=0xFE4F      // CJK compatibility forms
        | 0xFF00..=0xFF60      // Fullwidth forms
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F    // Emoji
        | 0x1F900..=0x1F9FF
        | 0x20000..=0x3FFFD    // CJK extensions B and beyond
    );
    if wide {
        2
    } else if c.is_control() {
        0
    } else {
        1
    }
}

/// How many terminal columns `s` takes.
pub fn width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// Renders a table: a header row, then `rows`, columns separated by two spaces. Columns
/// listed in `right` are right-aligned (numbers). No line ends in padding.
pub fn render(headers: &[&str], rows: &[Vec<String>], right: &[usize]) -> String {
    let cols = headers.len();
    let mut widths: Vec<usize> = headers.iter().map(|h| width(h)).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(cols) {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(width(cell));
            }
        }
    }
    let mut out = String::new();
    let header: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, w) in widths.iter().enumerate() {
            let cell = row.get(i).map_or("", String::as_str);
            let pad = w.saturating_sub(width(cell));
            if i > 0 {
                line.push_str("  ");
            }
            if right.contains(&i) {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Renders labelled values, one per line, values aligned after the longest label:
/// `Stage:   中级阶段`. A value of several lines continues under the first one.
pub fn fields(rows: &[(&str, String)]) -> String {
    let label_width = rows.iter().map(|(l, _)| width(l)).max().unwrap_or(0);
    let mut out = String::new();
    for (label, value) in rows {
        let pad = " ".repeat(label_width - width(label));
        let mut lines = value.lines();
        let first = lines.next().unwrap_or("");
        let line = format!("{label}:{pad} {first}");
        out.push_str(line.trim_end());
        out.push('\n');
        for more in lines {
            let line = format!("{} {more}", " ".repeat(label_width + 1));
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out
}

/// An amount as people read it: thousands grouped, no decimals on whole numbers, at most
/// two otherwise (`12,800`, `1,234.5`, `-20`).
pub fn amount(v: f64) -> String {
    let rounded = (v * 100.0).round() / 100.0;
    // No "-0" for a tiny negative amount.
    let rounded = if rounded == 0.0 { 0.0 } else { rounded };
    let text = if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        let s = format!("{rounded:.2}");
        s.trim_end_matches('0').to_owned()
    };
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// Indents every line of `s` by two spaces (a table under a heading).
pub fn indent(s: &str) -> String {
    s.lines().map(|l| format!("  {l}\n")).collect()
}

/// Shows the given data rows (0 is the first row under the header) of a rendered table in
/// bold red, for a terminal.
pub fn highlight_rows(rendered: &str, rows: &[usize]) -> String {
    rendered
        .lines()
        .enumerate()
        .map(|(i, line)| {
            if i > 0 && rows.contains(&(i - 1)) {
                format!("\x1b[1;31m{line}\x1b[0m\n")
            } else {
                format!("{line}\n")
            }
        })
        .collect()
}

/// Replaces line breaks so one record stays on one table line.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_counts_double() {
        assert_eq!(width("abc"), 3);
        assert_eq!(width("华东钢铁"), 8);
        assert_eq!(width("张总 (采购总监)"), 2 * 2 + 2 + 4 * 2 + 1);
        assert_eq!(width("（）"), 4);
    }

    #[test]
    fn columns_line_up_in_display_width() {
        let rows = vec![
            vec!["华东钢铁集团".to_owned(), "12".to_owned(), "x".to_owned()],
            vec!["ACME".to_owned(), "3".to_owned(), String::new()],
        ];
        let out = render(&["NAME", "N", "NOTE"], &rows, &[1]);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], format!("NAME{}N  NOTE", " ".repeat(11)));
        assert_eq!(lines[1], "华东钢铁集团  12  x");
        assert_eq!(lines[2], format!("ACME{}3", " ".repeat(11)));
    }

    #[test]
    fn fields_align_their_values_and_continue_long_ones() {
        let out = fields(&[
            ("Stage", "中级阶段".to_owned()),
            ("阶段", "x".to_owned()),
            ("Notes", "one\ntwo".to_owned()),
            ("Empty", String::new()),
        ]);
        assert_eq!(
            out,
            "Stage: 中级阶段\n阶段:  x\nNotes: one\n       two\nEmpty:\n"
        );
    }

    #[test]
    fn amounts_are_grouped_and_trimmed() {
        assert_eq!(amount(12800.0), "12,800");
        assert_eq!(amount(1234.5), "1,234.5");
        assert_eq!(amount(0.0), "0");
        assert_eq!(amount(-20.0), "-20");
        assert_eq!(amount(999.999), "1,000");
        assert_eq!(amount(1_234_567.25), "1,234,567.25");
        assert_eq!(amount(100.0), "100");
        assert_eq!(amount(-0.001), "0");
    }

    #[test]
    fn highlighted_rows_skip_the_header() {
        let out = highlight_rows("H\na\nb\n", &[1]);
        assert_eq!(out, "H\na\n\x1b[1;31mb\x1b[0m\n");
    }

    #[test]
    fn one_line_folds_whitespace() {
        assert_eq!(one_line("a\nb  c\t"), "a b c");
    }
}
