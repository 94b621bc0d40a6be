//! One pull of an audience as a platform's CSV file, written a batch of
//! rows at a time: memory holds one batch, however large the audience.
//!
//! Rows are read from the audience's index ([`super::membership`]), newest
//! day first. Each member is checked again when its row is written: still a
//! member, still consented, not suppressed, still a lead. Only hashed
//! identifiers (and the unhashed country and postal code some platforms
//! ask for) leave.

use super::consent;
use super::formats::{Format, Person};
use super::log::{self, ExportLog};
use super::membership::{is_current, parse_entry};
use crate::keys;
use chrono::{DateTime, Duration, NaiveDate, SubsecRound, Utc};
use spin_retention_core::lead::Contact;
use spin_retention_core::ports::Ctx;
use spin_retention_core::sorted_sets::{self, Position};
use spin_retention_core::store::{Store, StoreError};
use std::collections::VecDeque;

/// Members read and written per chunk of the response.
pub const BATCH: usize = 500;

/// What a puller asked for.
#[derive(Debug, Clone)]
pub struct Pull {
    pub audience: String,
    pub format: Format,
    pub puller: String,
    /// Only members who joined, or whose identifiers changed, since then.
    pub since: Option<DateTime<Utc>>,
    /// Only members active on or after this day (the audience's window).
    pub active_from: Option<NaiveDate>,
    /// Continue after this cursor.
    pub after: Option<Position>,
    /// One page of at most this many members; `None`: the whole audience.
    pub limit: Option<usize>,
}

/// A pull in progress: the stream behind the response body.
pub struct Export {
    pull: Pull,
    index: String,
    pending: VecDeque<Position>,
    /// Where reading the index continues; `None` with `more` false: done.
    cursor: Option<Position>,
    more: bool,
    header_sent: bool,
    log: ExportLog,
    logged: bool,
}

impl Export {
    /// Starts a pull. A paged pull reads its page of index entries now, so
    /// the next cursor is known before the headers go; the rows are still
    /// written a batch at a time.
    pub fn start(ctx: &Ctx, pull: Pull) -> Result<(Export, Option<Position>), StoreError> {
        let log = ExportLog {
            id: log::new_id()?,
            puller: pull.puller.clone(),
            audience: pull.audience.clone(),
            format: pull.format.name().into(),
            started_at: ctx.now,
            finished_at: ctx.now,
            since: pull.since,
            limit: pull.limit,
            continued: pull.after.is_some(),
            rows: 0,
            skipped: 0,
            complete: false,
        };
        let mut export = Export {
            index: keys::audience_index(&pull.audience),
            cursor: pull.after.clone(),
            pending: VecDeque::new(),
            more: true,
            header_sent: false,
            log,
            logged: false,
            pull,
        };
        let mut next = None;
        if let Some(limit) = export.pull.limit {
            next = export.read_index(ctx.store, limit)?;
            export.more = false;
        }
        Ok((export, next))
    }

    /// Reads up to `limit` current members after the cursor into `pending`.
    fn read_index(&mut self, store: &dyn Store, limit: usize) -> Result<Option<Position>, StoreError> {
        // Entries keep whole seconds: compare at that precision.
        let since = self.pull.since.map(|s| s.trunc_subsecs(0));
        let active_from = self.pull.active_from;
        let audience = self.pull.audience.clone();
        // Buckets are named by day: none before `since`'s day can qualify.
        let floor = since.map(|s| s.format("%Y-%m-%d").to_string()).unwrap_or_default();
        let page = sorted_sets::page_down_to(store, &self.index, self.cursor.as_ref(), &floor, limit, |at| {
            let Some((joined, _, last_active)) = parse_entry(&at.entry) else {
                return Ok(false);
            };
            if since.is_some_and(|s| joined < s) || active_from.is_some_and(|from| last_active < from) {
                return Ok(false);
            }
            is_current(store, &audience, at)
        })?;
        self.pending.extend(page.entries);
        self.cursor = page.next.clone();
        Ok(page.next)
    }

    /// The next chunk of the body: the header line, then batches of rows;
    /// `None` at the end (after the pull is logged).
    pub fn next_chunk(&mut self, ctx: &Ctx) -> Result<Option<Vec<u8>>, StoreError> {
        if !self.header_sent {
            self.header_sent = true;
            return Ok(Some(self.pull.format.header().as_bytes().to_vec()));
        }
        if self.pending.is_empty() && self.more {
            self.more = self.read_index(ctx.store, BATCH)?.is_some();
        }
        if self.pending.is_empty() {
            self.finish(ctx, true)?;
            return Ok(None);
        }
        let mut chunk = Vec::new();
        let take = self.pending.len().min(BATCH);
        for at in self.pending.drain(..take) {
            let row = match parse_entry(&at.entry) {
                Some((_, lead_id, _)) => row(ctx.store, self.pull.format, lead_id)?,
                None => None,
            };
            match row {
                Some(line) => {
                    chunk.extend_from_slice(line.as_bytes());
                    self.log.rows += 1;
                }
                None => self.log.skipped += 1,
            }
        }
        Ok(Some(chunk))
    }

    /// Records the pull in the export log, once: complete when the body
    /// ended, not when the transfer broke or the client went away.
    pub fn finish(&mut self, ctx: &Ctx, complete: bool) -> Result<(), StoreError> {
        if self.logged {
            return Ok(());
        }
        self.logged = true;
        self.log.complete = complete;
        // The request's clock only (the adapter's real one, or the test's).
        self.log.finished_at = ctx.now;
        log::record(ctx.store, &self.log)
    }

    pub fn log(&self) -> &ExportLog {
        &self.log
    }
}

/// One member's row, checked again now: `None` when the lead is gone, its
/// consent no longer allows ads, it is suppressed, or the platform has
/// nothing to match it on.
fn row(store: &dyn Store, format: Format, lead_id: &str) -> Result<Option<String>, StoreError> {
    let Some(lead) = spin_retention_core::lead::load(store, lead_id)? else {
        return Ok(None);
    };
    if !consent::allows_ads(&lead) || consent::suppressed(store, &lead)? {
        return Ok(None);
    }
    Ok(format.row(&person(&lead.contact)))
}

pub fn person(c: &Contact) -> Person<'_> {
    Person {
        email: c.email.as_deref(),
        phone: c.phone.as_deref(),
        first_name: c.first_name.as_deref(),
        last_name: c.last_name.as_deref(),
        city: c.city.as_deref(),
        region: c.region.as_deref(),
        postal_code: c.postal_code.as_deref(),
        country: c.country.as_deref(),
    }
}

/// The first day inside an activity window of `days` days.
pub fn window_start(now: DateTime<Utc>, days: Option<u32>) -> Option<NaiveDate> {
    let days = days?;
    Some(
        now.checked_sub_signed(Duration::days(i64::from(days)))
            .map_or(NaiveDate::MIN, |start| start.date_naive()),
    )
}
