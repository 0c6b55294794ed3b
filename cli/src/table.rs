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
    fn one_line_folds_whitespace() {
        assert_eq!(one_line("a\nb  c\t"), "a b c");
    }
}
