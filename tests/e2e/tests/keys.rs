//! The key table (the module doc of `spin_retention_core::keys`) is the one
//! place every key is listed: each key in it has its constructor, and every
//! constructor makes a key of the table.

use chrono::NaiveDate;
use spin_retention_audience_export::keys as audience;
use spin_retention_core::keys as core;
use spin_retention_customers::keys as customers;
use spin_retention_dashboard::keys as dashboard;
use spin_retention_instant_ack::keys as ack;
use spin_retention_journeys::keys as journeys;
use spin_retention_lead_alerts::keys as alerts;
use spin_retention_lead_intake::keys as intake;
use spin_retention_lead_scoring::keys as scoring;
use spin_retention_survey::keys as survey;
use std::path::PathBuf;

/// The key patterns of the table: its first column, where `#n`, `#<slot>`
/// and the like continue the pattern before them.
fn table() -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/core/src/keys.rs");
    let text = std::fs::read_to_string(path).unwrap();
    let mut patterns = Vec::new();
    for line in text.lines() {
        let Some(row) = line.strip_prefix("//! | `") else {
            continue;
        };
        let first_cell = format!("`{}", row.split(" | ").next().unwrap());
        let mut base = String::new();
        for part in first_cell.split('`').skip(1).step_by(2) {
            let pattern = if part.starts_with('#') {
                format!("{}{part}", base.split('#').next().unwrap())
            } else {
                part.to_string()
            };
            base = pattern.clone();
            patterns.push(pattern);
        }
    }
    patterns
}

/// Whether `key` is `pattern` with each `<...>` standing for one or more
/// characters.
fn matches(pattern: &str, key: &str) -> bool {
    match pattern.find('<') {
        None => pattern == key,
        Some(start) => {
            let Some(literal) = key.strip_prefix(&pattern[..start]) else {
                return false;
            };
            let rest = &pattern[start + pattern[start..].find('>').unwrap() + 1..];
            (1..=literal.len()).any(|n| literal.is_char_boundary(n) && matches(rest, &literal[n..]))
        }
    }
}

fn due() -> spin_retention_journeys::due::Due {
    let at = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap();
    spin_retention_journeys::due::Due {
        instance: "abandoned-checkout:l_1:1".into(),
        step: 1,
        attempt: 0,
        at,
        first_due: at,
    }
}

/// One key made by every constructor, with what a log, set or sorted set
/// adds to its name.
fn constructed() -> Vec<String> {
    let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    vec![
        core::health("lead-intake").to_string(),
        core::lead("l_1").to_string(),
        format!("{}#n", core::lead_log("l_1")),
        format!("{}#3", core::lead_log("l_1")),
        core::lead_fold("l_1").to_string(),
        core::submission("s_1").to_string(),
        core::lead_by_email("dana@example.com"),
        core::lead_by_phone("+12015550123"),
        format!("{}#n", core::SUBMISSIONS),
        format!("{}#7", core::SUBMISSIONS),
        core::after_reply_running(29_000_000),
        core::rate("127.0.0.1", 29_000_000),
        core::suppressed("dana@example.com").to_string(),
        format!("{}:buckets", core::LEADS_INDEX),
        format!("{}:a1", core::LEADS_INDEX),
        core::SCORING_RULES.to_string(),
        core::RESCORE_RUN.to_string(),
        format!("{}#n", core::lead_surveys("l_1")),
        format!("{}#2", core::lead_surveys("l_1")),
        core::AUDIENCE_DEFINITIONS.to_string(),
        core::AUDIENCE_REFRESH.to_string(),
        intake::handoff("s_1").to_string(),
        intake::handoffs_from().to_string(),
        intake::handoffs_cursor().to_string(),
        intake::erasure_cursor().to_string(),
        intake::erasure("l_1").to_string(),
        format!("{}#n", intake::ERASURES),
        format!("{}#1", intake::ERASURES),
        intake::erasure_retry().to_string(),
        ack::ack("s_1").to_string(),
        ack::ack_claim("s_1", 5_986_696, 0),
        ack::ack_number("+12015550123").to_string(),
        ack::ack_new_numbers(day),
        scoring::score("l_1").to_string(),
        format!("{}#n", scoring::score_log("l_1")),
        format!("{}#2", scoring::score_log("l_1")),
        format!("{}:buckets", scoring::HOT_QUEUE_NEWEST),
        format!("{}:2026-11-23", scoring::HOT_QUEUE_NEWEST),
        format!("{}:buckets", scoring::HOT_QUEUE_SCORE),
        format!("{}:000080", scoring::HOT_QUEUE_SCORE),
        scoring::round_robin("team"),
        scoring::round_robin_claim("team", "l_1"),
        scoring::round_robin_turn("team", "l_1"),
        survey::survey("nps-q4").to_string(),
        survey::survey_answer("nps-q4", "l_1").to_string(),
        survey::survey_day("nps-q4", day),
        survey::SURVEYS.to_string(),
        survey::follow_up("nps-q4", "l_1").to_string(),
        format!("{}:buckets", survey::FOLLOW_UPS),
        format!("{}:2026-11-23", survey::FOLLOW_UPS),
        audience::audience_member("l_1").to_string(),
        format!("{}:buckets", audience::audience_index("promoters")),
        format!("{}:2026-11-23.a", audience::audience_index("promoters")),
        audience::export("x_1").to_string(),
        format!("{}:buckets", audience::EXPORT_LOG),
        format!("{}:2026-11-23", audience::EXPORT_LOG),
        intake::catch_up(29_000_000),
        spin_retention_core::events::interest_key().to_string(),
        spin_retention_core::team::away_key("dana").to_string(),
        "alert-settings".into(),
        "webhook-endpoints".into(),
        alerts::step("l_1", 0).to_string(),
        alerts::step_claim("l_1", 1, 3),
        alerts::claim("l_1", 0),
        alerts::contact("l_1", 0),
        alerts::claimed("l_1").to_string(),
        alerts::contacted("l_1").to_string(),
        format!("{}#n", alerts::ALERTED),
        format!("{}#4", alerts::ALERTED),
        alerts::open_from().to_string(),
        format!("{}#n", alerts::alerted_week("2026-W48")),
        format!("{}#1", alerts::alerted_week("2026-W48")),
        alerts::tick_minute(29_000_000),
        alerts::event("evt_1").to_string(),
        alerts::delivery("evt_1.crm").to_string(),
        alerts::attempt_claim("evt_1.crm", 2, 0),
        format!("{}#n", alerts::lead_keys("l_1")),
        format!("{}#2", alerts::lead_keys("l_1")),
        alerts::owner_alert("s_1"),
        format!("{}#n", alerts::digest_day(day)),
        format!("{}#1", alerts::digest_day(day)),
        alerts::digest(day).to_string(),
        alerts::digest_claim(day, 0),
        format!("{}#n", alerts::DELIVERIES),
        format!("{}#9", alerts::DELIVERIES),
        alerts::pending_from().to_string(),
        core::customer("l_1").to_string(),
        format!("{}#n", customers::customer_log("l_1")),
        format!("{}#2", customers::customer_log("l_1")),
        customers::customer_event("ce_1").to_string(),
        customers::stripe_customer("cus_1").to_string(),
        format!("{}#n", customers::customer_day(day)),
        format!("{}#5", customers::customer_day(day)),
        format!("{}:buckets", customers::CUSTOMERS_INDEX),
        format!("{}:a1", customers::CUSTOMERS_INDEX),
        customers::CUSTOMER_SETTINGS.to_string(),
        customers::rfm_quintiles().to_string(),
        customers::customers_refresh().to_string(),
        customers::customer_at_risk("l_1", 1_790_000_000),
        format!("{}#n", customers::customer_keys("l_1")),
        format!("{}#1", customers::customer_keys("l_1")),
        customers::customers_tick(29_000_000),
        dashboard::signed_out("0123abcd"),
        "journeys".to_string(),
        journeys::known().to_string(),
        journeys::interest().to_string(),
        journeys::version("abandoned-checkout", "0123456789ab").to_string(),
        format!("{}#n", journeys::due(29_000_000)),
        format!("{}#4", journeys::due(29_000_000)),
        journeys::due_from(29_000_000).to_string(),
        journeys::due_mark().to_string(),
        journeys::seen("abandoned-checkout", "ce_1"),
        journeys::entries("abandoned-checkout", "l_1"),
        journeys::instance("abandoned-checkout:l_1:1").to_string(),
        journeys::exit("abandoned-checkout:l_1:1").to_string(),
        journeys::done(&due()).to_string(),
        journeys::turn(&due(), 3),
        journeys::armed("birthday", "l_1").to_string(),
        format!("{}#n", spin_retention_core::tags::set_name("l_1")),
        format!("{}#2", spin_retention_core::tags::set_name("l_1")),
        format!("{}#snap", spin_retention_core::tags::set_name("l_1")),
        journeys::sent("l_1", "email", 30_000),
        journeys::week("l_1", "email", "2026-W50"),
        journeys::opt_out("l_1", "marketing").to_string(),
        journeys::count("abandoned-checkout", "sent"),
        journeys::surveyed("l_1").to_string(),
        journeys::tick_turn(29_000_000),
        journeys::converted("abandoned-checkout:l_1:1"),
        journeys::recovered("detractor-recovery:l_1:1"),
        journeys::click("abandoned-checkout:l_1:1", 1),
        journeys::clicked("abandoned-checkout:l_1:1", 1).to_string(),
        format!("{}#n", journeys::coupons("cart-comeback")),
        format!("{}#3", journeys::coupons("cart-comeback")),
        journeys::coupons_issued("cart-comeback"),
        journeys::coupon_of("cart-comeback", "abandoned-checkout", "l_1").to_string(),
    ]
}

#[test]
fn every_key_of_the_table_has_its_constructor_and_no_other_key_exists() {
    let table = table();
    assert!(table.len() > 30, "{table:?}");
    let keys = constructed();
    for key in &keys {
        assert!(
            table.iter().any(|p| matches(p, key)),
            "{key} is in no row of the key table"
        );
    }
    for pattern in &table {
        assert!(
            keys.iter().any(|k| matches(pattern, k)),
            "{pattern}: no constructor makes this key"
        );
    }
}

#[test]
fn patterns_match_as_meant() {
    assert!(matches("score:<lead_id>", "score:l_1"));
    assert!(!matches("score:<lead_id>", "score:"));
    assert!(matches("audience:<id>:<day>.<h>", "audience:promoters:2026-11-23.a"));
    assert!(!matches("lead:<lead_id>", "lead-log:l_1"));
}
