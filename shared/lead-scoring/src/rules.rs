//! Scoring rules as data: groups with caps, rules with points, conditions
//! and decay, tier thresholds, the at-risk reading of survey answers, and
//! routing. The defaults ship in `shared/lead-scoring/defaults/scoring-rules.json`; an
//! admin replaces them with `PUT /scoring/admin/rules` after [`validate`].

use serde::{Deserialize, Serialize};
use spin_retention_core::admin_doc::About;
use spin_retention_core::http::Reply;
use spin_retention_core::problem::{FieldError, Problem};
use spin_retention_facts::condition::{check_condition, Condition, FactSet};
use spin_retention_facts::fact_type;
pub use spin_retention_scores::rules::Member;
pub use spin_retention_scores::ScoreKind;

pub const DEFAULTS_JSON: &str = include_str!("../defaults/scoring-rules.json");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    pub thresholds: Thresholds,
    /// Fit grade letters (A best) by minimum fit points; below all: D.
    #[serde(default)]
    pub grades: Grades,
    #[serde(default)]
    pub at_risk: AtRisk,
    /// Mail domains counted as free mail besides the built-in list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub free_mail_domains: Vec<String>,
    pub groups: Vec<Group>,
    pub rules: Vec<Rule>,
    #[serde(default)]
    pub routing: Routing,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    pub hot: i64,
    pub warm: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grades {
    #[serde(rename = "A")]
    pub a: i64,
    #[serde(rename = "B")]
    pub b: i64,
    #[serde(rename = "C")]
    pub c: i64,
}

impl Default for Grades {
    fn default() -> Self {
        Grades { a: 30, b: 20, c: 10 }
    }
}

/// Which survey answers make a customer at risk, and for how long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AtRisk {
    pub nps_at_most: u8,
    pub csat_at_most: u8,
    pub ces_at_most: u8,
    pub within_days: u32,
}

impl Default for AtRisk {
    fn default() -> Self {
        AtRisk {
            nps_at_most: 6,
            csat_at_most: 2,
            ces_at_most: 3,
            within_days: 180,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub id: String,
    pub score: ScoreKind,
    /// The most this group adds, however many of its rules fire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub group: String,
    /// Shown to salespeople next to the points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub points: i64,
    /// Points halve every this many days since the activity that fired it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub half_life_days: Option<f64>,
    /// Activities older than this do not fire the rule at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_days: Option<f64>,
    /// All must hold (on one activity).
    pub when: Vec<Condition>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Routing {
    /// Who hot leads go to; empty: hot leads wait in the queue unassigned.
    #[serde(default)]
    pub team: Vec<Member>,
    /// First match wins; no match: round robin over the whole team.
    #[serde(default)]
    pub rules: Vec<RouteRule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteRule {
    pub id: String,
    pub when: Vec<Condition>,
    /// Member ids; several: round robin among them.
    pub assign: Vec<String>,
}

impl spin_retention_core::admin_doc::Document for Rules {
    const KEY: &'static str = crate::keys::SCORING_RULES;
    const NAME: &'static str = "rules";
    const MAX_BYTES: usize = 256 * 1024;
    const NEXT: &'static str = "POST /scoring/admin/rescore until done, to re-score existing leads";

    fn defaults() -> Self {
        Rules::defaults()
    }

    fn parse(body: &[u8]) -> Result<Self, Problem> {
        parse(body)
    }

    /// `GET /scoring/admin/rules`, as its readers read it
    /// (`spin_retention_scores::api::Rules`).
    fn answer(self, about: About) -> Reply {
        Reply::json(200, &spin_retention_scores::api::Rules { about, rules: self })
    }
}

impl Rules {
    pub fn defaults() -> Rules {
        parse(DEFAULTS_JSON.as_bytes()).expect("the shipped default rules are valid")
    }

    pub fn group(&self, id: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.id == id)
    }
}

/// Parses and validates a rule set; `Err` is a 422 naming every bad rule.
pub fn parse(body: &[u8]) -> Result<Rules, Problem> {
    let invalid = || Problem::new(422, "invalid-rules", "Invalid Scoring Rules");
    Problem::check_json(body, invalid, "rules", validate)
}

const MAX_RULES: usize = 500;
/// Keeps sums of points far from overflow.
const MAX_POINTS: i64 = 1_000_000;

/// Every semantic problem, each named by where it is (`rules[<id>].when[0]`).
pub fn validate(rules: &Rules) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut error = |field: String, message: String| errors.push(FieldError { field, message });
    if rules.thresholds.hot <= rules.thresholds.warm {
        error("thresholds".into(), "hot must be greater than warm".into());
    }
    let t = [
        rules.thresholds.hot,
        rules.thresholds.warm,
        rules.grades.a,
        rules.grades.b,
        rules.grades.c,
    ];
    if t.iter().any(|v| v.abs() > MAX_POINTS * 1000) {
        error(
            "thresholds".into(),
            "thresholds and grades must be within the range of scores".into(),
        );
    }
    let g = &rules.grades;
    if !(g.a > g.b && g.b > g.c) {
        error("grades".into(), "A must be above B, and B above C".into());
    }
    if rules.at_risk.within_days == 0 {
        error("at_risk.within_days".into(), "must be at least 1".into());
    }
    if rules.rules.len() > MAX_RULES {
        error("rules".into(), format!("at most {MAX_RULES} rules"));
    }
    for (i, group) in rules.groups.iter().enumerate() {
        let at = format!("groups[{}]", label(&group.id, i));
        if group.id.trim().is_empty() {
            error(at.clone(), "id must not be empty".into());
        }
        if rules.groups[..i].iter().any(|g| g.id == group.id) {
            error(at.clone(), format!("duplicate group id \"{}\"", group.id));
        }
        if group.cap.is_some_and(|c| !(0..=MAX_POINTS).contains(&c)) {
            error(format!("{at}.cap"), format!("must be 0 to {MAX_POINTS}"));
        }
    }
    for (i, rule) in rules.rules.iter().enumerate() {
        let at = format!("rules[{}]", label(&rule.id, i));
        if rule.id.trim().is_empty() {
            error(at.clone(), "id must not be empty".into());
        }
        if rules.rules[..i].iter().any(|r| r.id == rule.id) {
            error(at.clone(), format!("duplicate rule id \"{}\"", rule.id));
        }
        if rule.points.abs() > MAX_POINTS {
            error(
                format!("{at}.points"),
                format!("must be between -{MAX_POINTS} and {MAX_POINTS}"),
            );
        }
        if rules.group(&rule.group).is_none() {
            error(format!("{at}.group"), format!("no group \"{}\"", rule.group));
        }
        for (name, days) in [
            ("half_life_days", rule.half_life_days),
            ("max_age_days", rule.max_age_days),
        ] {
            if days.is_some_and(|d| !(d.is_finite() && d > 0.0)) {
                error(format!("{at}.{name}"), "must be a positive number of days".into());
            }
        }
        if rule.when.is_empty() {
            error(format!("{at}.when"), "needs at least one condition".into());
        }
        for (j, c) in rule.when.iter().enumerate() {
            check_condition(c, &format!("{at}.when[{j}]"), &SCORING_FACTS, &mut error);
        }
    }
    let team = &rules.routing.team;
    for (i, member) in team.iter().enumerate() {
        let at = format!("routing.team[{}]", label(&member.id, i));
        if member.id.trim().is_empty() || member.name.trim().is_empty() {
            error(at.clone(), "id and name must not be empty".into());
        }
        if team[..i].iter().any(|m| m.id == member.id) {
            error(at, format!("duplicate member id \"{}\"", member.id));
        }
    }
    for (i, route) in rules.routing.rules.iter().enumerate() {
        let at = format!("routing.rules[{}]", label(&route.id, i));
        // Route ids name round-robin pools; "team" is the whole team's.
        if route.id.trim().is_empty() || route.id == "team" {
            error(at.clone(), "id must be set, and not \"team\"".into());
        }
        if rules.routing.rules[..i].iter().any(|r| r.id == route.id) {
            error(at.clone(), format!("duplicate routing rule id \"{}\"", route.id));
        }
        if route.assign.is_empty() {
            error(format!("{at}.assign"), "names no team member".into());
        }
        for id in route.assign.iter().filter(|id| !team.iter().any(|m| &m.id == *id)) {
            error(format!("{at}.assign"), format!("no team member \"{id}\""));
        }
        for (j, c) in route.when.iter().enumerate() {
            check_condition(c, &format!("{at}.when[{j}]"), &SCORING_FACTS, &mut error);
        }
    }
    errors
}

fn label(id: &str, index: usize) -> String {
    if id.trim().is_empty() {
        index.to_string()
    } else {
        id.to_string()
    }
}

const SCORING_FACTS: FactSet = FactSet {
    type_of: fact_type,
    listed_at: "GET /scoring/admin/rules",
};

#[cfg(test)]
mod tests {
    use super::*;
    use spin_retention_core::admin_doc::Document;

    #[test]
    fn rules_left_out_take_the_shipped_ones() {
        let (rules, filled) = Rules::parse_with_defaults(br#"{"thresholds": {"hot": 50, "warm": 20}}"#).unwrap();
        assert_eq!((rules.thresholds.hot, rules.thresholds.warm), (50, 20));
        assert_eq!(rules.rules, Rules::defaults().rules);
        assert!(
            filled.contains(&"rules".to_string()) && filled.contains(&"groups".to_string()),
            "{filled:?}"
        );
        assert!(!filled.contains(&"thresholds".to_string()));
    }

    #[test]
    fn shipped_defaults_are_valid() {
        let rules = Rules::defaults();
        assert!(validate(&rules).is_empty());
        assert_eq!(rules.version(), Rules::defaults().version());
    }

    #[test]
    fn errors_name_the_bad_rule() {
        let mut rules: serde_json::Value = serde_json::from_str(DEFAULTS_JSON).unwrap();
        rules["rules"][0]["when"][0] = serde_json::json!({"fact": "pagez", "contains": "/pricing"});
        rules["rules"][1]["group"] = "nope".into();
        rules["rules"][2]["when"][0] = serde_json::json!({"fact": "visits", "contains": "2"});
        let first = rules["rules"][0]["id"].as_str().unwrap().to_string();
        let problem = parse(rules.to_string().as_bytes()).unwrap_err();
        assert_eq!(problem.status, 422);
        assert_eq!(problem.errors.len(), 3, "{:?}", problem.errors);
        assert_eq!(problem.errors[0].field, format!("rules[{first}].when[0]"));
        assert!(problem.errors[0].message.contains("unknown fact \"pagez\""));
        assert!(problem.errors[1].message.contains("no group \"nope\""));
        assert!(problem.errors[2].message.contains("\"contains\" does not fit visits"));
    }

    #[test]
    fn shape_errors_give_the_path() {
        let problem = parse(br#"{"thresholds": {"hot": 50, "warm": 20}, "groups": [], "rules": [{"id": "x", "group": "g", "points": "ten", "when": []}]}"#).unwrap_err();
        assert_eq!(problem.status, 422);
        assert!(problem.detail.unwrap().starts_with("at rules[0].points"));
        let problem = parse(b"not json").unwrap_err();
        assert_eq!(problem.status, 422);
    }

    #[test]
    fn routing_must_name_real_members() {
        let mut rules = Rules::defaults();
        rules.routing.team = vec![Member {
            id: "dana".into(),
            name: "Dana".into(),
            email: None,
        }];
        rules.routing.rules = vec![RouteRule {
            id: "israel".into(),
            when: vec![],
            assign: vec!["dana".into(), "noa".into()],
        }];
        let errors = validate(&rules);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "routing.rules[israel].assign");
        // "team" is the whole team's round-robin pool; points stay summable.
        rules.routing.rules[0].id = "team".into();
        rules.routing.rules[0].assign = vec!["dana".into()];
        rules.rules[0].points = i64::MAX;
        let fields: Vec<String> = validate(&rules).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["rules[pricing-page].points", "routing.rules[team]"]);
    }
}
