//! The dashboard's words in English and Hebrew. Hebrew pages are right to
//! left (`dir="rtl"`); the user switches with the link in the header, which
//! sets the `dashboard_lang` cookie (the browser's `Accept-Language` until then).

use spin_retention_core::http::Request;

pub const COOKIE: &str = "dashboard_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    He,
}

impl Lang {
    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "en" => Some(Lang::En),
            "he" => Some(Lang::He),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::He => "he",
        }
    }

    pub fn dir(self) -> &'static str {
        match self {
            Lang::En => "ltr",
            Lang::He => "rtl",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::He,
            Lang::He => Lang::En,
        }
    }

    /// The cookie's choice, else the browser's first language we speak.
    pub fn of(req: &Request) -> Lang {
        if let Some(lang) = crate::session::cookie(req, COOKIE).and_then(|c| Lang::parse(&c)) {
            return lang;
        }
        let accept = req.header("accept-language").unwrap_or_default().to_ascii_lowercase();
        let first = accept
            .split(',')
            .map(|l| l.trim().get(..2).unwrap_or_default())
            .find(|l| ["he", "iw", "en"].contains(l));
        if first == Some("he") || first == Some("iw") {
            Lang::He
        } else {
            Lang::En
        }
    }

    /// The text of `key` in this language.
    pub fn t(self, key: &str) -> &'static str {
        match WORDS.iter().find(|(k, _, _)| *k == key) {
            Some((_, en, he)) => match self {
                Lang::En => en,
                Lang::He => he,
            },
            None => "?",
        }
    }
}

/// `(key, English, Hebrew)`.
const WORDS: &[(&str, &str, &str)] = &[
    ("app", "Retention dashboard", "לוח הבקרה של שימור לקוחות"),
    ("nav.hot", "Hot leads", "לידים חמים"),
    ("nav.surveys", "Surveys", "סקרים"),
    ("nav.retention", "Retention", "שימור"),
    ("nav.audiences", "Audiences", "קהלים"),
    ("nav.journeys", "Journeys", "מסעות"),
    (
        "j.help",
        "What each journey did. Active: in it now. Lift: the treated conversion rate less the holdout's, with its 95% interval.",
        "מה עשה כל מסע. פעילים: בתוכו עכשיו. שיפור: שיעור ההמרה של המטופלים פחות זה של קבוצת הביקורת, עם רווח סמך של 95%.",
    ),
    ("j.none", "No journeys are set.", "לא הוגדרו מסעות."),
    ("j.journey", "Journey", "מסע"),
    ("j.status", "Status", "מצב"),
    ("j.entered", "Entered", "נכנסו"),
    ("j.active", "Active", "פעילים"),
    ("j.sent", "Sent", "נשלחו"),
    ("j.deferred", "Deferred", "נדחו"),
    ("j.skipped", "Skipped", "דולגו"),
    ("j.clicks", "Clicks", "הקלקות"),
    ("j.converted", "Conversions", "המרות"),
    ("j.revenue", "Revenue per person", "הכנסה לאדם"),
    ("j.lift", "Lift", "שיפור"),
    ("j.no.holdout", "no holdout yet", "אין עדיין קבוצת ביקורת"),
    ("j.recovered", "recovered", "שוקמו"),
    ("j.back", "All journeys", "כל המסעות"),
    ("j.f.step", "Step", "שלב"),
    ("j.f.what", "Kind", "סוג"),
    ("j.f.label", "What", "מה"),
    ("j.f.passed", "Went on", "המשיכו"),
    ("j.f.share", "Of entered", "מתוך הנכנסים"),
    ("j.f.how", "How", "איך"),
    ("j.kind.wait", "Wait", "המתנה"),
    ("j.kind.send", "Message", "הודעה"),
    ("j.kind.split", "Split", "פיצול"),
    ("j.kind.wait_for", "Wait for an event", "המתנה לאירוע"),
    ("j.kind.go_to", "Go to", "מעבר"),
    ("j.kind.alert", "Alert the owner", "התראה לאחראי"),
    ("j.kind.tag", "Tag", "תגית"),
    ("j.outcome.waited", "waited", "המתינו"),
    ("j.outcome.sent", "sent", "נשלחו"),
    ("j.outcome.held_out", "holdout", "קבוצת ביקורת"),
    ("j.outcome.skipped", "skipped", "דולגו"),
    ("j.outcome.failed", "failed", "נכשלו"),
    ("j.outcome.exited", "left", "יצאו"),
    ("j.outcome.split_taken", "took the branch", "עברו לענף"),
    ("j.outcome.split", "went straight on", "המשיכו ישר"),
    ("j.outcome.alerted", "alerted", "הותרעו"),
    ("j.outcome.tagged", "tagged", "תויגו"),
    ("j.outcome.jumped", "moved on", "הועברו"),
    ("j.outcome.heard", "the event came", "האירוע הגיע"),
    ("j.outcome.timed_out", "timed out", "הזמן תם"),
    ("j.pause", "Pause", "השהיה"),
    ("j.resume", "Resume", "חידוש"),
    ("j.status.live", "Live", "פעיל"),
    ("j.status.paused", "Paused", "מושהה"),
    ("j.status.archived", "Archived", "בארכיון"),
    ("nav.rules", "Rules", "כללים"),
    ("nav.find", "Find a person", "חיפוש אדם"),
    ("switch", "עברית", "English"),
    ("signout", "Sign out", "יציאה"),
    ("signin", "Sign in", "כניסה"),
    ("signin.token", "Admin token", "אסימון מנהל"),
    (
        "signin.help",
        "Paste the admin token once; the browser keeps only a session that expires.",
        "הדביקו את אסימון המנהל פעם אחת; הדפדפן שומר רק הפעלה שפגה.",
    ),
    ("signin.wrong", "That token is not right.", "האסימון אינו נכון."),
    (
        "signin.disabled",
        "Sign-in is off: set the admin_token and dashboard_session_secret (32+ characters) variables.",
        "הכניסה כבויה: הגדירו את המשתנים admin_token ו-dashboard_session_secret (32 תווים לפחות).",
    ),
    ("order.newest", "Newest", "החדשים"),
    ("order.score", "Highest score", "ציון גבוה"),
    ("col.person", "Person", "אדם"),
    ("col.score", "Score", "ציון"),
    ("col.why", "Why hot", "למה חם"),
    ("col.assignee", "Assignee", "אחראי"),
    ("col.sla", "SLA", "SLA"),
    ("col.activity", "Last activity", "פעילות אחרונה"),
    ("col.actions", "Actions", "פעולות"),
    ("claim", "Claim", "לקחתי"),
    ("contacted", "Contacted", "נוצר קשר"),
    ("claimed.by", "Claimed by", "נלקח על ידי"),
    ("contacted.by", "Contacted by", "נוצר קשר על ידי"),
    ("sla.due", "due in", "עד"),
    ("sla.overdue", "overdue by", "באיחור של"),
    ("sla.none", "not alerted yet", "טרם נשלחה התראה"),
    ("as", "as", "בתור"),
    ("assignee.default", "the assignee", "האחראי"),
    ("nobody", "nobody", "אף אחד"),
    ("next", "Next page", "לעמוד הבא"),
    ("first", "First page", "לעמוד הראשון"),
    ("empty.hot", "No hot leads right now.", "אין כרגע לידים חמים."),
    ("person", "Person", "אדם"),
    ("timeline", "Timeline", "ציר זמן"),
    ("ev.submission", "Submitted a form", "מילא טופס"),
    ("ev.ack", "Acknowledgement", "אישור קבלה"),
    ("ev.identity_claim", "A form said (not applied)", "נמסר בטופס (לא הוחל)"),
    ("ev.consent", "Consent in force", "הסכמה בתוקף"),
    (
        "ev.consent_pending",
        "Consent waiting for confirmation",
        "הסכמה ממתינה לאישור",
    ),
    ("ev.score", "Score", "ציון"),
    ("ev.alert", "Alerted", "נשלחה התראה"),
    ("ev.claim", "Claimed", "נלקח"),
    ("ev.contact", "Contacted", "נוצר קשר"),
    ("ev.survey", "Answered a survey", "ענה על סקר"),
    ("ev.opened", "Opened a survey", "פתח סקר"),
    ("ev.customer", "Customer", "לקוח"),
    ("ev.audience", "Joined an audience", "הצטרף לקהל"),
    ("ev.journey", "Entered a journey", "נכנס למסע"),
    ("ev.journey.holdout", "in the holdout", "בקבוצת הביקורת"),
    ("ev.journey.sent", "Journey message", "הודעת מסע"),
    ("ev.journey.skipped", "Journey message skipped", "הודעת מסע דולגה"),
    ("ev.journey.failed", "Journey message failed", "הודעת מסע נכשלה"),
    ("ev.journey.alerted", "Journey alerted the owner", "המסע התריע לאחראי"),
    ("ev.journey.left", "Left a journey", "יצא ממסע"),
    ("latency", "after", "אחרי"),
    ("tier", "Loyalty tier", "דרגת נאמנות"),
    ("orders", "Orders", "הזמנות"),
    ("revenue", "Revenue", "הכנסות"),
    ("segment", "RFM segment", "פלח RFM"),
    ("slipping", "Slipping away", "מתרחק"),
    ("at_risk", "At risk", "בסיכון"),
    ("audiences.in", "In audiences", "בקהלים"),
    ("erase", "Erase this person", "מחיקת האדם"),
    (
        "erase.confirm",
        "This removes everything we keep about this person, everywhere, for good. Type ERASE to confirm.",
        "פעולה זו מוחקת לצמיתות כל מה שנשמר על האדם, בכל מקום. הקלידו ERASE לאישור.",
    ),
    ("erase.done", "Erased.", "נמחק."),
    (
        "erase.typed",
        "Type ERASE exactly to confirm.",
        "יש להקליד ERASE בדיוק לאישור.",
    ),
    ("cancel", "Cancel", "ביטול"),
    (
        "find.help",
        "An email address, a phone number (with its country code) or a lead id",
        "כתובת דוא\"ל, מספר טלפון (עם קידומת מדינה) או מזהה ליד",
    ),
    ("find", "Find", "חיפוש"),
    (
        "find.none",
        "Nobody with that address, number or id.",
        "לא נמצא אדם עם הכתובת, המספר או המזהה.",
    ),
    ("survey", "Survey", "סקר"),
    (
        "surveys.none",
        "No surveys yet: define one with PUT /survey/admin/surveys/<id>.",
        "אין עדיין סקרים: הגדירו סקר ב-PUT /survey/admin/surveys/<id>.",
    ),
    ("by.week", "By week", "לפי שבוע"),
    ("distribution", "Distribution", "התפלגות"),
    ("answers", "Answers", "תשובות"),
    ("followups", "Detractor follow-ups", "מעקב אחרי ממליצים שליליים"),
    ("followups.none", "No open follow-ups.", "אין משימות מעקב פתוחות."),
    ("close", "Close", "סגירה"),
    ("from", "From", "מ-"),
    ("to", "To", "עד"),
    ("show", "Show", "הצגה"),
    ("no.data", "No data in this range.", "אין נתונים בטווח הזה."),
    ("month", "Month", "חודש"),
    ("active", "Active", "פעילים"),
    ("new", "New", "חדשים"),
    ("retained", "Retained", "נשמרו"),
    ("churned", "Churned", "נטשו"),
    ("retention.rate", "Retention rate", "שיעור שימור"),
    ("churn.rate", "Churn rate", "שיעור נטישה"),
    ("cohorts", "Cohorts by first purchase", "קבוצות לפי רכישה ראשונה"),
    (
        "rfm.grid",
        "RFM grid (recency × frequency)",
        "רשת RFM (עדכניות × תדירות)",
    ),
    ("tiers", "Customers by tier", "לקוחות לפי דרגה"),
    ("recency", "Recency", "עדכניות"),
    ("frequency", "Frequency", "תדירות"),
    ("audience", "Audience", "קהל"),
    ("size", "Size", "גודל"),
    ("last.pull", "Last pull", "משיכה אחרונה"),
    ("definition", "Definition", "הגדרה"),
    ("pulls", "Recent pulls", "משיכות אחרונות"),
    ("never", "never", "אף פעם"),
    (
        "not.recent",
        "not in the last 5,000 pulls",
        "לא ב-5,000 המשיכות האחרונות",
    ),
    ("rules.scoring", "Scoring rules", "כללי ניקוד"),
    ("rules.audiences", "Audience definitions", "הגדרות קהלים"),
    ("save", "Save", "שמירה"),
    ("saved", "Saved.", "נשמר."),
    (
        "rules.invalid",
        "Not saved: fix the lines marked below.",
        "לא נשמר: תקנו את השורות המסומנות.",
    ),
    ("error", "Something went wrong", "משהו השתבש"),
    ("not.found", "Not found", "לא נמצא"),
    (
        "forbidden",
        "Refused: sign in again from this site.",
        "נדחה: היכנסו שוב מהאתר הזה.",
    ),
    (
        "unreachable",
        "A part of the app did not answer:",
        "חלק מהמערכת לא ענה:",
    ),
    ("when", "When", "מתי"),
    ("what", "What", "מה"),
    ("details", "Details", "פרטים"),
    ("score.total", "Total", "סה\"כ"),
    ("email", "Email", "דוא\"ל"),
    ("phone", "Phone", "טלפון"),
    ("company", "Company", "חברה"),
    ("country", "Country", "מדינה"),
    ("signed.in.as", "Signed in as", "מחובר בתור"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_has_both_languages_and_one_key() {
        for (i, (key, en, he)) in WORDS.iter().enumerate() {
            assert!(!en.is_empty() && !he.is_empty(), "{key}");
            assert!(!WORDS[..i].iter().any(|(k, _, _)| k == key), "{key} twice");
        }
        assert_eq!(Lang::He.t("nav.hot"), "לידים חמים");
        assert_eq!(Lang::He.dir(), "rtl");
    }

    #[test]
    fn the_cookie_then_the_browser_chooses() {
        let mut req = Request::new("GET", "/dashboard/hot");
        assert_eq!(Lang::of(&req), Lang::En);
        req.headers
            .push(("accept-language".into(), "he-IL,he;q=0.9,en;q=0.8".into()));
        assert_eq!(Lang::of(&req), Lang::He);
        req.headers.push(("cookie".into(), "dashboard_lang=en".into()));
        assert_eq!(Lang::of(&req), Lang::En);
    }
}
