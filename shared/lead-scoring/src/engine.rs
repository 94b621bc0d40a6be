//! The rule engine: facts in, an explained score out. Pure: the same lead,
//! rules and clock always give the same score, so re-scoring is idempotent.

use super::rules::{Rule, Rules, ScoreKind};
use spin_retention_core::signals::SurveyKind;
use spin_retention_facts::condition::Condition;
use spin_retention_facts::{Activity, Facts};
pub use spin_retention_scores::{AtRiskReason, Fired, GroupTotal, Score, Tier};

pub fn evaluate(rules: &Rules, facts: &Facts) -> Score {
    let fired: Vec<Fired> = rules.rules.iter().filter_map(|rule| fire(rule, rules, facts)).collect();
    let groups: Vec<GroupTotal> = rules
        .groups
        .iter()
        .map(|group| {
            let raw = fired.iter().filter(|f| f.group == group.id).map(|f| f.points).sum();
            GroupTotal {
                group: group.id.clone(),
                score: group.score,
                raw,
                cap: group.cap,
                points: group.cap.map_or(raw, |cap| raw.min(cap)),
            }
        })
        .collect();
    let sum = |kind: ScoreKind| groups.iter().filter(|g| g.score == kind).map(|g| g.points).sum::<i64>();
    let (fit, engagement) = (sum(ScoreKind::Fit), sum(ScoreKind::Engagement));
    let total = fit + engagement;
    let t = &rules.thresholds;
    let tier = if total >= t.hot {
        Tier::Hot
    } else if total >= t.warm {
        Tier::Warm
    } else {
        Tier::Cold
    };
    let g = &rules.grades;
    let grade = match fit {
        f if f >= g.a => 'A',
        f if f >= g.b => 'B',
        f if f >= g.c => 'C',
        _ => 'D',
    };
    let at_risk_reason = at_risk(rules, facts);
    let slipping_since = facts.slipping_since();
    Score {
        fit,
        engagement,
        total,
        tier,
        grade,
        at_risk: at_risk_reason.is_some() || slipping_since.is_some(),
        at_risk_reason,
        slipping_since,
        groups,
        fired,
    }
}

/// The newest activity on which every condition holds (`Some(None)`: a
/// lead without activities whose profile matches).
pub fn first_match<'f>(when: &[Condition], facts: &'f Facts) -> Option<Option<&'f Activity>> {
    let holds = |activity: Option<&Activity>| when.iter().all(|c| c.holds(&|name: &str| facts.get(name, activity)));
    if facts.activities.is_empty() {
        return holds(None).then_some(None);
    }
    facts.activities.iter().find(|a| holds(Some(a))).map(Some)
}

/// The rule on the newest activity where all its conditions hold.
fn fire(rule: &Rule, rules: &Rules, facts: &Facts) -> Option<Fired> {
    let evidence = first_match(&rule.when, facts)?;
    let age_days = evidence.map_or(0.0, |a| (facts.now - a.at).num_seconds().max(0) as f64 / 86_400.0);
    if rule.max_age_days.is_some_and(|max| age_days > max) {
        return None;
    }
    let decay = rule.half_life_days.map(|half| 0.5f64.powf(age_days / half));
    let points = (rule.points as f64 * decay.unwrap_or(1.0)).round() as i64;
    let description = rule.description.as_deref().unwrap_or(&rule.id);
    let when = match age_days {
        d if d < 1.0 => "today".to_string(),
        d if d < 2.0 => "1 day ago".to_string(),
        d => format!("{} days ago", d.floor()),
    };
    let score = rules.group(&rule.group).map_or(ScoreKind::Engagement, |g| g.score);
    // Who someone is has no date; what they did has.
    let why = match evidence {
        Some(_) if score == ScoreKind::Engagement || decay.is_some() => format!("{points:+} {description} ({when})"),
        _ => format!("{points:+} {description}"),
    };
    Some(Fired {
        rule: rule.id.clone(),
        group: rule.group.clone(),
        score,
        points,
        base_points: rule.points,
        decay: decay.map(|d| (d * 1000.0).round() / 1000.0),
        evidence: evidence.map(|a| a.id.clone()),
        evidence_at: evidence.map(|a| a.at),
        why,
    })
}

/// The newest recent answer at or below the at-risk line of its scale.
fn at_risk(rules: &Rules, facts: &Facts) -> Option<AtRiskReason> {
    let r = &rules.at_risk;
    let window = chrono::Duration::days(i64::from(r.within_days));
    facts
        .surveys
        .answers
        .iter()
        .filter(|a| facts.now - a.answered_at <= window)
        .filter(|a| {
            a.score
                <= match a.kind {
                    SurveyKind::Nps => r.nps_at_most,
                    SurveyKind::Csat => r.csat_at_most,
                    SurveyKind::Ces => r.ces_at_most,
                }
        })
        .max_by_key(|a| a.answered_at)
        .map(|a| AtRiskReason {
            survey_id: a.survey_id.clone(),
            kind: a.kind,
            score: a.score,
            answered_at: a.answered_at,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Group, Thresholds};
    use chrono::{DateTime, Duration, TimeZone, Utc};
    use spin_retention_core::lead::{Attribution, Channel, Contact, Lead, Submission};
    use spin_retention_core::signals::{AnswerSignal, LeadSurveys};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
    }

    fn submission(id: &str, days_ago: i64, pages: &[&str], phone: bool, email: &str) -> Submission {
        Submission {
            id: id.into(),
            lead_id: "l_1".into(),
            received_at: now() - Duration::days(days_ago),
            form: Some("contact".into()),
            contact: Contact {
                email: Some(email.into()),
                phone: phone.then(|| "+972525551234".into()),
                ..Contact::default()
            },
            message: None,
            language: None,
            channel: Channel::Email,
            attribution: Attribution {
                pages: pages.iter().map(|p| p.to_string()).collect(),
                ..Attribution::default()
            },
            consent: None,
            custom: Default::default(),
            origin: Default::default(),
            client_hash: None,
        }
    }

    fn lead_of(subs: &[Submission]) -> Lead {
        let mut lead = Lead::new(&subs[0]);
        for s in &subs[1..] {
            lead.merge(s);
        }
        lead
    }

    fn score(rules: &Rules, subs: &[Submission], surveys: &LeadSurveys) -> Score {
        let lead = lead_of(subs);
        evaluate(rules, &Facts::new(&lead, subs, surveys, &[], now()))
    }

    fn fired<'a>(score: &'a Score, rule: &str) -> Option<&'a Fired> {
        score.fired.iter().find(|f| f.rule == rule)
    }

    #[test]
    fn seed_case_pricing_then_phone_is_hot() {
        let subs = [
            submission("s_1", 0, &["/pricing"], false, "dana@gmail.com"),
            submission("s_2", 0, &[], true, "dana@gmail.com"),
        ];
        let s = score(&Rules::defaults(), &subs, &LeadSurveys::default());
        assert_eq!(s.tier, Tier::Hot, "{s:#?}");
        for rule in [
            "pricing-page",
            "left-phone",
            "free-mail",
            "recent-activity",
            "repeat-visits",
        ] {
            assert!(fired(&s, rule).is_some(), "{rule} should fire: {s:#?}");
        }
        assert_eq!(fired(&s, "pricing-page").unwrap().evidence.as_deref(), Some("s_1"));
        assert_eq!(fired(&s, "left-phone").unwrap().why, "+25 left a phone number (today)");
        assert_eq!(fired(&s, "free-mail").unwrap().why, "-5 a free mail address");
        assert_eq!(s.total, s.fit + s.engagement);
        assert_eq!(s.total, s.groups.iter().map(|g| g.points).sum::<i64>());
    }

    #[test]
    fn one_visit_without_intent_is_cold() {
        let subs = [submission("s_1", 0, &["/blog"], false, "dana@gmail.com")];
        let s = score(&Rules::defaults(), &subs, &LeadSurveys::default());
        assert_eq!(s.tier, Tier::Cold);
        assert_eq!(s.total, 5, "{s:#?}");
        assert_eq!(s.grade, 'D');
    }

    fn one_rule(points: i64, half_life: Option<f64>, cap: Option<i64>) -> Rules {
        Rules {
            thresholds: Thresholds { hot: 40, warm: 20 },
            grades: Default::default(),
            at_risk: Default::default(),
            free_mail_domains: vec![],
            groups: vec![Group {
                id: "g".into(),
                score: ScoreKind::Engagement,
                cap,
            }],
            rules: ["a", "b"]
                .iter()
                .map(|id| Rule {
                    id: id.to_string(),
                    group: "g".into(),
                    description: None,
                    points,
                    half_life_days: half_life,
                    max_age_days: None,
                    when: vec![Condition {
                        fact: Some("pages".into()),
                        contains: Some("/pricing".into()),
                        ..Condition::default()
                    }],
                })
                .collect(),
            routing: Default::default(),
        }
    }

    #[test]
    fn caps_hold_a_group_but_explain_every_rule() {
        let subs = [submission("s_1", 0, &["/pricing"], false, "a@x.io")];
        let s = score(&one_rule(30, None, Some(40)), &subs, &LeadSurveys::default());
        assert_eq!(s.fired.len(), 2);
        assert_eq!(s.groups[0].raw, 60);
        assert_eq!(s.groups[0].points, 40);
        assert_eq!(s.total, 40);
        assert_eq!(s.tier, Tier::Hot, "thresholds are inclusive");
    }

    #[test]
    fn decay_halves_by_date_of_the_newest_evidence() {
        let rules = one_rule(40, Some(30.0), None);
        let old = [submission("s_1", 30, &["/pricing"], false, "a@x.io")];
        let s = score(&rules, &old, &LeadSurveys::default());
        assert_eq!(fired(&s, "a").unwrap().points, 20);
        assert_eq!(fired(&s, "a").unwrap().decay, Some(0.5));
        assert_eq!(fired(&s, "a").unwrap().why, "+20 a (30 days ago)");
        let older = [submission("s_1", 60, &["/pricing"], false, "a@x.io")];
        assert_eq!(
            fired(&score(&rules, &older, &LeadSurveys::default()), "a")
                .unwrap()
                .points,
            10
        );
        // A newer visit to the page renews it.
        let renewed = [older[0].clone(), submission("s_2", 0, &["/pricing"], false, "a@x.io")];
        let s = score(&rules, &renewed, &LeadSurveys::default());
        assert_eq!(fired(&s, "a").unwrap().points, 40);
        assert_eq!(fired(&s, "a").unwrap().evidence.as_deref(), Some("s_2"));
    }

    #[test]
    fn max_age_and_thresholds() {
        let rules = Rules::defaults();
        let last_week = [submission("s_1", 8, &["/blog"], false, "a@acme.io")];
        let s = score(&rules, &last_week, &LeadSurveys::default());
        assert!(fired(&s, "recent-activity").is_none(), "older than 7 days");
        assert_eq!(s.total, 10);
        assert_eq!(s.tier, Tier::Cold);
        let pricing = [submission("s_1", 0, &["/pricing"], false, "a@acme.io")];
        let s = score(&rules, &pricing, &LeadSurveys::default());
        assert_eq!(s.total, 50, "{s:#?}");
        assert_eq!(s.tier, Tier::Hot);
        let mut warm_rules = rules.clone();
        warm_rules.thresholds.hot = 51;
        assert_eq!(score(&warm_rules, &pricing, &LeadSurveys::default()).tier, Tier::Warm);
    }

    #[test]
    fn detractor_answers_mark_at_risk_and_count_as_engagement() {
        let subs = [submission("s_1", 40, &[], false, "a@acme.io")];
        let answer = |score, days| AnswerSignal {
            survey_id: "nps-q4".into(),
            kind: SurveyKind::Nps,
            score,
            answered_at: now() - Duration::days(days),
        };
        let surveys = LeadSurveys {
            answers: vec![answer(4, 2)],
            opened: vec![],
        };
        let s = score(&Rules::defaults(), &subs, &surveys);
        assert!(s.at_risk);
        assert_eq!(s.at_risk_reason.as_ref().unwrap().score, 4);
        assert!(fired(&s, "survey-answered").is_some());
        assert!(fired(&s, "recent-activity").is_some(), "a survey answer is activity");
        let promoter = LeadSurveys {
            answers: vec![answer(9, 2)],
            opened: vec![],
        };
        let s = score(&Rules::defaults(), &subs, &promoter);
        assert!(!s.at_risk);
        assert_eq!(fired(&s, "survey-promoter").unwrap().points, 10);
        let long_ago = LeadSurveys {
            answers: vec![answer(2, 400)],
            opened: vec![],
        };
        assert!(
            !score(&Rules::defaults(), &subs, &long_ago).at_risk,
            "outside the window"
        );
    }
}
