//! The small HTML pages people reach from a link (a survey, an alert's
//! claim and contacted actions): escaped text, never cached, no referrer,
//! no scripts.

use crate::http::Reply;

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole page; `body` is HTML the caller built with [`escape`].
pub fn page(status: u16, lang: &str, dir: &str, title: &str, body: &str) -> Reply {
    let page = format!(
        "<!doctype html><html lang=\"{lang}\" dir=\"{dir}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{}</title></head>\
         <body>{body}</body></html>",
        escape(title)
    );
    reply(
        status,
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        page,
    )
}

/// A personal HTML page as a reply: never cached, never sent on as a
/// referrer, never sniffed as something else, under `csp`.
pub fn reply(status: u16, csp: &str, html: String) -> Reply {
    Reply {
        status,
        headers: vec![
            ("content-type".into(), "text/html; charset=utf-8".into()),
            ("cache-control".into(), "no-store".into()),
            ("referrer-policy".into(), "no-referrer".into()),
            ("content-security-policy".into(), csp.into()),
            ("x-content-type-options".into(), "nosniff".into()),
        ],
        body: html.into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup() {
        assert_eq!(
            super::escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }
}
