//! What lead-scoring keeps of each lead and of the team, as the other jobs
//! read it: the explained score ([`ScoreRecord`], `score:<lead_id>`), the
//! hot queue's two orders ([`queue`]) and the members hot leads go to
//! ([`rules::team`]). lead-scoring is the only writer of these keys; lead-alerts
//! and audience-export read them through this crate, so none of them
//! depends on lead-scoring itself.

pub mod api;
pub mod keys;
pub mod queue;
pub mod rules;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;

use chrono::{DateTime, Utc};
use queue::Placement;
use serde::{Deserialize, Serialize};
use spin_retention_core::signals::SurveyKind;

/// `score:<lead_id>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreRecord {
    pub lead_id: String,
    #[serde(flatten)]
    pub score: Score,
    pub rules_version: String,
    pub scored_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
    /// Who the lead went to when it first turned hot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignment: Option<Assignment>,
    /// Its place in the hot queue; `None` when not hot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<Placement>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Hot,
    Warm,
    Cold,
}

impl Tier {
    /// Its name, as it is serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Hot => "hot",
            Tier::Warm => "warm",
            Tier::Cold => "cold",
        }
    }
}

/// One rule that fired, and why it is worth what it is worth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fired {
    pub rule: String,
    pub group: String,
    pub score: ScoreKind,
    /// After decay (and before the group's cap).
    pub points: i64,
    pub base_points: i64,
    /// What the base points were multiplied by for the evidence's age.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decay: Option<f64>,
    /// The activity it fired on (a submission or survey id), and when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_at: Option<DateTime<Utc>>,
    /// "+30 visited the pricing page (2 days ago)".
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupTotal {
    pub group: String,
    pub score: ScoreKind,
    /// Sum of its fired rules.
    pub raw: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<i64>,
    /// What it adds: `raw`, held to the cap.
    pub points: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtRiskReason {
    pub survey_id: String,
    pub kind: SurveyKind,
    pub score: u8,
    pub answered_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub fit: i64,
    pub engagement: i64,
    pub total: i64,
    pub tier: Tier,
    /// Fit grade, A (best) to D.
    pub grade: char,
    pub at_risk: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_risk_reason: Option<AtRiskReason>,
    /// A customer slipping away (customers' signal), since when: at risk too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slipping_since: Option<DateTime<Utc>>,
    pub groups: Vec<GroupTotal>,
    pub fired: Vec<Fired>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScoreKind {
    /// Who they are.
    Fit,
    /// What they did.
    Engagement,
}

/// Who a hot lead went to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub member_id: String,
    pub member_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_email: Option<String>,
    /// `rule:<id>` or `round-robin`.
    pub via: String,
    pub assigned_at: DateTime<Utc>,
}
