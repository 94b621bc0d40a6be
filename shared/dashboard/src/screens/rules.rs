//! Rules: lead-scoring's rules and audience-export's definitions, edited as
//! JSON. What the owner refuses comes back as its 422 problem; each error
//! is shown beside the line of the text it names.

use super::{Screen, Shown};
use crate::api::{self, Failure};
use crate::page::{esc, redirect};
use serde_json::Value;
use spin_retention_core::contracts::audiences::Definitions;
use spin_retention_core::jobs::{HandoffTarget, AUDIENCES, SCORING};
use spin_retention_scores::api::Rules;

/// A document edited here, as a whole: its owner reads and validates it,
/// so the page shows and sends it as JSON text.
pub struct Document {
    /// The form's name.
    pub name: &'static str,
    pub owner: HandoffTarget,
    /// Its `GET` and `PUT` route.
    pub route: &'static str,
    pub title: &'static str,
    /// The document in force, out of its owner's `GET` answer.
    pub read: fn(&Screen) -> Result<Value, Failure>,
}

pub const DOCUMENTS: [Document; 2] = [
    Document {
        name: "scoring",
        owner: SCORING,
        route: "/scoring/admin/rules",
        title: "rules.scoring",
        read: |s| Ok(api::get_as::<Rules<Value>>(s.ctx, SCORING, "/scoring/admin/rules")?.rules),
    },
    Document {
        name: "audiences",
        owner: AUDIENCES,
        route: "/audiences/admin/definitions",
        title: "rules.audiences",
        read: |s| {
            let answer: Definitions<Value> = api::get_as(s.ctx, AUDIENCES, "/audiences/admin/definitions")?;
            Ok(answer.definitions)
        },
    },
];

/// What one editor shows: the text, and the errors of a refused save.
struct Edit {
    text: String,
    errors: Vec<(Option<usize>, String)>,
}

pub fn show(s: &Screen) -> Shown {
    page(s, None)
}

fn page(s: &Screen, refused: Option<(&str, Edit)>) -> Shown {
    let saved = s.param("saved");
    let mut body = String::new();
    if saved.is_some() {
        body.push_str(&format!("<p class=\"ok\" role=\"status\">{}</p>", s.t("saved")));
    }
    for document in &DOCUMENTS {
        let edit = match &refused {
            Some((which, edit)) if *which == document.name => Edit {
                text: edit.text.clone(),
                errors: edit.errors.clone(),
            },
            _ => Edit {
                text: serde_json::to_string_pretty(&(document.read)(s)?).unwrap_or_default(),
                errors: Vec::new(),
            },
        };
        body.push_str(&editor(s, document.name, s.t(document.title), &edit));
    }
    let mut reply = s.frame.page("rules", s.t("nav.rules"), &body);
    if refused.is_some() {
        reply.status = 422;
    }
    Ok(reply)
}

fn editor(s: &Screen, name: &str, title: &str, edit: &Edit) -> String {
    let mut listing = String::new();
    if !edit.errors.is_empty() {
        listing.push_str(&format!(
            "<p class=\"problem\" role=\"alert\">{}</p>",
            s.t("rules.invalid")
        ));
        let unplaced: String = edit
            .errors
            .iter()
            .filter(|(line, _)| line.is_none())
            .map(|(_, m)| format!("<li>{}</li>", esc(m)))
            .collect();
        if !unplaced.is_empty() {
            listing.push_str(&format!("<ul class=\"errors\">{unplaced}</ul>"));
        }
        let lines: String = edit
            .text
            .lines()
            .enumerate()
            .map(|(i, line)| {
                let here: Vec<String> = edit
                    .errors
                    .iter()
                    .filter(|(l, _)| *l == Some(i + 1))
                    .map(|(_, m)| format!("<span class=\"error\">{}</span>", esc(m)))
                    .collect();
                let class = if here.is_empty() { "" } else { " class=\"bad\"" };
                format!(
                    "<tr{class}><th>{}</th><td><code>{}</code></td><td>{}</td></tr>",
                    i + 1,
                    esc(line),
                    here.join("")
                )
            })
            .collect();
        listing.push_str(&format!(
            "<table class=\"listing\" dir=\"ltr\"><tbody>{lines}</tbody></table>"
        ));
    }
    let form = s.frame.form(
        &format!("/dashboard/rules/{name}"),
        "rules",
        &format!(
            "<textarea name=\"json\" rows=\"24\" spellcheck=\"false\" dir=\"ltr\">{}</textarea><button type=\"submit\">{}</button>",
            esc(&edit.text),
            s.t("save")
        ),
    );
    format!(
        "<section id=\"{name}\"><h2>{}</h2>{listing}{form}</section>",
        esc(title)
    )
}

/// `POST /dashboard/rules/<name>`: the owner's `PUT`; a refusal is shown
/// beside the lines it names, anything else goes back to the page.
pub fn save(s: &Screen, name: &str, json: &str) -> Shown {
    let Some(document) = DOCUMENTS.iter().find(|d| d.name == name) else {
        return Err(Failure::new(404, format!("no document {name}")));
    };
    match api::send_text(
        s.ctx,
        document.owner,
        "PUT",
        document.route,
        Some(json.as_bytes().to_vec()),
    ) {
        Ok(_) => Ok(redirect(&format!("/dashboard/rules?saved={name}#{name}"))),
        Err(f) if (400..500).contains(&f.status) && f.status != 401 && f.status != 403 => {
            let errors = placed_errors(json, &f);
            page(
                s,
                Some((
                    name,
                    Edit {
                        text: json.to_string(),
                        errors,
                    },
                )),
            )
        }
        Err(f) => Err(f),
    }
}

/// Each error of the problem, with the line it names (1-based) when the
/// text has one: a syntax error's `line N`, or the place its `field` path
/// (`rules[pricing].when[0]`) points at.
fn placed_errors(text: &str, failure: &Failure) -> Vec<(Option<usize>, String)> {
    let problem = failure.problem.as_ref();
    let errors = problem.map(|p| p.errors.as_slice()).unwrap_or_default();
    if errors.is_empty() {
        let detail = problem
            .and_then(|p| p.detail.clone())
            .unwrap_or_else(|| failure.message.clone());
        return vec![(syntax_line(&detail), detail)];
    }
    errors
        .iter()
        .map(|e| (line_of(text, &e.field), format!("{}: {}", e.field, e.message)))
        .collect()
}

/// serde_json's "... at line 3 column 5".
fn syntax_line(detail: &str) -> Option<usize> {
    let rest = &detail[detail.rfind("line ")? + 5..];
    rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

/// The line a field path names: each key is found as `"key":` after the
/// line of the part before it, and each `[id]` as the line of `"id"`
/// (rules and audiences name their elements by id); a numeric index is the
/// element's own line only by counting, so it stays where its list is.
pub fn line_of(text: &str, field: &str) -> Option<usize> {
    if field.is_empty() {
        return None;
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut at: Option<usize> = None;
    for part in field.split(['.', '[']) {
        let part = part.trim_end_matches(']');
        if part.is_empty() || part.parse::<usize>().is_ok() {
            continue;
        }
        let quoted = format!("\"{part}\"");
        let start = at.unwrap_or(0);
        if let Some(found) = lines.iter().skip(start).position(|l| l.contains(&quoted)) {
            at = Some(start + found);
        }
    }
    at.map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = r#"{
  "thresholds": {"hot": 40, "warm": 60},
  "rules": [
    {
      "id": "left-phone",
      "when": [{"fact": "has_phone", "equals": true}]
    },
    {
      "id": "pricing",
      "group": "intent",
      "when": [{"fact": "page", "contains": "/pricing"}]
    }
  ]
}"#;

    #[test]
    fn a_field_path_points_at_its_line() {
        assert_eq!(line_of(RULES, "thresholds"), Some(2));
        assert_eq!(line_of(RULES, "rules[pricing].when[0]"), Some(11));
        assert_eq!(line_of(RULES, "rules[left-phone]"), Some(5));
        assert_eq!(line_of(RULES, ""), None);
    }

    #[test]
    fn a_syntax_error_names_its_line() {
        assert_eq!(syntax_line("expected `,` or `}` at line 3 column 5"), Some(3));
        assert_eq!(syntax_line("no line here"), None);
    }
}
