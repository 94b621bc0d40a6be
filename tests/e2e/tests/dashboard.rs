//! The dashboard in a real browser: Debian's headless Chromium, driven by
//! chromedriver over WebDriver (fantoccini), against the app under
//! `spin up`. A person signs in, sees and opens a hot lead the test
//! submitted, claims it, watches the NPS chart move after an answer,
//! switches to Hebrew, and never sees markup run; requests without the
//! session or its CSRF token are refused. Screenshots of each step go to
//! `target/dashboard-screenshots/`.

use fantoccini::{elements::Element, Client, Locator};
use serde_json::{json, Value};
use spin_retention_e2e::browser::{browser, start_driver};
use spin_retention_e2e::{admin, admin_json, app_config, own_spin, post_json, repo_root, request, submit_lead};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const NAME: &str = "<script>alert('pwned')</script> Dana";

fn screenshots() -> PathBuf {
    let dir = repo_root().join("target/dashboard-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shoot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

async fn click(c: &Client, css: &str) {
    let element = c.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
    element.click().await.unwrap();
}

async fn html_of(c: &Client, css: &str) -> String {
    let element = c.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
    element.html(false).await.unwrap()
}

async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

async fn attr(e: &Element, name: &str) -> String {
    e.attr(name).await.unwrap().unwrap_or_default()
}

/// Waits for the page after a click: a form post navigates once the click
/// has returned.
async fn until_url(c: &Client, suffix: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !c.current_url().await.unwrap().as_str().ends_with(suffix) {
        assert!(
            Instant::now() < deadline,
            "never at {suffix}: {}",
            c.current_url().await.unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until `css` holds `needle` (the page after a click).
async fn until_text(c: &Client, css: &str, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(e) = c.find(Locator::Css(css)).await {
            if let Ok(text) = e.text().await {
                if text.contains(needle) {
                    return text;
                }
            }
        }
        assert!(Instant::now() < deadline, "{css} never showed {needle}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls `check` until it holds (a hand-off after another request's reply).
fn eventually(what: &str, check: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(Instant::now() < deadline, "never: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_person_works_through_the_dashboard_in_a_real_browser() {
    let Some(app) = own_spin(app_config()) else { return };
    // Chromium keeps `Secure` cookies of http://localhost (a secure context).
    let base = app.base_url.replace("127.0.0.1", "localhost");
    let api = app.base_url.clone();
    let lead = submit_lead(
        &api,
        &json!({"name": NAME, "email": "dana.browser@gmail.com", "phone": "+12015550177",
                "pages": ["/pricing"], "message": "Can we get a demo this week?"}),
    );
    eventually("the lead is scored hot", || {
        let score = admin("GET", &api, &format!("/scoring/leads/{lead}"));
        score.status == 200 && score.json()["tier"] == "hot"
    });
    let driver = start_driver();
    let c = browser(&driver).await;

    // 1. Sign in: any page sends a stranger to the sign-in form.
    c.goto(&format!("{base}/dashboard/hot")).await.unwrap();
    assert!(c.current_url().await.unwrap().as_str().ends_with("/dashboard/signin"));
    shoot(&c, "1-sign-in").await;
    let form = c.form(Locator::Css("form.signin")).await.unwrap();
    form.set_by_name("token", spin_retention_e2e::ADMIN_TOKEN)
        .await
        .unwrap();
    form.submit().await.unwrap();
    until_url(&c, "/dashboard/hot").await;
    let cookies = c.get_all_cookies().await.unwrap();
    let session = cookies
        .iter()
        .find(|k| k.name() == "dashboard_session")
        .expect("a session cookie");
    assert_eq!(session.http_only(), Some(true));
    assert_eq!(session.secure(), Some(true));
    assert_eq!(format!("{:?}", session.same_site()), "Some(Strict)");
    assert!(!session.value().contains(spin_retention_e2e::ADMIN_TOKEN));
    let local_storage: Value = c
        .execute("return JSON.stringify(window.localStorage)", vec![])
        .await
        .unwrap();
    assert_eq!(local_storage, json!("{}"), "nothing in local storage");

    // 2. The hot lead is listed; its name is text, however it looks (5).
    let row = format!("tr[data-lead='{lead}']");
    let name = text_of(&c, &format!("{row} a.name")).await;
    assert_eq!(name, NAME);
    let scripts = c.find_all(Locator::Css("script")).await.unwrap();
    assert!(scripts.is_empty(), "no script element on the page");
    shoot(&c, "2-hot-leads").await;

    // ... its timeline opens, and it is claimed from there.
    click(&c, &format!("{row} a.name")).await;
    until_url(&c, &format!("/dashboard/people/{lead}")).await;
    assert_eq!(until_text(&c, "h1", "Dana").await, NAME);
    let timeline = text_of(&c, "ol.timeline").await;
    assert!(
        timeline.contains("Submitted a form") && timeline.contains("Can we get a demo this week?"),
        "{timeline}"
    );
    assert!(
        timeline.contains("visited the pricing page"),
        "score changes with reasons: {timeline}"
    );
    click(&c, "section.actions button[name=claim]").await;
    until_text(&c, "dl.facts", "Claimed by").await;
    shoot(&c, "3-person-claimed").await;
    let alerts = admin("GET", &api, &format!("/alerts/admin/leads/{lead}")).json();
    assert_eq!(alerts["alerts"]["claimed"]["via"], "admin", "{alerts}");

    // 3. An answer moves the NPS chart.
    let put = admin_json(
        "PUT",
        &api,
        "/survey/admin/surveys/browser-nps",
        &json!({"kind": "nps", "question": {"en": "Would you recommend us?"}}),
    );
    assert_eq!(put.status, 201, "{}", put.text());
    c.goto(&format!("{base}/dashboard/surveys?survey=browser-nps"))
        .await
        .unwrap();
    assert_eq!(text_of(&c, "#score").await, "–");
    let chart_before = html_of(&c, "#weekly svg").await;
    assert!(!chart_before.contains("<circle"), "no point before any answer");
    let link = admin_json(
        "POST",
        &api,
        "/survey/admin/surveys/browser-nps/links",
        &json!({"lead_id": lead}),
    )
    .json();
    let answered = post_json(
        &api,
        "/survey/surveys/browser-nps/answers",
        &json!({"token": link["token"], "score": 10, "comment": "<b>Great</b> team"}),
    );
    assert_eq!(answered.status, 201, "{}", answered.text());
    c.refresh().await.unwrap();
    assert_eq!(text_of(&c, "#score").await, "100");
    let chart_after = html_of(&c, "#weekly svg").await;
    assert_ne!(chart_before, chart_after);
    assert!(chart_after.contains(": 100</title>"), "a point at 100: {chart_after}");
    shoot(&c, "4-surveys").await;
    // A purchase shows on the person's timeline and in this month's retention.
    let order = json!({"type": "purchase", "order_id": "B-1", "email": "dana.browser@gmail.com",
                       "amount": "125.50", "currency": "USD"});
    let imported = request(
        "POST",
        &api,
        "/customers/admin/import",
        &[
            ("authorization", &format!("Bearer {}", spin_retention_e2e::ADMIN_TOKEN)),
            ("content-type", "application/x-ndjson"),
        ],
        order.to_string().as_bytes(),
    );
    assert_eq!(imported.status, 200, "{}", imported.text());
    c.goto(&format!("{base}/dashboard/people/{lead}")).await.unwrap();
    assert!(text_of(&c, "ol.timeline").await.contains("purchase 125.50 USD B-1"));
    for page in ["retention", "audiences", "rules"] {
        c.goto(&format!("{base}/dashboard/{page}")).await.unwrap();
        shoot(&c, &format!("4-{page}")).await;
        if page == "retention" {
            let month = text_of(&c, "table.months tbody tr:last-child").await;
            assert!(month.contains("125.50 USD"), "this month's revenue: {month}");
        }
    }
    // Found by email, and by phone as a person types it (read by lead-intake,
    // in phone_default_region US); erase asks first.
    c.goto(&format!("{base}/dashboard/people?q=dana.browser%40gmail.com"))
        .await
        .unwrap();
    until_url(&c, &format!("/dashboard/people/{lead}")).await;
    c.goto(&format!("{base}/dashboard/people?q=%28201%29+555-0177"))
        .await
        .unwrap();
    until_url(&c, &format!("/dashboard/people/{lead}")).await;
    c.goto(&format!("{base}/dashboard/people/{lead}/erase")).await.unwrap();
    assert!(text_of(&c, "main").await.contains("ERASE"));
    shoot(&c, "4-erase-confirmation").await;
    c.goto(&format!("{base}/dashboard/surveys?survey=browser-nps"))
        .await
        .unwrap();

    // 4. Hebrew reads right to left.
    click(&c, "header a.lang").await;
    until_text(&c, "header nav", "לידים חמים").await;
    let html = c.find(Locator::Css("html")).await.unwrap();
    assert_eq!(attr(&html, "dir").await, "rtl");
    assert_eq!(attr(&html, "lang").await, "he");
    let direction: Value = c
        .execute("return getComputedStyle(document.body).direction", vec![])
        .await
        .unwrap();
    assert_eq!(direction, json!("rtl"));
    assert_eq!(text_of(&c, "header nav a").await, "לידים חמים");
    shoot(&c, "5-hebrew-surveys").await;
    c.goto(&format!("{base}/dashboard/people/{lead}")).await.unwrap();
    assert_eq!(text_of(&c, "h1").await, NAME, "still text in Hebrew");
    shoot(&c, "6-hebrew-person").await;
    for page in ["hot", "retention", "audiences", "rules"] {
        c.goto(&format!("{base}/dashboard/{page}")).await.unwrap();
        shoot(&c, &format!("7-hebrew-{page}")).await;
    }

    // 6. Without the session, or without its CSRF token, a write is refused.
    let claim = format!("/dashboard/leads/{lead}/contacted");
    let form_headers = |cookie: &str| {
        vec![
            (
                "content-type".to_string(),
                "application/x-www-form-urlencoded".to_string(),
            ),
            ("cookie".to_string(), cookie.to_string()),
        ]
    };
    let csrf = attr(&c.find(Locator::Css("input[name=csrf]")).await.unwrap(), "value").await;
    let session_cookie = format!("dashboard_session={}", session.value());
    let send = |cookie: &str, body: &str| {
        let headers = form_headers(cookie);
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        request("POST", &api, &claim, &headers, body.as_bytes())
    };
    assert_eq!(send("", &format!("csrf={csrf}")).status, 403, "no session");
    assert_eq!(send(&session_cookie, "outcome=reached").status, 403, "no CSRF token");
    assert_eq!(
        send(&session_cookie, &format!("csrf={}", "a".repeat(64))).status,
        403,
        "another token"
    );
    let untouched = admin("GET", &api, &format!("/alerts/admin/leads/{lead}")).json();
    assert!(
        untouched["alerts"]["contacted"].is_null(),
        "nothing refused was recorded: {untouched}"
    );
    assert_eq!(
        send(&session_cookie, &format!("csrf={csrf}&outcome=reached")).status,
        303,
        "with both, it is done"
    );

    // Signing out ends the session for its copies too.
    click(&c, "form.signout button").await;
    until_url(&c, "/dashboard/signin").await;
    shoot(&c, "8-hebrew-sign-in").await;
    let reused = request("GET", &api, "/dashboard/hot", &[("cookie", &session_cookie)], b"");
    assert_eq!(reused.status, 303);
    assert_eq!(reused.header("location"), Some("/dashboard/signin"));
    c.close().await.unwrap();
}
