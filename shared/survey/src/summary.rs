//! Survey summaries: counts and the score each scale is known by, overall
//! and per day or ISO week, over a date range.
//!
//! - NPS = % promoters (9-10) - % detractors (0-6), from the unrounded
//!   shares, rounded to a whole number half away from zero, as Delighted,
//!   Qualtrics and SurveyMonkey report it (-100..100).
//! - CSAT = % of answers 4 or 5 on 1-5; also the mean.
//! - CES = the mean on 1-7, and % agreeing (5-7) that it was easy.
//!
//! Percentages have one decimal and means two; no answers gives `null`,
//! never a made-up 0.

use super::answer::Answer;
use super::definition::Survey;
use crate::keys;
use chrono::NaiveDate;
use spin_retention_core::sets;
use spin_retention_core::signals::{Band, SurveyKind};
use spin_retention_core::store::{JsonStore, Store, StoreError};
use std::collections::BTreeMap;

/// A summary and its stats: contracts, since the summary route answers them.
pub use spin_retention_core::contracts::survey::{Ces, Csat, Nps, PeriodStats, Stats, Summary};

fn pct(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (1000.0 * part as f64 / whole as f64).round() / 10.0)
}

fn mean(scores: &[u8]) -> Option<f64> {
    (!scores.is_empty()).then(|| {
        let sum: u64 = scores.iter().map(|s| u64::from(*s)).sum();
        (100.0 * sum as f64 / scores.len() as f64).round() / 100.0
    })
}

pub fn stats(kind: SurveyKind, scores: &[u8]) -> Stats {
    let n = scores.len() as u64;
    let count = |keep: &dyn Fn(u8) -> bool| scores.iter().filter(|s| keep(**s)).count() as u64;
    let mut distribution = BTreeMap::new();
    for s in scores {
        *distribution.entry(*s).or_insert(0) += 1;
    }
    let mut stats = Stats {
        count: n,
        distribution,
        nps: None,
        csat: None,
        ces: None,
    };
    match kind {
        SurveyKind::Nps => {
            let band = |b: Band| count(&|s| kind.band(s) == b);
            let (p, pa, d) = (band(Band::Promoter), band(Band::Passive), band(Band::Detractor));
            stats.nps = Some(Nps {
                promoters: p,
                passives: pa,
                detractors: d,
                promoters_pct: pct(p, n),
                passives_pct: pct(pa, n),
                detractors_pct: pct(d, n),
                // f64::round is half away from zero.
                score: (n > 0).then(|| (100.0 * (p as f64 - d as f64) / n as f64).round() as i64),
            });
        }
        SurveyKind::Csat => {
            let satisfied = count(&|s| s >= 4);
            stats.csat = Some(Csat {
                satisfied,
                score_pct: pct(satisfied, n),
                mean: mean(scores),
            });
        }
        SurveyKind::Ces => {
            let agree = count(&|s| s >= 5);
            stats.ces = Some(Ces {
                mean: mean(scores),
                agree,
                agree_pct: pct(agree, n),
            });
        }
    }
    stats
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Day,
    Week,
}

impl Period {
    pub fn parse(s: &str) -> Option<Period> {
        match s {
            "day" => Some(Period::Day),
            "week" => Some(Period::Week),
            _ => None,
        }
    }

    /// `2026-11-23`, or the ISO week `2026-W48`.
    fn label(self, day: NaiveDate) -> String {
        match self {
            Period::Day => day.format("%Y-%m-%d").to_string(),
            Period::Week => spin_retention_core::calendar::iso_week(day),
        }
    }
}

/// Reads one list per day in the range and each answer listed: the cost
/// follows the days and answers asked for, not the store. Each person counts
/// once, on the day of their latest answer.
pub fn summarise(
    store: &dyn Store,
    survey: &Survey,
    from: NaiveDate,
    to: NaiveDate,
    period: Period,
) -> Result<Summary, StoreError> {
    let mut per_period: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut all = Vec::new();
    for day in from.iter_days().take_while(|d| *d <= to) {
        let mut leads = sets::list(store, &keys::survey_day(&survey.id, day))?;
        leads.sort_unstable();
        leads.dedup();
        for lead_id in leads {
            let answer: Option<Answer> = store.get_json(&keys::survey_answer(&survey.id, &lead_id))?;
            if let Some(answer) = answer.filter(|a| a.day() == day) {
                per_period.entry(period.label(day)).or_default().push(answer.score);
                all.push(answer.score);
            }
        }
    }
    Ok(Summary {
        survey_id: survey.id.clone(),
        kind: survey.kind,
        from,
        to,
        overall: stats(survey.kind, &all),
        periods: per_period
            .into_iter()
            .map(|(period, scores)| PeriodStats {
                period,
                stats: stats(survey.kind, &scores),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nps(scores: &[u8]) -> Nps {
        stats(SurveyKind::Nps, scores).nps.unwrap()
    }

    #[test]
    fn nps_worked_examples() {
        // 5 promoters, 3 passives, 2 detractors of 10: 50% - 20% = 30.
        let n = nps(&[10, 9, 9, 10, 9, 8, 7, 7, 6, 0]);
        assert_eq!((n.promoters, n.passives, n.detractors), (5, 3, 2));
        assert_eq!(
            (n.promoters_pct, n.detractors_pct, n.score),
            (Some(50.0), Some(20.0), Some(30))
        );
        // All passives: 0, not null.
        assert_eq!(nps(&[7, 8, 8]).score, Some(0));
        // All detractors: -100; all promoters: 100.
        assert_eq!(nps(&[0, 6]).score, Some(-100));
        assert_eq!(nps(&[9, 10]).score, Some(100));
        // No answers: no score.
        let none = nps(&[]);
        assert_eq!((none.score, none.promoters_pct), (None, None));
    }

    #[test]
    fn nps_rounds_the_difference_not_the_shares() {
        // 2 of 3 promoters, 1 detractor: 66.67 - 33.33 = 33.33 -> 33.
        assert_eq!(nps(&[9, 9, 0]).score, Some(33));
        // 1 promoter of 8: 12.5 -> 13; 1 detractor of 8: -12.5 -> -13.
        assert_eq!(nps(&[9, 7, 7, 7, 7, 7, 7, 7]).score, Some(13));
        assert_eq!(nps(&[0, 7, 7, 7, 7, 7, 7, 7]).score, Some(-13));
        // 1 promoter, 0 detractors of 6: 16.67 -> 17, shares to one decimal.
        let n = nps(&[10, 8, 8, 8, 8, 8]);
        assert_eq!(
            (n.score, n.promoters_pct, n.passives_pct),
            (Some(17), Some(16.7), Some(83.3))
        );
        // 1 of 3 each way: 33.3 - 33.3 = 0, even though the shares round alike.
        assert_eq!(nps(&[10, 8, 3]).score, Some(0));
    }

    #[test]
    fn csat_and_ces() {
        let c = stats(SurveyKind::Csat, &[5, 4, 3, 2, 1]).csat.unwrap();
        assert_eq!((c.satisfied, c.score_pct, c.mean), (2, Some(40.0), Some(3.0)));
        let c = stats(SurveyKind::Csat, &[5, 5, 4]).csat.unwrap();
        assert_eq!(c.score_pct, Some(100.0));
        assert_eq!(c.mean, Some(4.67));
        let e = stats(SurveyKind::Ces, &[7, 5, 4, 1]).ces.unwrap();
        assert_eq!((e.mean, e.agree, e.agree_pct), (Some(4.25), 2, Some(50.0)));
        let empty = stats(SurveyKind::Ces, &[]);
        assert_eq!(empty.count, 0);
        assert_eq!(empty.ces.unwrap().mean, None);
        assert_eq!(
            stats(SurveyKind::Csat, &[4, 4, 1]).distribution,
            BTreeMap::from([(1, 1), (4, 2)])
        );
    }

    #[test]
    fn weeks_are_iso_weeks() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(Period::Week.label(d("2026-11-23")), "2026-W48");
        assert_eq!(Period::Week.label(d("2027-01-01")), "2026-W53");
        assert_eq!(Period::Day.label(d("2026-11-23")), "2026-11-23");
    }
}
