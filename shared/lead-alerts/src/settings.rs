//! What an admin sets (`PUT /alerts/admin/settings`): how each member and
//! the owner are alerted, the SLA, and which forms alert the owner of every
//! submission. Secrets are not here: Slack and webhook URLs come from the
//! `alert_channel_urls` variable, provider keys from the ack variables.

use crate::hours::WorkingHours;
use serde::{Deserialize, Serialize};
use spin_retention_core::admin_doc::Document;
use spin_retention_core::ports::Config;
use spin_retention_core::problem::{FieldError, Problem};
use spin_retention_core::store::{Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// Through the acknowledgement provider (`ack_provider`).
    Email,
    /// Through Twilio (`alert_sms_*`; else the ack provider if it sends SMS).
    Sms,
    Whatsapp,
    /// A Slack incoming webhook (Block Kit), its URL in `alert_channel_urls`.
    Slack,
    /// A JSON POST, its URL in `alert_channel_urls`.
    Webhook,
}

impl Channel {
    pub fn name(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Whatsapp => "whatsapp",
            Channel::Slack => "slack",
            Channel::Webhook => "webhook",
        }
    }
}

/// How one person is alerted. `to` is an address for email (a member's
/// defaults to their email in the scoring rules' team) and an E.164 number
/// for SMS and WhatsApp; Slack and webhook URLs are secrets, in the
/// `alert_channel_urls` variable under the member's id (`owner` for the
/// owner).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    pub channel: Channel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Owner {
    pub name: String,
    #[serde(flatten)]
    pub recipient: Recipient,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sla {
    /// Working minutes a lead may wait unclaimed before it is reassigned.
    pub minutes: u32,
    /// Reassignments before the lead escalates to the owner.
    pub max_reassignments: u32,
    #[serde(default)]
    pub working_hours: WorkingHours,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Alerted when nobody is assigned (no team, or everyone away), on
    /// escalation, and of every submission to `owner_alert_forms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
    /// By team member id (the scoring rules' `routing.team`); a member not
    /// named here is alerted by email.
    #[serde(default)]
    pub members: std::collections::BTreeMap<String, Recipient>,
    pub sla: Sla,
    /// Forms whose every submission alerts the owner; `*` for all.
    #[serde(default)]
    pub owner_alert_forms: Vec<String>,
    /// How long claim and contacted links work, 1 to
    /// [`MAX_LINK_TTL_HOURS`].
    pub link_ttl_hours: u32,
    /// The owner's daily digest; absent: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
}

/// Once a day, at `hour` in the team's time zone, the owner gets the day
/// before: the submissions to `forms` (`*`: all) by form, and every hot lead
/// with who has it and how fast it was claimed and contacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Digest {
    pub forms: Vec<String>,
    pub hour: u8,
}

impl Document for Settings {
    const KEY: &'static str = "alert-settings";
    const NAME: &'static str = "settings";
    const MAX_BYTES: usize = 64 * 1024;
    const NEXT: &'static str = "nothing: leads already alerted keep their SLA clock; new deadlines use these settings";

    fn defaults() -> Self {
        Settings {
            owner: None,
            members: Default::default(),
            sla: Sla {
                minutes: 15,
                max_reassignments: 2,
                working_hours: WorkingHours::default(),
            },
            owner_alert_forms: Vec::new(),
            link_ttl_hours: 72,
            digest: None,
        }
    }

    fn parse(body: &[u8]) -> Result<Self, Problem> {
        let invalid = || Problem::new(422, "invalid-alert-settings", "Invalid Alert Settings");
        Problem::check_json(body, invalid, "settings", validate)
    }
}

/// A week of working minutes: longer is no SLA.
const MAX_SLA_MINUTES: u32 = 7 * 24 * 60;

/// How long claim and contacted links may work: 30 days.
pub const MAX_LINK_TTL_HOURS: u32 = 30 * 24;

fn validate(settings: &Settings) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut error = |field: String, message: String| errors.push(FieldError { field, message });
    let mut recipient = |at: String, r: &Recipient, needs_email: bool| match (r.channel, r.to.as_deref()) {
        (Channel::Sms | Channel::Whatsapp, to) if !to.is_some_and(is_e164) => {
            error(format!("{at}.to"), "an E.164 number such as +14155550123".into())
        }
        (Channel::Email, None) if needs_email => error(format!("{at}.to"), "an email address".into()),
        (Channel::Email, Some(to)) if !to.contains('@') => error(format!("{at}.to"), "an email address".into()),
        (Channel::Slack | Channel::Webhook, Some(_)) => error(
            format!("{at}.to"),
            "Slack and webhook URLs are secrets: set them in the alert_channel_urls variable".into(),
        ),
        _ => {}
    };
    if let Some(owner) = &settings.owner {
        recipient("owner".into(), &owner.recipient, true);
    }
    for (id, r) in &settings.members {
        recipient(format!("members.{id}"), r, false);
    }
    if settings.sla.max_reassignments > crate::record::MAX_STEPS - 2 {
        error(
            "sla.max_reassignments".into(),
            format!("at most {}", crate::record::MAX_STEPS - 2),
        );
    }
    if !(1..=MAX_SLA_MINUTES).contains(&settings.sla.minutes) {
        error("sla.minutes".into(), format!("1 to {MAX_SLA_MINUTES} (a week)"));
    }
    for (field, message) in settings.sla.working_hours.problems() {
        error(format!("sla.working_hours.{field}"), message);
    }
    if !(1..=MAX_LINK_TTL_HOURS).contains(&settings.link_ttl_hours) {
        error(
            "link_ttl_hours".into(),
            format!("1 to {MAX_LINK_TTL_HOURS} hours (30 days)"),
        );
    }
    if let Some(digest) = &settings.digest {
        if digest.hour > 23 {
            error("digest.hour".into(), "an hour of the day, 0 to 23".into());
        }
        if digest.forms.is_empty() {
            error("digest.forms".into(), "one or more form names, or *".into());
        }
        if settings.owner.is_none() {
            error("digest".into(), "a digest goes to the owner: set owner".into());
        }
    }
    errors
}

fn is_e164(to: &str) -> bool {
    to.strip_prefix('+')
        .is_some_and(|d| (8..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
}

/// One entry of a secret variable that holds a JSON object of strings
/// (`alert_channel_urls`, `webhook_secrets`): the value under `key`, or
/// why there is none (`what` names it).
pub fn keyed_secret(config: &dyn Config, variable: &str, key: &str, what: &str) -> Result<String, String> {
    let text = config.get(variable).unwrap_or_else(|| "{}".into());
    let map: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&text).map_err(|_| format!("{variable} is not a JSON object of strings"))?;
    map.get(key)
        .cloned()
        .ok_or_else(|| format!("no {what} for \"{key}\" in {variable}"))
}

pub fn current(store: &dyn Store) -> Result<Settings, StoreError> {
    Ok(spin_retention_core::admin_doc::current::<Settings>(store)?.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The issue's case: a document without `sla`, then without
    /// `link_ttl_hours`, was refused ("missing field `sla`").
    #[test]
    fn sections_left_out_take_their_defaults() {
        let body = br#"{"owner": {"name": "Ana", "channel": "email", "to": "ana@acme.example"}, "owner_alert_forms": ["demo"]}"#;
        let (settings, filled) = Settings::parse_with_defaults(body).unwrap();
        assert_eq!(settings.sla, Settings::defaults().sla);
        assert_eq!(settings.link_ttl_hours, 72);
        assert_eq!(filled, ["link_ttl_hours", "members", "sla"]);
        assert_eq!(settings.owner_alert_forms, ["demo"]);
    }

    #[test]
    fn errors_name_the_field() {
        let body = br#"{
            "owner": {"name": "Ana", "channel": "email"},
            "members": {"dana": {"channel": "sms", "to": "0501234"}, "noa": {"channel": "slack", "to": "https://hooks.slack.com/x"}},
            "sla": {"minutes": 0, "max_reassignments": 1, "working_hours": {"time_zone": "Nowhere"}},
            "link_ttl_hours": 24
        }"#;
        let problem = Settings::parse(body).unwrap_err();
        let fields: Vec<&str> = problem.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "owner.to",
                "members.dana.to",
                "members.noa.to",
                "sla.minutes",
                "sla.working_hours.time_zone"
            ]
        );
        assert_eq!(problem.status, 422);
    }

    #[test]
    fn link_ttl_is_bounded() {
        let with_ttl = |ttl: u64| {
            let mut doc = serde_json::to_value(Settings::defaults()).unwrap();
            doc["link_ttl_hours"] = ttl.into();
            Settings::parse(doc.to_string().as_bytes())
        };
        assert!(with_ttl(1).is_ok());
        assert!(with_ttl(MAX_LINK_TTL_HOURS.into()).is_ok());
        for ttl in [0, u64::from(MAX_LINK_TTL_HOURS) + 1, u32::MAX.into()] {
            let problem = with_ttl(ttl).unwrap_err();
            let fields: Vec<&str> = problem.errors.iter().map(|e| e.field.as_str()).collect();
            assert_eq!(fields, ["link_ttl_hours"], "{ttl}");
        }
    }

    #[test]
    fn defaults_are_valid() {
        let json = serde_json::to_vec(&Settings::defaults()).unwrap();
        assert_eq!(Settings::parse(&json).unwrap(), Settings::defaults());
    }
}
