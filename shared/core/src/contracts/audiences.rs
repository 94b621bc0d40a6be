//! audience-export's answers: the definitions in force
//! (`GET /audiences/admin/definitions`), an audience's size
//! (`GET /audiences/{id}/size`), the export log (`GET /audiences/admin/log`)
//! and the audiences a person is in (`GET /audiences/admin/members/{id}`).
//!
//! A definition's conditions are in the facts' condition language, which
//! audience-export reads as its own type; the types here are generic over
//! it (`C`), and a reader that only shows them takes them as JSON, the
//! default.

use super::Page;
use crate::admin_doc::About;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The audiences in force, as an admin defines them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Audiences<C = serde_json::Value> {
    /// Forms whose submission makes a lead a customer (`converted`).
    #[serde(default)]
    pub conversion_forms: Vec<String>,
    pub audiences: Vec<Audience<C>>,
}

/// Each audience a named set of conditions over a lead, its score and its
/// survey answers, and an optional window of recent activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Audience<C = serde_json::Value> {
    /// Lowercase letters, digits and `-`: it names URLs and keys.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// All must hold. None: every lead whose consent allows ads.
    #[serde(default = "Vec::new")]
    pub when: Vec<C>,
    /// Only members active (a form, a survey) within this many days; the
    /// window is applied when exporting, so members age out without a write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_within_days: Option<u32>,
}

impl<C> Audiences<C> {
    pub fn get(&self, id: &str) -> Option<&Audience<C>> {
        self.audiences.iter().find(|a| a.id == id)
    }
}

/// `GET /audiences/admin/definitions`: the definitions (`D`: audience-export's
/// own, or [`Audiences`] with conditions as JSON, or the whole document as
/// JSON for an editor) and what [`About`] says of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Definitions<D = Audiences> {
    #[serde(flatten)]
    pub about: About,
    pub definitions: D,
}

/// `GET /audiences/{id}/size`: how many members the audience has now,
/// within its activity window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Size {
    pub audience: String,
    pub description: Option<String>,
    pub members: u64,
    pub active_within_days: Option<u32>,
    pub counted_at: DateTime<Utc>,
}

/// `export:<export_id>`: one pull: who, what, when, how many rows (counts,
/// never identifiers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportLog {
    pub id: String,
    pub puller: String,
    pub audience: String,
    pub format: String,
    pub started_at: DateTime<Utc>,
    /// The clock (`ctx.now`) of the request that ended the pull.
    pub finished_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<Utc>>,
    /// A page of a paged pull (`limit`), and whether it continued a cursor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    pub continued: bool,
    /// Rows sent.
    pub rows: u64,
    /// Members left out at export time: consent withdrawn, suppressed,
    /// erased, or no identifier the platform matches on.
    pub skipped: u64,
    /// False when the transfer broke (a store failure mid-stream).
    pub complete: bool,
}

/// `GET /audiences/admin/log`: pulls, newest first.
pub type Log = Page<ExportLog>;

/// `GET /audiences/admin/members/{id}`: the audiences the person is in (an
/// empty list for nobody).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memberships {
    pub lead_id: String,
    pub audiences: Vec<Joined>,
}

/// One audience a person is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Joined {
    pub audience: String,
    /// When they joined, or their identifiers last changed.
    pub since: DateTime<Utc>,
    pub last_activity: NaiveDate,
}
