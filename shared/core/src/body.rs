//! Turns a form submission body into ordered (name, value) pairs, whatever
//! the content type: urlencoded and multipart from plain HTML forms, JSON from
//! `fetch()`. Limits are enforced here, before anything is interpreted.

use crate::problem::Problem;
use futures_util::stream;

/// Fields of one submission, in the order they came. A name may repeat
/// (`page=/pricing&page=/demo`).
pub type Fields = Vec<(String, String)>;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_fields: usize,
    pub max_name_len: usize,
    pub max_value_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        // Generous for any real form, small enough that a bot cannot make us
        // store megabytes per lead.
        Limits {
            max_fields: 60,
            max_name_len: 64,
            max_value_len: 5000,
        }
    }
}

/// The body's media type, lowercased, without parameters.
pub fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

pub fn parse(content_type: Option<&str>, body: &[u8], limits: Limits) -> Result<Fields, Problem> {
    let content_type = content_type.unwrap_or_default();
    let fields = match media_type(content_type).as_str() {
        "application/x-www-form-urlencoded" => urlencoded(body)?,
        "multipart/form-data" => multipart(content_type, body, limits)?,
        "application/json" => json(body)?,
        "" => return Err(unsupported("no Content-Type given")),
        other => return Err(unsupported(&format!("Content-Type {other} is not accepted"))),
    };
    check_limits(&fields, limits)?;
    Ok(fields)
}

fn unsupported(detail: &str) -> Problem {
    Problem::new(415, "unsupported-media-type", "Unsupported Media Type").with_detail(format!(
        "{detail}; send application/x-www-form-urlencoded, multipart/form-data or application/json"
    ))
}

fn bad_body(detail: impl Into<String>) -> Problem {
    Problem::new(400, "malformed-body", "Malformed Body").with_detail(detail)
}

fn utf8(body: &[u8]) -> Result<&str, Problem> {
    std::str::from_utf8(body)
        .map_err(|e| bad_body(format!("the body is not valid UTF-8 (at byte {})", e.valid_up_to())))
}

fn urlencoded(body: &[u8]) -> Result<Fields, Problem> {
    // Percent-decoding could produce invalid UTF-8 that form_urlencoded would
    // silently replace; refuse it instead.
    utf8(body)?;
    let mut fields = Fields::new();
    for (name, value) in form_urlencoded::parse(body) {
        if name.contains('\u{FFFD}') || value.contains('\u{FFFD}') {
            return Err(bad_body("a field is not valid UTF-8 once percent-decoded"));
        }
        fields.push((name.into_owned(), value.into_owned()));
    }
    Ok(fields)
}

fn json(body: &[u8]) -> Result<Fields, Problem> {
    let text = utf8(body)?;
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| bad_body(format!("the body is not valid JSON: {e}")))?;
    let serde_json::Value::Object(object) = value else {
        return Err(bad_body("the JSON body must be an object of fields"));
    };
    let mut fields = Fields::new();
    for (name, value) in object {
        flatten(&name, value, &mut fields, 0)?;
    }
    Ok(fields)
}

/// `{"consent": {"marketing": true}}` becomes `consent_marketing=true`;
/// `{"pages": ["/a", "/b"]}` becomes `pages=/a`, `pages=/b`.
fn flatten(name: &str, value: serde_json::Value, out: &mut Fields, depth: usize) -> Result<(), Problem> {
    use serde_json::Value;
    match value {
        Value::Null => {}
        Value::String(s) => out.push((name.to_string(), s)),
        Value::Bool(b) => out.push((name.to_string(), b.to_string())),
        Value::Number(n) => out.push((name.to_string(), n.to_string())),
        Value::Array(items) if depth == 0 => {
            for item in items {
                match item {
                    Value::Array(_) | Value::Object(_) => {
                        return Err(bad_body(format!("{name}: lists may hold only plain values")))
                    }
                    plain => flatten(name, plain, out, depth + 1)?,
                }
            }
        }
        Value::Object(object) if depth == 0 => {
            for (inner, value) in object {
                flatten(&format!("{name}_{inner}"), value, out, depth + 1)?;
            }
        }
        _ => return Err(bad_body(format!("{name}: nested too deeply"))),
    }
    Ok(())
}

fn multipart(content_type: &str, body: &[u8], limits: Limits) -> Result<Fields, Problem> {
    let boundary =
        multer::parse_boundary(content_type).map_err(|_| bad_body("multipart/form-data needs a boundary parameter"))?;
    let chunk = bytes::Bytes::copy_from_slice(body);
    let source = stream::once(async move { Ok::<_, std::convert::Infallible>(chunk) });
    let constraints =
        multer::Constraints::new().size_limit(multer::SizeLimit::new().per_field(limits.max_value_len as u64 + 1));
    let mut form = multer::Multipart::with_constraints(source, boundary, constraints);
    futures_executor::block_on(async {
        let mut fields = Fields::new();
        while let Some(field) = form.next_field().await.map_err(multipart_error)? {
            let name = field.name().unwrap_or_default().to_string();
            if field.file_name().is_some() {
                return Err(Problem::new(415, "files-not-accepted", "Files Not Accepted")
                    .with_detail(format!(
                        "field {name:?} is a file upload; this form takes text fields only"
                    ))
                    .with_field_error(&name, "file uploads are not accepted"));
            }
            let data = field.bytes().await.map_err(multipart_error)?;
            let value =
                String::from_utf8(data.to_vec()).map_err(|_| bad_body(format!("field {name:?} is not valid UTF-8")))?;
            fields.push((name, value));
        }
        Ok(fields)
    })
}

fn multipart_error(e: multer::Error) -> Problem {
    match e {
        multer::Error::FieldSizeExceeded { field_name, .. } => {
            let name = field_name.unwrap_or_default();
            Problem::new(422, "invalid-fields", "Invalid Fields")
                .with_detail("a field is too long")
                .with_field_error(&name, "too long")
        }
        other => bad_body(format!("malformed multipart/form-data: {other}")),
    }
}

fn check_limits(fields: &Fields, limits: Limits) -> Result<(), Problem> {
    if fields.len() > limits.max_fields {
        return Err(
            Problem::new(422, "too-many-fields", "Too Many Fields").with_detail(format!(
                "{} fields sent; at most {} are accepted",
                fields.len(),
                limits.max_fields
            )),
        );
    }
    let mut problem = Problem::new(422, "invalid-fields", "Invalid Fields");
    for (name, value) in fields {
        if name.is_empty() || name.chars().count() > limits.max_name_len {
            problem = problem.with_field_error(name, "field names must be 1 to 64 characters");
        } else if value.chars().count() > limits.max_value_len {
            problem = problem.with_field_error(name, &format!("at most {} characters", limits.max_value_len));
        }
    }
    if problem.errors.is_empty() {
        Ok(())
    } else {
        Err(problem.with_detail("some fields are too long"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(ct: &str, body: &[u8]) -> Fields {
        parse(Some(ct), body, Limits::default()).unwrap()
    }

    fn pair(n: &str, v: &str) -> (String, String) {
        (n.to_string(), v.to_string())
    }

    #[test]
    fn urlencoded_keeps_order_and_repeats() {
        let f = parse_ok(
            "application/x-www-form-urlencoded; charset=UTF-8",
            b"name=Dana+Levi&page=%2Fpricing&page=%2Fdemo",
        );
        assert_eq!(
            f,
            vec![
                pair("name", "Dana Levi"),
                pair("page", "/pricing"),
                pair("page", "/demo")
            ]
        );
    }

    #[test]
    fn urlencoded_hebrew_survives() {
        let f = parse_ok(
            "application/x-www-form-urlencoded",
            "name=%D7%93%D7%A0%D7%94".as_bytes(),
        );
        assert_eq!(f, vec![pair("name", "דנה")]);
    }

    #[test]
    fn json_flattens_one_level() {
        let f = parse_ok(
            "application/json",
            br#"{"email":"a@b.co","consent":{"marketing":true},"pages":["/pricing","/demo"],"age":3,"x":null}"#,
        );
        // serde_json orders object members by name; a list keeps its order.
        assert_eq!(
            f,
            vec![
                pair("age", "3"),
                pair("consent_marketing", "true"),
                pair("email", "a@b.co"),
                pair("pages", "/pricing"),
                pair("pages", "/demo"),
            ]
        );
    }

    #[test]
    fn multipart_fields_are_read_and_files_refused() {
        let ct = "multipart/form-data; boundary=XyZ";
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nDana\r\n--XyZ\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nd@x.io\r\n--XyZ--\r\n";
        assert_eq!(parse_ok(ct, body), vec![pair("name", "Dana"), pair("email", "d@x.io")]);

        let file = b"--XyZ\r\nContent-Disposition: form-data; name=\"cv\"; filename=\"cv.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n--XyZ--\r\n";
        let p = parse(Some(ct), file, Limits::default()).unwrap_err();
        assert_eq!((p.status, p.errors[0].field.as_str()), (415, "cv"));
    }

    #[test]
    fn bad_bodies_are_4xx() {
        let status = |ct: Option<&str>, body: &[u8]| parse(ct, body, Limits::default()).unwrap_err().status;
        assert_eq!(status(Some("application/json"), b"{\"a\":"), 400);
        assert_eq!(status(Some("application/json"), b"[1,2]"), 400);
        assert_eq!(status(Some("application/json"), br#"{"a":{"b":{"c":1}}}"#), 400);
        assert_eq!(status(Some("text/plain"), b"hi"), 415);
        assert_eq!(status(None, b"hi"), 415);
        assert_eq!(status(Some("application/x-www-form-urlencoded"), b"name=\xff"), 400);
        assert_eq!(status(Some("application/x-www-form-urlencoded"), b"name=%FF"), 400);
        assert_eq!(status(Some("multipart/form-data"), b"x"), 400);
    }

    #[test]
    fn limits_count_fields_and_lengths() {
        let many: String = (0..61).map(|i| format!("f{i}=x&")).collect();
        let p = parse(
            Some("application/x-www-form-urlencoded"),
            many.as_bytes(),
            Limits::default(),
        )
        .unwrap_err();
        assert_eq!(p.status, 422);
        let long = format!("message={}", "a".repeat(5001));
        let p = parse(
            Some("application/x-www-form-urlencoded"),
            long.as_bytes(),
            Limits::default(),
        )
        .unwrap_err();
        assert_eq!(p.errors[0].field, "message");
    }
}
