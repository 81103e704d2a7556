//! Printing listings and resources as tables or JSON lines.
//!
//! JSON output is one object per line (JSON Lines): a listing prints one line per item, a
//! command that shows or creates one resource prints one line. Each object is the library's
//! model serialized field for field (`Node`, `Object`, `Record`, ...), so the fields are those
//! documented on the models. Tables are for people and may change.

use std::io::{IsTerminal, Write};

use libcloud::{Error, Result};
use serde_json::Value;

use crate::args::OutputFormat;

/// A table column: its heading and how to render one item's cell.
pub type Column<T> = (&'static str, fn(&T) -> String);

/// Where listings and resources go, and in what format.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    format: OutputFormat,
}

impl Printer {
    /// A printer for `format`, or, when none was chosen, tables on a terminal and JSON
    /// otherwise.
    pub fn new(format: Option<OutputFormat>) -> Self {
        let format = format.unwrap_or_else(|| {
            if std::io::stdout().is_terminal() {
                OutputFormat::Table
            } else {
                OutputFormat::Json
            }
        });
        Printer { format }
    }

    /// Whether output is JSON.
    pub fn is_json(&self) -> bool {
        self.format == OutputFormat::Json
    }

    /// Prints a listing: a table with `columns`, or one JSON object per item.
    pub fn list<T: serde::Serialize>(&self, items: &[T], columns: &[Column<T>]) -> Result<()> {
        if self.is_json() {
            let mut text = String::new();
            for item in items {
                text.push_str(&to_json_line(item)?);
            }
            return write_stdout(text.as_bytes());
        }
        let rows: Vec<Vec<String>> = items
            .iter()
            .map(|item| columns.iter().map(|(_, cell)| cell(item)).collect())
            .collect();
        let headings: Vec<String> = columns.iter().map(|(h, _)| h.to_string()).collect();
        write_stdout(render_table(&headings, &rows).as_bytes())
    }

    /// Prints one JSON line for `item` in JSON mode; does nothing in table mode. For listings
    /// streamed item by item.
    pub fn json_line<T: serde::Serialize>(&self, item: &T) -> Result<()> {
        if self.is_json() {
            write_stdout(to_json_line(item)?.as_bytes())?;
        }
        Ok(())
    }

    /// Prints one resource: a JSON line, or `FIELD  VALUE` lines with nested maps flattened
    /// (`meta_data.colour`).
    pub fn show<T: serde::Serialize>(&self, item: &T) -> Result<()> {
        if self.is_json() {
            return write_stdout(to_json_line(item)?.as_bytes());
        }
        let value = serde_json::to_value(item).map_err(json_error)?;
        let mut rows = Vec::new();
        flatten("", &value, &mut rows);
        let rows: Vec<Vec<String>> = rows.into_iter().map(|(k, v)| vec![k, v]).collect();
        write_stdout(render_table(&[], &rows).as_bytes())
    }

    /// Prints text as it is, in either format.
    pub fn text(&self, text: &str) -> Result<()> {
        write_stdout(text.as_bytes())
    }
}

fn json_error(e: serde_json::Error) -> Error {
    Error::invalid_input(format!("cannot write JSON: {e}"))
}

fn to_json_line<T: serde::Serialize>(item: &T) -> Result<String> {
    let mut line = serde_json::to_string(item).map_err(json_error)?;
    line.push('\n');
    Ok(line)
}

/// Writes to standard output. A reader that went away (`| head`) ends the process quietly, as
/// it would end any other command of a pipeline.
pub fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(Error::from(e).with_message("cannot write to standard output")),
    }
}

/// Aligned columns separated by two spaces; `headings` (upper-cased) first when not empty.
/// The last column is not padded. Nothing at all for no rows.
pub fn render_table(headings: &[String], rows: &[Vec<String>]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let width = rows
        .iter()
        .map(Vec::len)
        .max()
        .unwrap_or(0)
        .max(headings.len());
    let mut widths = vec![0usize; width];
    let all = std::iter::once(headings).chain(rows.iter().map(Vec::as_slice));
    for row in all.clone() {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for (n, row) in all.enumerate() {
        if n == 0 && headings.is_empty() {
            continue;
        }
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            let cell = if n == 0 {
                cell.to_uppercase()
            } else {
                cell.replace(['\n', '\t'], " ")
            };
            if i + 1 < row.len() {
                line.push_str(&cell);
                let pad = widths[i].saturating_sub(cell.chars().count()) + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            } else {
                line.push_str(&cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Flattens a JSON value into `(path, text)` pairs: nested objects join their keys with `.`,
/// arrays of scalars become comma-separated lists, `null` becomes `-`, empty maps are left out.
pub fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                if matches!(v, Value::Object(m) if m.is_empty()) {
                    continue;
                }
                flatten(&key, v, out);
            }
        }
        other => out.push((prefix.to_string(), cell(other))),
    }
}

/// A JSON value as a table cell.
pub fn cell(value: &Value) -> String {
    match value {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// An optional value as a cell, `-` when absent.
pub fn opt<T: ToString>(value: &Option<T>) -> String {
    value
        .as_ref()
        .map_or_else(|| "-".into(), ToString::to_string)
}

/// A time as a cell: RFC 3339 to the second, `-` when absent.
pub fn time(value: &Option<std::time::SystemTime>) -> String {
    value.map_or_else(
        || "-".into(),
        |t| humantime::format_rfc3339_seconds(t).to_string(),
    )
}

/// A list of addresses (or anything printable) as one cell.
pub fn joined<T: ToString>(items: &[T]) -> String {
    if items.is_empty() {
        return "-".into();
    }
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn tables_align_and_skip_empty_listings() {
        let rows = vec![
            vec!["a".to_string(), "long value".to_string(), "x".to_string()],
            vec!["longer".to_string(), "v".to_string(), "y\nz".to_string()],
        ];
        let table = render_table(&["name".into(), "value".into(), "last".into()], &rows);
        assert_eq!(
            table,
            "NAME    VALUE       LAST\na       long value  x\nlonger  v           y z\n"
        );
        assert_eq!(render_table(&["name".into()], &[]), "");
    }

    #[test]
    fn flattening_nests_keys_and_renders_scalars() {
        let value = serde_json::json!({
            "name": "a", "size": 3, "hash": null, "tags": ["x", "y"],
            "meta_data": {"colour": "red"}, "extra": {}
        });
        let mut out = Vec::new();
        flatten("", &value, &mut out);
        let got: Vec<(String, String)> = out;
        assert!(got.contains(&("meta_data.colour".into(), "red".into())));
        assert!(got.contains(&("hash".into(), "-".into())));
        assert!(got.contains(&("tags".into(), "x, y".into())));
        assert!(got.contains(&("size".into(), "3".into())));
        assert!(!got.iter().any(|(k, _)| k == "extra"));
    }
}
