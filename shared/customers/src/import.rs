//! `POST /customers/admin/import`: a history of events, NDJSON (one event's
//! JSON per line, as `POST /customers/events` takes it) or CSV (a header
//! row naming the same fields, then one event per row), streamed: the body
//! is read chunk by chunk and recorded [`BATCH`] events at a time, so any
//! size of history sits in memory one line and one batch at a time.
//!
//! A CSV record is one line (a quoted field may hold commas and quotes,
//! not line breaks): that keeps each record bounded, and every problem is
//! reported with its line number. Lines that are not events are reported
//! and skipped; the rest are recorded. Importing the same file again
//! records nothing new.

use crate::event::{self, Incoming};
use crate::record;
use serde::Serialize;
use serde_json::{Map, Value};
use spin_retention_core::http::{Reply, Request};
use spin_retention_core::ports::{BodySource, Ctx};
use spin_retention_core::problem::Problem;
use std::collections::BTreeSet;

/// Events recorded together: one `set-many` and one call to lead-intake
/// for the new people among them.
pub const BATCH: usize = 500;
/// A longer line is refused (and skipped).
pub const MAX_LINE: usize = 64 * 1024;
/// Problems listed in the answer; the rest are counted.
const MAX_LISTED: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Ndjson,
    Csv,
}

#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub lines: u64,
    pub recorded: u64,
    pub duplicates: u64,
    pub refused: u64,
    pub customers: u64,
    /// The first problems, with their line numbers.
    pub problems: Vec<LineProblem>,
    pub next: &'static str,
}

#[derive(Debug, Serialize)]
pub struct LineProblem {
    pub line: u64,
    pub problem: Problem,
}

pub fn import(req: &Request, ctx: &Ctx) -> Result<Reply, Reply> {
    let media = spin_retention_core::body::media_type(req.header("content-type").unwrap_or_default());
    let format = match media.as_str() {
        "application/x-ndjson" | "application/jsonl" | "application/json-seq" => Format::Ndjson,
        "text/csv" => Format::Csv,
        other => {
            return Err(Problem::new(415, "unsupported-media-type", "Unsupported Media Type")
                .with_detail(format!("send application/x-ndjson or text/csv, not \"{other}\""))
                .into())
        }
    };
    let mut lines = Lines::new(&req.body, ctx.body);
    let mut summary = Summary {
        next: "POST /scoring/admin/rescore?restart=true, then POST /customers/admin/refresh?restart=true: scores, audiences and RFM follow the history",
        ..Summary::default()
    };
    let mut header: Option<Vec<String>> = None;
    let mut batch: Vec<(u64, Incoming)> = Vec::with_capacity(BATCH);
    let mut customers = BTreeSet::new();
    while let Some((number, line)) = lines
        .next_line()
        .map_err(|e| Reply::from(Problem::new(400, "malformed-body", "Malformed Body").with_detail(e)))?
    {
        let line = match line {
            Ok(line) => line,
            Err(problem) => {
                summary.lines += 1;
                refuse(&mut summary, number, problem);
                continue;
            }
        };
        let text = String::from_utf8_lossy(&line);
        // A spreadsheet's "CSV UTF-8" starts with a byte order mark.
        let text = text.trim().trim_start_matches('\u{feff}');
        if text.is_empty() {
            continue;
        }
        let value = match format {
            Format::Ndjson => serde_json::from_str::<Value>(text)
                .map_err(|e| Problem::new(422, "invalid-event", "Invalid Event").with_detail(format!("not JSON: {e}"))),
            Format::Csv => match &header {
                None => {
                    header = Some(csv_fields(text).unwrap_or_default());
                    continue;
                }
                Some(names) => csv_event(names, text),
            },
        };
        summary.lines += 1;
        match value.and_then(|v| event::from_json(v, "import", ctx.now)) {
            Ok(incoming) => batch.push((number, incoming)),
            Err(problem) => refuse(&mut summary, number, problem),
        }
        if batch.len() == BATCH {
            flush(ctx, &mut batch, &mut summary, &mut customers)?;
        }
    }
    flush(ctx, &mut batch, &mut summary, &mut customers)?;
    summary.customers = customers.len() as u64;
    Ok(Reply::json(200, &summary))
}

fn refuse(summary: &mut Summary, line: u64, problem: Problem) {
    summary.refused += 1;
    if summary.problems.len() < MAX_LISTED {
        summary.problems.push(LineProblem { line, problem });
    }
}

fn flush(
    ctx: &Ctx,
    batch: &mut Vec<(u64, Incoming)>,
    summary: &mut Summary,
    customers: &mut BTreeSet<String>,
) -> Result<(), Reply> {
    if batch.is_empty() {
        return Ok(());
    }
    let (numbers, events): (Vec<u64>, Vec<Incoming>) = std::mem::take(batch).into_iter().unzip();
    let recorded = record::record(ctx, events, "import")?;
    for (number, result) in numbers.into_iter().zip(recorded.results) {
        match result {
            Ok(accepted) => {
                if accepted.duplicate {
                    summary.duplicates += 1;
                } else {
                    summary.recorded += 1;
                }
                // Bounded by the people in the history; ids only.
                customers.insert(accepted.lead_id);
            }
            Err(problem) => refuse(summary, number, problem),
        }
    }
    Ok(())
}

fn csv_fields(line: &str) -> Option<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line.as_bytes());
    let record = reader.records().next()?.ok()?;
    Some(record.iter().map(|f| f.trim().to_string()).collect())
}

/// A CSV row as the JSON of an event: each non-empty cell under its
/// column's name (`true`/`false` for the consent flags).
fn csv_event(names: &[String], line: &str) -> Result<Value, Problem> {
    let invalid = |detail: String| Problem::new(422, "invalid-event", "Invalid Event").with_detail(detail);
    let cells = csv_fields(line).ok_or_else(|| invalid("not a CSV row".into()))?;
    if cells.len() != names.len() {
        return Err(invalid(format!("{} cells for {} columns", cells.len(), names.len())));
    }
    let mut object = Map::new();
    for (name, cell) in names.iter().zip(cells) {
        if cell.is_empty() {
            continue;
        }
        let value = if name.starts_with("consent_") {
            match cell.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => Value::Bool(true),
                "false" | "no" | "0" => Value::Bool(false),
                _ => return Err(invalid(format!("{name}: true or false"))),
            }
        } else {
            Value::String(cell)
        };
        object.insert(name.clone(), value);
    }
    Ok(Value::Object(object))
}

/// A line's bytes, or why it was skipped.
type Line = Result<Vec<u8>, Problem>;

fn too_long() -> Problem {
    Problem::too_large(MAX_LINE).with_detail(format!("a line is at most {MAX_LINE} bytes"))
}

/// The lines of a body: what is in the request, then the streamed rest.
struct Lines<'a> {
    buffer: Vec<u8>,
    source: Option<&'a dyn BodySource>,
    ended: bool,
    number: u64,
    /// Dropping the rest of a line that was too long.
    skipping: bool,
    /// How much of `buffer` holds no line break.
    scanned: usize,
}

impl<'a> Lines<'a> {
    fn new(first: &[u8], source: Option<&'a dyn BodySource>) -> Self {
        Lines {
            buffer: first.to_vec(),
            source,
            ended: false,
            number: 0,
            skipping: false,
            scanned: 0,
        }
    }

    /// The next line and its number, or the problem of one too long;
    /// `Ok(None)` at the end; `Err` when the body could not be read.
    fn next_line(&mut self) -> Result<Option<(u64, Line)>, String> {
        loop {
            // Only the bytes not searched yet: a long line in small chunks
            // is read in linear time.
            let from = self.scanned.min(self.buffer.len());
            let newline = self.buffer[from..].iter().position(|b| *b == b'\n').map(|at| from + at);
            self.scanned = self.buffer.len();
            if let Some(end) = newline {
                let mut line: Vec<u8> = self.buffer.drain(..=end).collect();
                self.scanned = 0;
                if std::mem::take(&mut self.skipping) {
                    continue;
                }
                self.number += 1;
                line.truncate(end);
                if line.len() > MAX_LINE {
                    return Ok(Some((self.number, Err(too_long()))));
                }
                return Ok(Some((self.number, Ok(line))));
            }
            if self.buffer.len() > MAX_LINE {
                self.buffer.clear();
                self.scanned = 0;
                if !self.skipping {
                    self.skipping = true;
                    self.number += 1;
                    return Ok(Some((self.number, Err(too_long()))));
                }
            }
            if self.ended {
                if self.buffer.is_empty() || std::mem::take(&mut self.skipping) {
                    self.buffer.clear();
                    return Ok(None);
                }
                self.number += 1;
                return Ok(Some((self.number, Ok(std::mem::take(&mut self.buffer)))));
            }
            match self.source.map(|s| s.next_chunk()).transpose()?.flatten() {
                Some(chunk) => self.buffer.extend_from_slice(&chunk),
                None => self.ended = true,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spin_retention_core::ports::Chunks;

    fn all(body: &[u8], chunk: usize) -> Vec<(u64, Result<String, u16>)> {
        let source = Chunks::new(body, chunk);
        let mut lines = Lines::new(b"", Some(&source));
        let mut out = Vec::new();
        while let Some((n, line)) = lines.next_line().unwrap() {
            out.push((n, line.map(|l| String::from_utf8(l).unwrap()).map_err(|p| p.status)));
        }
        out
    }

    #[test]
    fn lines_cross_chunks_and_a_long_one_is_skipped_alone() {
        let long = "x".repeat(MAX_LINE + 10);
        let body = format!("a,b\n{long}\nc\r\nlast");
        for chunk in [1, 7, 4096] {
            let lines = all(body.as_bytes(), chunk);
            assert_eq!(
                lines,
                [
                    (1, Ok("a,b".to_string())),
                    (2, Err(413)),
                    (3, Ok("c\r".to_string())),
                    (4, Ok("last".to_string()))
                ],
                "chunks of {chunk}"
            );
        }
    }

    #[test]
    fn csv_rows_are_events_with_their_columns() {
        let names = csv_fields("type,order_id,amount,currency,email,consent_marketing,name").unwrap();
        let row = csv_event(&names, r#"purchase,1001,"1,000.00",USD,a@b.io,yes,"Levi, Dana""#);
        // A thousands separator is not an amount: the event names it.
        let event = event::from_json(row.unwrap(), "import", spin_retention_core::ports::test_now());
        assert_eq!(event.unwrap_err().errors[0].field, "amount");
        let row = csv_event(&names, r#"purchase,1001,1000.00,USD,a@b.io,yes,"Levi, Dana""#).unwrap();
        assert_eq!(row["name"], "Levi, Dana");
        assert_eq!(row["consent_marketing"], true);
        assert!(csv_event(&names, "purchase,1001").is_err(), "too few cells");
    }
}
