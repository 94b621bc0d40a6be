//! The HTML a respondent sees: the question with one link per score, the
//! comment box after a score, thanks, and errors. English and Hebrew (right
//! to left) ship built in; the survey's own texts come from its definition.

use super::answer::Answer;
use super::definition::Survey;
use spin_retention_core::http::Reply;
use spin_retention_core::problem::Problem;

struct Words {
    send: &'static str,
    comment: &'static str,
    thanks: &'static str,
    recorded: &'static str,
    low: &'static str,
    high: &'static str,
}

fn words(language: Option<&str>) -> (&'static str, &'static str, Words) {
    match language {
        Some("he") => (
            "he",
            "rtl",
            Words {
                send: "שליחה",
                comment: "רוצים להוסיף משהו?",
                thanks: "תודה!",
                recorded: "התשובה שלך נשמרה.",
                low: "בכלל לא",
                high: "מאוד",
            },
        ),
        _ => (
            "en",
            "ltr",
            Words {
                send: "Send",
                comment: "Anything you would like to add?",
                thanks: "Thank you!",
                recorded: "Your answer has been recorded.",
                low: "Not at all",
                high: "Very",
            },
        ),
    }
}

pub use spin_retention_core::html::escape;

fn html(status: u16, language: Option<&str>, title: &str, body: &str) -> Reply {
    let (lang, dir, _) = words(language);
    spin_retention_core::html::page(status, lang, dir, title, body)
}

/// The question and a link per score.
pub fn question(survey: &Survey, token: &str, language: Option<&str>) -> Reply {
    let (ui, _, w) = words(language);
    // Links keep the language asked for, even one the page has no words for.
    let lang: String = form_urlencoded::byte_serialize(language.unwrap_or(ui).as_bytes()).collect();
    let (_, text) = Survey::pick(&survey.question, language).unwrap_or(("en", ""));
    let (min, max) = survey.kind.range();
    let token: String = form_urlencoded::byte_serialize(token.as_bytes()).collect();
    let links: String = (min..=max)
        .map(|score| {
            format!(
                "<a href=\"/survey/surveys/{}/respond?token={token}&amp;score={score}&amp;lang={lang}\">{score}</a> ",
                survey.id
            )
        })
        .collect();
    let body = format!(
        "<h1>{}</h1><p>{links}</p><p><small>{min} = {} &middot; {max} = {}</small></p>",
        escape(text),
        w.low,
        w.high
    );
    html(200, language, text, &body)
}

/// After a score: thanks, and the comment box with the follow-up question.
pub fn comment(survey: &Survey, token: &str, answer: &Answer, language: Option<&str>) -> Reply {
    let (ui, _, w) = words(language);
    let lang: String = form_urlencoded::byte_serialize(language.unwrap_or(ui).as_bytes()).collect();
    let prompt = survey.follow_up_for(answer.band, language).unwrap_or(w.comment);
    let mut body = format!("<h1>{}</h1><p>{}</p>", w.thanks, w.recorded);
    if survey.comment.enabled {
        body.push_str(&format!(
            "<form method=\"post\" action=\"/survey/surveys/{}/answers?lang={lang}\">\
             <input type=\"hidden\" name=\"token\" value=\"{}\">\
             <input type=\"hidden\" name=\"score\" value=\"{}\">\
             <label>{}<br><textarea name=\"comment\" rows=\"5\" cols=\"50\" maxlength=\"{}\">{}</textarea></label>\
             <p><button type=\"submit\">{}</button></p></form>",
            survey.id,
            escape(token),
            answer.score,
            escape(prompt),
            survey.comment.max_chars,
            escape(answer.comment.as_deref().unwrap_or_default()),
            w.send
        ));
    }
    html(200, language, w.thanks, &body)
}

pub fn thanks(_survey: &Survey, language: Option<&str>) -> Reply {
    let (_, _, w) = words(language);
    html(
        200,
        language,
        w.thanks,
        &format!("<h1>{}</h1><p>{}</p>", w.thanks, w.recorded),
    )
}

/// A refusal for a browser: the problem's status, its title and detail.
pub fn problem(problem: &Problem, language: Option<&str>) -> Reply {
    let detail = problem.detail.as_deref().unwrap_or_default();
    let body = format!("<h1>{}</h1><p>{}</p>", escape(&problem.title), escape(detail));
    html(problem.status, language, &problem.title, &body)
}
