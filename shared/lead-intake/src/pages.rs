//! The default thank-you and error pages for plain HTML form posts. A site
//! normally sets `thank_you_url` and `error_url` to its own pages instead.

use spin_retention_core::http::{Reply, Request};

fn page(status: u16, title: &str, text: &str) -> Reply {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1><p>{text}</p></body></html>"
    );
    Reply {
        status,
        headers: vec![("content-type".into(), "text/html; charset=utf-8".into())],
        body: html.into_bytes(),
    }
}

pub fn thanks() -> Reply {
    page(200, "Thank you", "We got your request and will be in touch shortly.")
}

pub fn error(req: &Request) -> Reply {
    let params: Vec<(String, String)> = form_urlencoded::parse(req.query.as_bytes()).into_owned().collect();
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    let reason = match get("error") {
        "invalid-fields" => "Some fields need attention",
        "rate-limited" => "Too many submissions; please try again in a minute",
        "body-too-large" => "The form is too large",
        "captcha-failed" => "Please complete the verification",
        _ => "Your request could not be sent",
    };
    let fields: String = get("fields")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "_-,.".contains(*c))
        .collect();
    let detail = if fields.is_empty() {
        String::new()
    } else {
        format!(" ({})", fields.replace(',', ", "))
    };
    page(200, "Please try again", &format!("{reason}{detail}."))
}
