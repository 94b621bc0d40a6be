//! audience-export through the built components: leads arrive through
//! intake, lead-scoring hands them on, and ad platforms pull hashed,
//! consented audiences in their own formats, checked row by row.

use serde_json::{json, Value};
use spin_retention_audience_export::formats::{Format, Person};
use spin_retention_e2e::{admin, app, export_token, request, submit_lead, Reply};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

fn pull(base: &str, path: &str, auth: &str) -> Reply {
    request("GET", base, path, &[("authorization", auth)], b"")
}

fn bearer(platform: &str) -> String {
    format!("Bearer {}", export_token(platform))
}

/// The data rows of a CSV export (header checked and dropped), sorted.
fn rows(reply: &Reply, format: Format) -> BTreeSet<String> {
    assert_eq!(reply.status, 200, "{}", reply.text());
    let text = reply.text();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(format.header().trim_end()));
    lines.map(str::to_string).collect()
}

/// An audience's members once lead-scoring's hand-offs have landed.
fn wait_for_size(base: &str, audience: &str, expected: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let size = admin("GET", base, &format!("/audiences/{audience}/size")).json();
        if size["members"] == expected {
            return;
        }
        assert!(Instant::now() < deadline, "{audience}: {size}, expected {expected}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// What intake stores of a person, as the export formats see it.
struct Someone {
    email: &'static str,
    first: &'static str,
    last: &'static str,
    country: &'static str,
    zip: &'static str,
}

impl Someone {
    fn body(&self, consent: Value) -> Value {
        let mut body = json!({
            "email": self.email, "first_name": self.first, "last_name": self.last,
            "country": self.country, "zip": self.zip, "pages": "/pricing", "form": "contact",
        });
        body.as_object_mut()
            .unwrap()
            .extend(consent.as_object().unwrap().clone());
        body
    }

    fn row(&self, format: Format) -> String {
        let email = self.email.to_lowercase();
        let person = Person {
            email: Some(&email),
            first_name: Some(self.first),
            last_name: Some(self.last),
            postal_code: Some(self.zip),
            country: Some(self.country),
            ..Person::default()
        };
        format.row(&person).unwrap().trim_end().to_string()
    }
}

const US: Someone = Someone {
    email: "Dana.Levi@Example.com",
    first: "Dana",
    last: "Levi",
    country: "US",
    zip: "94043",
};
const DE_BOTH: Someone = Someone {
    email: "hans@example.de",
    first: "Hans",
    last: "Müller",
    country: "DE",
    zip: "10115",
};
const DE_ONE: Someone = Someone {
    email: "eva@example.de",
    first: "Eva",
    last: "Braun",
    country: "DE",
    zip: "10117",
};
const NO_CONSENT: Someone = Someone {
    email: "none@example.com",
    first: "No",
    last: "Body",
    country: "US",
    zip: "10001",
};
const REFUSED: Someone = Someone {
    email: "refused@example.com",
    first: "Re",
    last: "Fused",
    country: "US",
    zip: "10002",
};
const ERASED: Someone = Someone {
    email: "erased@example.com",
    first: "Gone",
    last: "Away",
    country: "US",
    zip: "10003",
};

#[test]
fn platforms_pull_only_consented_people_hashed_in_their_own_format() {
    let base = &app().base_url;
    let marketing = json!({ "consent_marketing": true });
    let both = json!({ "consent_ad_user_data": "granted", "consent_ad_personalization": "granted" });
    submit_lead(base, &US.body(marketing.clone()));
    submit_lead(base, &DE_BOTH.body(both));
    // EEA with marketing and ad_user_data but not ad_personalization: out.
    submit_lead(
        base,
        &DE_ONE.body(json!({ "consent_marketing": true, "consent_ad_user_data": true })),
    );
    submit_lead(base, &NO_CONSENT.body(json!({})));
    submit_lead(
        base,
        &REFUSED.body(json!({ "consent_marketing": true, "consent_ad_personalization": false })),
    );
    let erased = submit_lead(base, &ERASED.body(marketing.clone()));
    wait_for_size(base, "pricing-no-phone", 3);
    assert_eq!(
        admin("DELETE", base, &format!("/intake/admin/leads/{erased}")).status,
        200
    );
    wait_for_size(base, "pricing-no-phone", 2);
    // The erased person comes back: suppressed, never exported again.
    submit_lead(base, &ERASED.body(marketing.clone()));

    let expected = |format: Format| BTreeSet::from([US.row(format), DE_BOTH.row(format)]);
    let path = "/audiences/pricing-no-phone/export";
    for format in Format::ALL {
        let name = format.name();
        let reply = pull(base, path, &bearer(name));
        assert_eq!(rows(&reply, format), expected(format), "{name}");
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        // No raw personal data leaves, only hashes (and country and zip
        // where the platform asks for them unhashed).
        let text = reply.text().to_lowercase();
        for raw in ["dana", "levi", "hans", "example.com", "example.de"] {
            assert!(!text.contains(raw), "{name} export contains {raw}: {text}");
        }
    }
    // Google: email normalised (trimmed, lowercased) then SHA-256; country
    // and zip in clear.
    let google = rows(&pull(base, path, &bearer("google")), Format::Google);
    let dana = google.iter().find(|r| r.contains("94043")).unwrap();
    assert!(
        dana.starts_with(&spin_retention_core::ids::sha256_hex("dana.levi@example.com")),
        "{dana}"
    );
    assert!(dana.ends_with("US,94043"), "{dana}");

    // HTTP Basic with the platform's name; other formats refused.
    let basic = format!("Basic {}", base64_of(&format!("meta:{}", export_token("meta"))));
    assert_eq!(rows(&pull(base, path, &basic), Format::Meta), expected(Format::Meta));
    pull(base, &format!("{path}?format=google"), &bearer("meta")).assert_problem(403);
    pull(base, path, "Bearer wrong").assert_problem(401);
    pull(base, path, "").assert_problem(401);
    pull(base, "/audiences/nope/export", &bearer("google")).assert_problem(404);
    pull(base, &format!("{path}?since=last-week"), &bearer("google")).assert_problem(400);

    // Paged: one row per page, following the cursor.
    let mut seen = BTreeSet::new();
    let mut query = "limit=1".to_string();
    let mut pages = 0;
    loop {
        let reply = pull(base, &format!("{path}?{query}"), &bearer("google"));
        seen.extend(rows(&reply, Format::Google));
        pages += 1;
        match reply.header("x-next-cursor") {
            Some(cursor) => query = format!("limit=1&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!((seen, pages), (expected(Format::Google), 2));
    // Incremental: nobody joined after now.
    let later = (chrono::Utc::now() + chrono::Duration::minutes(1)).format("%Y-%m-%dT%H:%M:%SZ");
    assert!(rows(
        &pull(base, &format!("{path}?since={later}"), &bearer("google")),
        Format::Google
    )
    .is_empty());

    // The log says who pulled what, with counts and no identifiers.
    let log = admin("GET", base, "/audiences/admin/log?limit=100");
    assert_eq!(log.status, 200);
    let items = log.json()["items"].as_array().unwrap().clone();
    assert!(items
        .iter()
        .any(|i| i["puller"] == "tiktok" && i["rows"] == 2 && i["complete"] == true));
    assert!(!log.text().contains("example"), "{}", log.text());
}

#[test]
fn a_hot_lead_joins_hot_not_converted_and_leaves_when_it_buys() {
    let base = &app().base_url;
    let id = submit_lead(
        base,
        &json!({ "email": "buyer@example.org", "phone": "+12025550143", "pages": "/pricing",
                  "country": "US", "consent_marketing": true }),
    );
    let path = "/audiences/hot-not-converted/export";
    let has_buyer = || {
        rows(&pull(base, path, &bearer("csv")), Format::Csv)
            .iter()
            .any(|r| r.starts_with(&spin_retention_core::ids::sha256_hex("buyer@example.org")))
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !has_buyer() {
        assert!(Instant::now() < deadline, "{id} never joined hot-not-converted");
        std::thread::sleep(Duration::from_millis(100));
    }
    submit_lead(
        base,
        &json!({ "email": "buyer@example.org", "form": "purchase", "consent_marketing": true }),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while has_buyer() {
        assert!(
            Instant::now() < deadline,
            "{id} still in hot-not-converted after buying"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn definitions_are_managed_and_refreshed() {
    let base = &app().base_url;
    let defs = admin("GET", base, "/audiences/admin/definitions");
    assert_eq!(defs.status, 200);
    assert!(defs.json()["facts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["fact"] == "nps_band"));
    let bad = spin_retention_e2e::admin_json(
        "PUT",
        base,
        "/audiences/admin/definitions",
        &json!({ "audiences": [{ "id": "x", "when": [{ "fact": "tierz", "equals": "hot" }] }] }),
    );
    let problem = bad.assert_problem(422);
    assert_eq!(problem["errors"][0]["field"], "audiences[x].when[0]");
    let refresh = admin("POST", base, "/audiences/admin/refresh?limit=500");
    assert_eq!(refresh.status, 200, "{}", refresh.text());
    assert!(refresh.json()["processed"].as_u64().is_some());
    admin("GET", base, "/audiences/nope/size").assert_problem(404);
    request("GET", base, "/audiences/promoters/size", &[], b"").assert_problem(401);
}

fn base64_of(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}
