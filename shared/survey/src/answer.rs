//! Recording an answer: one per person per survey (a later one replaces the
//! earlier), listed under the day it was given so summaries read only the
//! days asked for, told to the rest of the app through the lead's survey
//! signals, and turned into a follow-up task when the person is unhappy.

use super::definition::Survey;
use crate::keys;
use chrono::{DateTime, Utc};
use spin_retention_core::sets;
use spin_retention_core::signals::{self, AnswerSignal, Band, OpenedSignal};
use spin_retention_core::sorted_sets::{self, Position};
use spin_retention_core::store::{JsonStore, Store, StoreError};

/// An answer (`survey-answer:`) and a follow-up (`followup:`): contracts,
/// since the admin routes answer them.
pub use spin_retention_core::contracts::survey::{Answer, FollowUp};

/// What someone answered, before it is recorded.
pub struct Given {
    pub score: u8,
    pub comment: Option<String>,
    pub language: Option<String>,
    pub via: &'static str,
}

/// Records an answer; returns it and whether it replaced an earlier one.
pub fn record(
    store: &dyn Store,
    survey: &Survey,
    lead_id: &str,
    given: Given,
    now: DateTime<Utc>,
) -> Result<(Answer, bool), StoreError> {
    let key = keys::survey_answer(&survey.id, lead_id);
    let previous: Option<Answer> = store.get_json(&key)?;
    let answer = Answer {
        survey_id: survey.id.clone(),
        lead_id: lead_id.to_string(),
        kind: survey.kind,
        score: given.score,
        band: survey.kind.band(given.score),
        comment: given.comment,
        language: given.language,
        via: given.via.to_string(),
        answered_at: now,
        first_answered_at: previous.as_ref().map_or(now, |p| p.first_answered_at),
        answers: previous.as_ref().map_or(1, |p| p.answers + 1),
    };
    // Listed before it is written; summaries count an entry only when the
    // answer's date matches its day, so the earlier day's entry goes stale.
    sets::add(store, &keys::survey_day(&survey.id, answer.day()), lead_id)?;
    // Signals before the answer: an erase finds every answer through them.
    signals::record_answer(
        store,
        lead_id,
        AnswerSignal {
            survey_id: survey.id.clone(),
            kind: survey.kind,
            score: answer.score,
            answered_at: now,
        },
    )?;
    store.set_json(&key, &answer)?;
    if let Some(old) = previous.as_ref().filter(|p| p.day() != answer.day()) {
        sets::remove(store, &keys::survey_day(&survey.id, old.day()), lead_id)?;
    }
    if answer.band == Band::Detractor {
        follow_up(store, &answer, now)?;
    } else {
        // The latest answer is the person's view now: a happier one settles
        // an earlier complaint (or a mail scanner's click on a low score).
        close_follow_up(store, &survey.id, lead_id, now)?;
    }
    if !store.exists(&keys::lead(lead_id))? {
        // Erased while we recorded: leave nothing behind.
        forget(store, lead_id)?;
    }
    Ok((answer, previous.is_some()))
}

/// Records that the person opened the survey (once per survey: two
/// concurrent first openings may both be logged, and the fold keeps one).
pub fn opened(store: &dyn Store, survey_id: &str, lead_id: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
    let seen = signals::load(store, lead_id)?
        .opened
        .iter()
        .any(|o| o.survey_id == survey_id);
    if seen {
        return Ok(());
    }
    signals::record_opened(
        store,
        lead_id,
        OpenedSignal {
            survey_id: survey_id.to_string(),
            opened_at: now,
        },
    )
}

fn follow_up(store: &dyn Store, answer: &Answer, now: DateTime<Utc>) -> Result<(), StoreError> {
    let key = keys::follow_up(&answer.survey_id, &answer.lead_id);
    let existing: Option<FollowUp> = store.get_json(&key)?.filter(|f: &FollowUp| f.status == "open");
    let position = match &existing {
        Some(f) => f.position.clone(),
        None => Position::new(
            now.format("%Y-%m-%d").to_string(),
            format!(
                "{}|{}|{}",
                now.format("%Y-%m-%dT%H:%M:%SZ"),
                answer.survey_id,
                answer.lead_id
            ),
        ),
    };
    sorted_sets::insert(store, keys::FOLLOW_UPS, &position)?;
    store.set_json(
        &key,
        &FollowUp {
            survey_id: answer.survey_id.clone(),
            lead_id: answer.lead_id.clone(),
            kind: answer.kind,
            score: answer.score,
            comment: answer.comment.clone(),
            created_at: existing.as_ref().map_or(now, |f| f.created_at),
            updated_at: now,
            status: "open".into(),
            position,
        },
    )
}

/// Closes a follow-up (someone talked to the person); `None` if there is none.
pub fn close_follow_up(
    store: &dyn Store,
    survey_id: &str,
    lead_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<FollowUp>, StoreError> {
    let key = keys::follow_up(survey_id, lead_id);
    let Some(mut task) = store.get_json::<FollowUp>(&key)? else {
        return Ok(None);
    };
    if task.status == "closed" {
        return Ok(Some(task));
    }
    task.status = "closed".into();
    task.updated_at = now;
    store.set_json(&key, &task)?;
    sorted_sets::remove(store, keys::FOLLOW_UPS, &task.position)?;
    Ok(Some(task))
}

/// Open follow-ups, newest first, a page at a time.
pub fn open_follow_ups(
    store: &dyn Store,
    after: Option<&Position>,
    limit: usize,
) -> Result<(Vec<FollowUp>, Option<Position>), StoreError> {
    let mut tasks = Vec::new();
    let page = sorted_sets::page(store, keys::FOLLOW_UPS, after, limit, |at| {
        let mut parts = at.entry.splitn(3, '|').skip(1);
        let (Some(survey_id), Some(lead_id)) = (parts.next(), parts.next()) else {
            return Ok(false);
        };
        let task: Option<FollowUp> = store.get_json(&keys::follow_up(survey_id, lead_id))?;
        match task.filter(|t| t.status == "open" && t.position == *at) {
            Some(task) => {
                tasks.push(task);
                Ok(true)
            }
            None => Ok(false),
        }
    })?;
    Ok((tasks, page.next))
}

/// Removes everything survey keeps about a lead (erase).
pub fn forget(store: &dyn Store, lead_id: &str) -> Result<(), StoreError> {
    let signals = signals::load(store, lead_id)?;
    for signal in &signals.answers {
        let key = keys::survey_answer(&signal.survey_id, lead_id);
        if let Some(answer) = store.get_json::<Answer>(&key)? {
            sets::remove(store, &keys::survey_day(&signal.survey_id, answer.day()), lead_id)?;
            store.delete(&key)?;
        }
        if let Some(task) = store.get_json::<FollowUp>(&keys::follow_up(&signal.survey_id, lead_id))? {
            sorted_sets::remove(store, keys::FOLLOW_UPS, &task.position)?;
            store.delete(&keys::follow_up(&signal.survey_id, lead_id))?;
        }
    }
    signals::erase(store, lead_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::{summarise, Period};
    use chrono::{Duration, TimeZone};
    use spin_retention_core::store::MemoryStore;

    fn nps() -> Survey {
        super::super::definition::parse("nps-q4", br#"{"kind": "nps", "question": {"en": "Recommend us?"}}"#).unwrap()
    }

    fn given(score: u8) -> Given {
        Given {
            score,
            comment: None,
            language: None,
            via: "api",
        }
    }

    /// Records for a lead that exists.
    fn rec(
        store: &dyn Store,
        survey: &Survey,
        lead_id: &str,
        given: Given,
        at: DateTime<Utc>,
    ) -> Result<(Answer, bool), StoreError> {
        store.set(&keys::lead(lead_id), b"{}")?;
        record(store, survey, lead_id, given, at)
    }

    fn day(n: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, n, 12, 0, 0).unwrap()
    }

    #[test]
    fn a_later_answer_replaces_the_earlier_and_counts_once() {
        let store = MemoryStore::new();
        let survey = nps();
        let (first, replaced) = rec(&store, &survey, "l_1", given(3), day(20)).unwrap();
        assert!(!replaced);
        assert_eq!(first.band, Band::Detractor);
        let (open, _) = open_follow_ups(&store, None, 10).unwrap();
        assert_eq!((open.len(), open[0].score), (1, 3));
        let (second, replaced) = rec(&store, &survey, "l_1", given(10), day(22)).unwrap();
        assert!(replaced);
        assert_eq!((second.answers, second.first_answered_at), (2, day(20)));
        let s = summarise(&store, &survey, day(19).date_naive(), day(23).date_naive(), Period::Day).unwrap();
        assert_eq!(s.overall.count, 1);
        assert_eq!(s.overall.nps.unwrap().score, Some(100));
        assert_eq!(s.periods.len(), 1);
        assert_eq!(s.periods[0].period, "2026-11-22");
        let signals = signals::load(&store, "l_1").unwrap();
        assert_eq!(signals.answers.len(), 1);
        assert_eq!(signals.answers[0].score, 10);
        // The happier answer settled the complaint.
        assert!(open_follow_ups(&store, None, 10).unwrap().0.is_empty());
        let task: FollowUp = store.get_json(&keys::follow_up("nps-q4", "l_1")).unwrap().unwrap();
        assert_eq!((task.status.as_str(), task.score), ("closed", 3));
    }

    #[test]
    fn concurrent_answers_are_all_counted() {
        let store = std::sync::Arc::new(MemoryStore::new());
        let workers: Vec<_> = (0..30u8)
            .map(|i| {
                let store = store.clone();
                std::thread::spawn(move || {
                    rec(
                        &*store,
                        &nps(),
                        &format!("l_{i}"),
                        given(i % 11),
                        day(23) + Duration::seconds(i.into()),
                    )
                    .unwrap();
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        let s = summarise(
            &*store,
            &nps(),
            day(23).date_naive(),
            day(23).date_naive(),
            Period::Week,
        )
        .unwrap();
        assert_eq!(s.overall.count, 30);
        assert_eq!(s.periods[0].period, "2026-W48");
    }

    #[test]
    fn forget_removes_answers_follow_ups_and_signals() {
        let store = MemoryStore::new();
        rec(&store, &nps(), "l_1", given(2), day(23)).unwrap();
        opened(&store, "nps-q4", "l_1", day(23)).unwrap();
        forget(&store, "l_1").unwrap();
        assert!(store.is_empty() || !store.exists(&keys::survey_answer("nps-q4", "l_1")).unwrap());
        assert_eq!(signals::load(&store, "l_1").unwrap(), Default::default());
        assert!(!store.exists(&keys::follow_up("nps-q4", "l_1")).unwrap());
        assert!(open_follow_ups(&store, None, 10).unwrap().0.is_empty());
        let s = summarise(&store, &nps(), day(23).date_naive(), day(23).date_naive(), Period::Day).unwrap();
        assert_eq!(s.overall.count, 0);
        assert_eq!(s.overall.nps.unwrap().score, None);
    }

    #[test]
    fn a_summary_reads_the_days_and_answers_asked_for_not_the_store() {
        let store = spin_retention_core::store::CountingStore::default();
        let other = super::super::definition::parse("csat-x", br#"{"kind": "csat", "question": {"en": "?"}}"#).unwrap();
        let reads = |store: &spin_retention_core::store::CountingStore| {
            let (before, commits) = (store.reads(), store.commits());
            let s = summarise(store, &nps(), day(20).date_naive(), day(23).date_naive(), Period::Day).unwrap();
            assert_eq!(s.overall.count, 5);
            // A summary writes nothing (a counter is read with a `get`).
            assert_eq!(store.commits() - commits, 0);
            store.reads() - before
        };
        for i in 0..5 {
            rec(&store.inner, &nps(), &format!("l_{i}"), given(9), day(23)).unwrap();
        }
        let few = reads(&store);
        // Per day a snapshot and its counter (4 x 2), the day's
        // operations (5), and one read per answer in the range (5).
        assert_eq!(few, 18);
        for i in 0..15 {
            rec(&store.inner, &other, &format!("l_{i}"), given(4), day(23)).unwrap();
            rec(&store.inner, &nps(), &format!("m_{i}"), given(2), day(10)).unwrap();
        }
        assert_eq!(reads(&store), few, "other surveys and other days cost nothing");
    }

    #[test]
    fn an_answer_for_a_lead_erased_meanwhile_leaves_nothing() {
        let store = MemoryStore::new();
        record(&store, &nps(), "l_gone", given(1), day(23)).unwrap();
        assert_eq!(store.mentions("l_gone"), Vec::<String>::new());
    }
}
