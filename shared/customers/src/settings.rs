//! What a business decides about its customers, as one admin document
//! (`GET/PUT/DELETE /customers/admin/settings`): its main currency, the
//! loyalty tiers, and when a customer counts as slipping or churned.

use crate::keys::CUSTOMER_SETTINGS;
use serde::{Deserialize, Serialize};
use spin_retention_core::admin_doc::{self, Document};
use spin_retention_core::problem::{FieldError, Problem};
use spin_retention_core::store::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Tiers and RFM's monetary score count spend in this currency only.
    pub currency: String,
    /// Lowest first; a customer has the highest tier whose threshold they
    /// meet (spend or orders) in the trailing `tier_window_days`.
    pub tiers: Vec<Tier>,
    pub tier_window_days: u32,
    /// A repeat buyer is slipping once the days since their last purchase
    /// exceed this many times their typical interval.
    pub slipping_factor: f64,
    /// A one-time buyer is slipping after this many quiet days.
    pub quiet_days: u32,
    /// A customer is churned after this many days without a purchase (or
    /// once their subscription is cancelled).
    pub churn_days: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub name: String,
    /// Spend in the window, in major units of `currency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_spend: Option<f64>,
    /// Orders in the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_orders: Option<u32>,
}

impl Document for Settings {
    const KEY: &'static str = CUSTOMER_SETTINGS;
    const NAME: &'static str = "settings";
    const MAX_BYTES: usize = 16 * 1024;
    const NEXT: &'static str =
        "POST /customers/admin/refresh?restart=true: re-applies tiers and slipping to every customer";

    fn defaults() -> Self {
        let tier = |name: &str, min_spend: Option<f64>, min_orders: Option<u32>| Tier {
            name: name.into(),
            min_spend,
            min_orders,
        };
        Settings {
            currency: "USD".into(),
            tiers: vec![
                tier("bronze", None, Some(1)),
                tier("silver", Some(500.0), Some(5)),
                tier("gold", Some(2000.0), Some(12)),
                tier("platinum", Some(5000.0), Some(24)),
            ],
            tier_window_days: 365,
            slipping_factor: 1.5,
            quiet_days: 60,
            churn_days: 90,
        }
    }

    fn parse(body: &[u8]) -> Result<Self, Problem> {
        let invalid = || Problem::new(422, "invalid-customer-settings", "Invalid Customer Settings");
        Problem::check_json(body, invalid, "settings", validate)
    }
}

fn validate(s: &Settings) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut error = |field: String, message: &str| {
        errors.push(FieldError {
            field,
            message: message.into(),
        })
    };
    if crate::money::currency(&s.currency).as_deref() != Ok(s.currency.as_str()) {
        error("currency".into(), "must be an uppercase ISO 4217 code such as USD");
    }
    if s.tiers.is_empty() || s.tiers.len() > 10 {
        error("tiers".into(), "1 to 10 tiers, lowest first");
    }
    for (i, tier) in s.tiers.iter().enumerate() {
        if tier.name.trim().is_empty() || tier.name.len() > 40 {
            error(format!("tiers[{i}].name"), "1 to 40 characters");
        }
        if s.tiers[..i].iter().any(|t| t.name == tier.name) {
            error(format!("tiers[{i}].name"), "tier names must differ");
        }
        if tier.min_spend.is_none() && tier.min_orders.is_none() {
            error(format!("tiers[{i}]"), "needs min_spend, min_orders or both");
        }
        if tier.min_spend.is_some_and(|s| !(0.0..=1e12).contains(&s)) {
            error(format!("tiers[{i}].min_spend"), "0 or more");
        }
    }
    if !(1..=3650).contains(&s.tier_window_days) {
        error("tier_window_days".into(), "1 to 3650");
    }
    if !(1.0..=20.0).contains(&s.slipping_factor) {
        error("slipping_factor".into(), "1 to 20");
    }
    if !(1..=3650).contains(&s.quiet_days) {
        error("quiet_days".into(), "1 to 3650");
    }
    if !(1..=3650).contains(&s.churn_days) {
        error("churn_days".into(), "1 to 3650");
    }
    errors
}

/// The settings in force (an admin's, else the defaults).
pub fn current(store: &dyn Store) -> Result<Settings, StoreError> {
    Ok(admin_doc::current::<Settings>(store)?.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_left_out_take_their_defaults() {
        let (settings, filled) = Settings::parse_with_defaults(br#"{"currency": "ILS"}"#).unwrap();
        assert_eq!(settings.currency, "ILS");
        assert_eq!(settings.tiers, Settings::defaults().tiers);
        assert_eq!(
            filled,
            [
                "churn_days",
                "quiet_days",
                "slipping_factor",
                "tier_window_days",
                "tiers"
            ]
        );
    }

    #[test]
    fn the_defaults_are_valid_and_bad_settings_name_their_fields() {
        let defaults = serde_json::to_vec(&Settings::defaults()).unwrap();
        assert_eq!(Settings::parse(&defaults).unwrap(), Settings::defaults());
        let bad = br#"{"currency":"usd","tiers":[{"name":"a"},{"name":"a","min_orders":2}],
            "tier_window_days":0,"slipping_factor":0.5,"quiet_days":60,"churn_days":90}"#;
        let problem = Settings::parse(bad).unwrap_err();
        let fields: Vec<&str> = problem.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "currency",
                "tiers[0]",
                "tiers[1].name",
                "tier_window_days",
                "slipping_factor"
            ]
        );
    }
}
