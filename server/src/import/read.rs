//! Reading import files into tables of text cells: CSV (UTF-8, with or without the byte
//! order mark Excel writes) and Excel workbooks (`.xlsx`, every sheet with content is a
//! table). The first non-empty row of a table is its header row. A file that cannot be
//! read is an error that names the file and says what to do; nothing here panics on bad
//! bytes (the workbook reader runs on the blocking pool, and a panic there is reported as
//! an unreadable file).

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use super::ImportFile;
use crate::error::{ApiError, ApiResult};

/// One table of an import: a CSV file or one sheet of a workbook.
#[derive(Debug, Clone)]
pub struct Table {
    pub file: String,
    pub sheet: Option<String>,
    pub headers: Vec<String>,
    /// Each data row with its line number as a spreadsheet shows it (the header row is
    /// usually line 1). Rows with no content are left out.
    pub rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    /// `file` or `file / sheet`, for messages.
    pub fn label(&self) -> String {
        match &self.sheet {
            Some(s) => format!("{} / {s}", self.file),
            None => self.file.clone(),
        }
    }
}

/// The zip signature every `.xlsx` starts with.
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// The signature of the older binary workbooks (`.xls`, OLE compound files).
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0];

/// Reads every file into its tables, on the blocking pool.
pub async fn read_all(files: Vec<ImportFile>) -> ApiResult<Vec<Table>> {
    if files.is_empty() {
        return Err(ApiError::Unprocessable("no file to import".into()));
    }
    let mut tables = Vec::new();
    for file in files {
        let name = file.name.clone();
        let read = tokio::task::spawn_blocking(move || read_file(&file))
            .await
            .map_err(|_| unreadable(&name, "the file is damaged"))??;
        tables.extend(read);
    }
    Ok(tables)
}

fn unreadable(name: &str, why: &str) -> ApiError {
    ApiError::Unprocessable(format!("{name} cannot be read: {why}"))
}

/// The tables of one file, by its content (a zip is a workbook) and then its name.
pub fn read_file(file: &ImportFile) -> ApiResult<Vec<Table>> {
    let lower = file.name.to_lowercase();
    if file.bytes.starts_with(ZIP_MAGIC) {
        return read_xlsx(file);
    }
    if file.bytes.starts_with(OLE_MAGIC) || lower.ends_with(".xls") {
        return Err(unreadable(
            &file.name,
            "old-style .xls workbooks are not read; save it as .xlsx or as CSV (UTF-8)",
        ));
    }
    if lower.ends_with(".xlsx") {
        return Err(unreadable(&file.name, "it is not an Excel .xlsx workbook"));
    }
    read_csv(file).map(|t| vec![t])
}

fn read_csv(file: &ImportFile) -> ApiResult<Table> {
    let text = std::str::from_utf8(&file.bytes).map_err(|_| {
        unreadable(
            &file.name,
            "it is neither an .xlsx workbook nor UTF-8 text; save it as CSV UTF-8 \
             (Excel: \"CSV UTF-8 (comma delimited)\") or as .xlsx",
        )
    })?;
    if text.contains('\0') {
        return Err(unreadable(&file.name, "it is not a CSV text file"));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    // Line numbers as an editor shows them, counted from where each record starts (the
    // reader's position is where the one before it ended, blank lines included).
    let (mut counted_to, mut line) = (0, 1);
    for record in reader.records() {
        let record = record.map_err(|e| unreadable(&file.name, &format!("bad CSV: {e}")))?;
        let from = record
            .position()
            .and_then(|p| usize::try_from(p.byte()).ok())
            .unwrap_or(counted_to)
            .clamp(counted_to, text.len());
        let start = text[from..]
            .find(|c| c != '\r' && c != '\n')
            .map_or(text.len(), |i| from + i);
        line += text.as_bytes()[counted_to..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        counted_to = start;
        rows.push((line, record.iter().map(clean).collect::<Vec<_>>()));
    }
    table(file.name.clone(), None, rows)
        .ok_or_else(|| unreadable(&file.name, "it has no header row"))
}

/// Most bytes a workbook's parts may inflate to: a sheet of 20,000 rows is a few tens of
/// MiB; a file that claims more (a "zip bomb") is refused before any of it is inflated.
const MAX_XLSX_INFLATED: u64 = 256 * 1024 * 1024;

/// What a zip's central directory says its parts inflate to, added up.
fn zip_inflated_size(bytes: &[u8]) -> Option<u64> {
    // The end of central directory record: its signature within the last 64 KiB + 22 bytes.
    let tail = bytes.len().saturating_sub(65_557);
    let eocd = (tail..bytes.len().saturating_sub(21))
        .rev()
        .find(|&i| bytes[i..].starts_with(&[0x50, 0x4b, 0x05, 0x06]))?;
    let u16_at = |i: usize| Some(u16::from_le_bytes(bytes.get(i..i + 2)?.try_into().ok()?));
    let u32_at = |i: usize| Some(u32::from_le_bytes(bytes.get(i..i + 4)?.try_into().ok()?));
    let entries = u16_at(eocd + 10)?;
    let mut at = usize::try_from(u32_at(eocd + 16)?).ok()?;
    let mut total: u64 = 0;
    for _ in 0..entries {
        if u32_at(at)? != 0x0201_4b50 {
            return None;
        }
        let inflated = u32_at(at + 24)?;
        // ZIP64 (0xFFFFFFFF) means more than 4 GiB: over the cap either way.
        total = total.saturating_add(u64::from(inflated));
        let (name, extra, comment) = (u16_at(at + 28)?, u16_at(at + 30)?, u16_at(at + 32)?);
        at += 46 + usize::from(name) + usize::from(extra) + usize::from(comment);
    }
    Some(total)
}

fn read_xlsx(file: &ImportFile) -> ApiResult<Vec<Table>> {
    match zip_inflated_size(&file.bytes) {
        None => {
            return Err(unreadable(
                &file.name,
                "not a valid .xlsx workbook (its zip directory is damaged)",
            ));
        }
        Some(n) if n > MAX_XLSX_INFLATED => {
            return Err(unreadable(
                &file.name,
                &format!(
                    "it would inflate to {} MiB, more than the {} MiB a workbook may hold: \
                     split it, or save it as CSV",
                    n / (1024 * 1024),
                    MAX_XLSX_INFLATED / (1024 * 1024)
                ),
            ));
        }
        Some(_) => {}
    }
    let mut book = Xlsx::new(Cursor::new(file.bytes.as_slice()))
        .map_err(|e| unreadable(&file.name, &format!("not a valid .xlsx workbook ({e})")))?;
    let mut tables = Vec::new();
    for sheet in book.sheet_names() {
        let rows = sheet_rows(&mut book, &sheet).map_err(|why| unreadable(&file.name, &why))?;
        if let Some(t) = table(file.name.clone(), Some(sheet.clone()), rows) {
            tables.push(t);
        }
    }
    if tables.is_empty() {
        return Err(unreadable(&file.name, "no sheet has a header row"));
    }
    Ok(tables)
}

/// Most rows and columns a sheet may use: a company's 20,000 contacts fit many times
/// over. A cell beyond them refuses the sheet, before any grid is laid out for it (a
/// workbook of two cells, A1 and XFD1048576, would otherwise ask for 17 billion).
const MAX_SHEET_ROWS: u32 = 200_000;
const MAX_SHEET_COLUMNS: u32 = 256;

/// A sheet's rows, cell by cell as the file holds them (each with its line number as a
/// spreadsheet shows it), only up to each row's last cell.
fn sheet_rows(
    book: &mut Xlsx<Cursor<&[u8]>>,
    sheet: &str,
) -> Result<Vec<(usize, Vec<String>)>, String> {
    let damaged = |e: calamine::XlsxError| format!("sheet \"{sheet}\" is damaged ({e})");
    let mut cells = book.worksheet_cells_reader(sheet).map_err(damaged)?;
    let mut rows: std::collections::BTreeMap<u32, Vec<String>> = Default::default();
    while let Some(cell) = cells.next_cell().map_err(damaged)? {
        let (row, column) = cell.get_position();
        if row >= MAX_SHEET_ROWS || column >= MAX_SHEET_COLUMNS {
            return Err(format!(
                "sheet \"{sheet}\" uses a cell past row {MAX_SHEET_ROWS} or column \
                 {MAX_SHEET_COLUMNS}: split it, or save it as CSV"
            ));
        }
        let text = cell_text(&Data::from(cell.get_value().clone()));
        if text.is_empty() {
            continue;
        }
        let cells_of_row = rows.entry(row).or_default();
        let at = column as usize;
        if cells_of_row.len() <= at {
            cells_of_row.resize(at + 1, String::new());
        }
        cells_of_row[at] = text;
    }
    Ok(rows
        .into_iter()
        .map(|(row, cells)| (row as usize + 1, cells))
        .collect())
}

/// A table from its rows: the first row with content is the header; empty rows go.
fn table(file: String, sheet: Option<String>, rows: Vec<(usize, Vec<String>)>) -> Option<Table> {
    let mut rows = rows
        .into_iter()
        .filter(|(_, cells)| cells.iter().any(|c| !c.is_empty()));
    let (_, headers) = rows.next()?;
    Some(Table {
        file,
        sheet,
        headers,
        rows: rows.collect(),
    })
}

/// A cell's text: trimmed, and with the quote the CSV writer puts before a cell that a
/// spreadsheet would run as a formula taken off again (so an export reads back as it was).
fn clean(cell: &str) -> String {
    let cell = cell.trim();
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest.to_owned(),
        _ => cell.to_owned(),
    }
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => clean(s),
        Data::Int(i) => i.to_string(),
        // Whole numbers typed into a spreadsheet come back as floats: 3.0 is "3".
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d.as_f64().to_string(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, bytes: &[u8]) -> ImportFile {
        ImportFile {
            name: name.into(),
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn csv_with_bom_blank_rows_and_quoted_cells() {
        let t = read_file(&file(
            "a.csv",
            "\u{feff}客户名称,城市\r\n\r\n\"华东,机械\",上海\r\n'=x,\"'+86 1\"\r\n".as_bytes(),
        ))
        .expect("reads");
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].headers, vec!["客户名称", "城市"]);
        assert_eq!(t[0].rows[0], (3, vec!["华东,机械".into(), "上海".into()]));
        assert_eq!(t[0].rows[1].1, vec!["=x".to_owned(), "+86 1".to_owned()]);
    }

    #[test]
    fn unreadable_files_are_errors() {
        for (name, bytes) in [
            ("a.csv", &b"\xff\xfe\x00a"[..]),
            ("a.csv", b""),
            ("a.csv", b"\n\n"),
            ("a.xlsx", b"name\nx\n"),
            ("a.xls", b"name\nx\n"),
            ("a.xlsx", b"PK\x03\x04garbage"),
            ("a.csv", b"a\0b\n1\n"),
        ] {
            let err = read_file(&file(name, bytes)).expect_err(name);
            assert!(err.to_string().contains("cannot be read"), "{err}");
        }
    }

    /// A zip of one stored part whose directory says it inflates to `inflated` bytes.
    fn zip_claiming(inflated: u32) -> Vec<u8> {
        let name = b"xl/workbook.xml";
        let mut z = Vec::new();
        z.extend_from_slice(b"PK\x03\x04");
        z.extend_from_slice(&[0; 26]);
        let directory = u32::try_from(z.len()).expect("small");
        z.extend_from_slice(&0x0201_4b50_u32.to_le_bytes());
        z.extend_from_slice(&[0; 20]);
        z.extend_from_slice(&inflated.to_le_bytes());
        z.extend_from_slice(&u16::try_from(name.len()).expect("short").to_le_bytes());
        z.extend_from_slice(&[0; 14]);
        z.extend_from_slice(name);
        let size = u32::try_from(z.len()).expect("small") - directory;
        z.extend_from_slice(&[0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 1, 0, 1, 0]);
        z.extend_from_slice(&size.to_le_bytes());
        z.extend_from_slice(&directory.to_le_bytes());
        z.extend_from_slice(&[0, 0]);
        z
    }

    #[test]
    fn a_workbook_that_would_inflate_past_the_cap_is_refused_unread() {
        assert_eq!(zip_inflated_size(&zip_claiming(1234)), Some(1234));
        let err = read_file(&file("big.xlsx", &zip_claiming(u32::MAX))).expect_err("refused");
        assert!(err.to_string().contains("would inflate to"), "{err}");
        // Under the cap, it is read (and this one is no workbook).
        let err = read_file(&file("small.xlsx", &zip_claiming(1000))).expect_err("no workbook");
        assert!(err.to_string().contains("not a valid .xlsx"), "{err}");
    }
}
