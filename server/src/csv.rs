//! The one CSV writer of every export (`/v1/reports/…?format=csv` and the dashboard's
//! downloads): RFC 4180 quoting, CRLF line ends, a UTF-8 byte order mark so that Excel
//! reads Chinese as UTF-8, and cells a spreadsheet would run as a formula neutralised as
//! OWASP advises: a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return
//! — and is not a plain number — gets a leading single quote and is quoted. A negative
//! number stays a number.
//!
//! [`Csv`] can only be made here, and [`attachment`] only sends a [`Csv`]: no export can
//! bypass the writer.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The byte order mark every file starts with.
const BOM: &str = "\u{feff}";

/// A CSV document made by [`rows`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Csv(String);

impl Csv {
    /// The document's text, to write to a file.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `s` is a plain decimal number (`-12`, `3.5`): a spreadsheet reads it as a
/// number, never as a formula.
fn is_plain_number(s: &str) -> bool {
    let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let digits = s.strip_prefix('-').unwrap_or(s);
    match digits.split_once('.') {
        Some((whole, fraction)) => all_digits(whole) && all_digits(fraction),
        None => all_digits(digits),
    }
}

/// One cell: neutralised if a spreadsheet would take it for a formula, quoted when it
/// needs to be.
pub fn field(s: &str) -> String {
    let formula = s.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_plain_number(s);
    if formula {
        format!("\"'{}\"", s.replace('"', "\"\""))
    } else if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// A CSV document: the byte order mark, a header row and rows.
pub fn rows(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Csv {
    let mut out = String::from(BOM);
    let line = |out: &mut String, cells: &mut dyn Iterator<Item = String>| {
        for (i, cell) in cells.enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&cell);
        }
        out.push_str("\r\n");
    };
    line(&mut out, &mut header.iter().map(|h| field(h)));
    for row in rows {
        line(&mut out, &mut row.iter().map(|f| field(f)));
    }
    Csv(out)
}

/// A CSV download named `name.csv`.
pub fn attachment(name: &str, csv: Csv) -> Response {
    let disposition =
        header::HeaderValue::from_str(&format!("attachment; filename=\"{name}.csv\""))
            .unwrap_or_else(|_| header::HeaderValue::from_static("attachment"));
    (
        [
            (
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-store"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                header::HeaderValue::from_static("nosniff"),
            ),
        ],
        csv.0,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        assert_eq!(field("=1+1"), "\"'=1+1\"");
        assert_eq!(field("+SUM(1)"), "\"'+SUM(1)\"");
        assert_eq!(field("-2+3"), "\"'-2+3\"");
        assert_eq!(field("@cmd"), "\"'@cmd\"");
        assert_eq!(field("\t=1"), "\"'\t=1\"");
        assert_eq!(field("\r=1"), "\"'\r=1\"");
        assert_eq!(field("=\"a\",b"), "\"'=\"\"a\"\",b\"");
        assert_eq!(field("-"), "\"'-\"");
        assert_eq!(field("-12"), "-12");
        assert_eq!(field("-12.5"), "-12.5");
        assert_eq!(field("-12."), "\"'-12.\"");
        assert_eq!(field("-.5"), "\"'-.5\"");
        assert_eq!(field("12"), "12");
        assert_eq!(field("李,王"), "\"李,王\"");
        assert_eq!(field("a \"b\""), "\"a \"\"b\"\"\"");
        assert_eq!(field("plain"), "plain");
    }

    #[test]
    fn documents_start_with_a_bom_and_end_lines_with_crlf() {
        let csv = rows(&["a", "b"], vec![vec!["1".into(), "=x".into()]]);
        assert_eq!(csv.0, "\u{feff}a,b\r\n1,\"'=x\"\r\n");
    }
}
