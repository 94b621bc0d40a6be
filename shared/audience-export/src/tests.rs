//! Audiences over stored leads: membership, consent, erase, paging, cost.

use super::formats::Format;
use super::membership;
use crate::keys;
use spin_retention_core::http::{Reply, Request};
use spin_retention_core::lead::testing::submit;
use spin_retention_core::lead::Lead;
use spin_retention_core::ports::{Ctx, NoOutbound};
use spin_retention_core::store::{CountingStore, JsonStore, MemoryStore, Store};
use spin_retention_scores::Tier;
use std::collections::HashMap;

fn config() -> HashMap<String, String> {
    [
        ("admin_token", "adm"),
        ("export_token_google", "g-token"),
        ("export_token_meta", "m-token"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .into()
}

/// An erase as lead-intake fans it out: intake forgets its own keys, and
/// this job is handed `DELETE /audiences/admin/people/{lead}` (as
/// lead-scoring is, whose keys are its own to forget).
fn erase(ctx: &Ctx, id: &str) {
    spin_retention_core::lead::testing::erase(ctx.store, id);
    let mut req = Request::new("DELETE", &format!("/audiences/admin/people/{id}"));
    req.headers.push(("authorization".into(), "Bearer adm".into()));
    assert_eq!(super::job::JOB.handle(&req, ctx).reply.status, 200);
}

/// The keys that name the person, but for lead-scoring's.
fn left_of(store: &MemoryStore, id: &str) -> Vec<String> {
    let mut left = store.mentions(id);
    left.retain(|k| !k.starts_with("score:") && !k.starts_with("hot-queue:"));
    left
}

/// Scores the lead as the shipped scoring rules would for what these
/// tests give: hot with a pricing page and a phone, else cold.
fn score(ctx: &Ctx, id: &str) {
    let lead = spin_retention_core::lead::load(ctx.store, id).unwrap().unwrap();
    let pricing = spin_retention_core::lead::load_recent(ctx.store, id)
        .unwrap()
        .unwrap()
        .submissions
        .iter()
        .any(|s| s.attribution.pages.iter().any(|p| p == "/pricing"));
    let tier = match pricing && lead.contact.phone.is_some() {
        true => Tier::Hot,
        false => Tier::Cold,
    };
    spin_retention_scores::testing::score(ctx.store, id, tier, None, "+30 visited the pricing page", ctx.now);
}

/// A lead as intake stores it, scored, its memberships updated.
fn lead(ctx: &Ctx, pairs: &[(&str, &str)]) -> String {
    let id = submit(ctx, pairs);
    score(ctx, &id);
    membership::update(ctx, &id).unwrap();
    id
}

fn get(ctx: &Ctx, path_and_query: &str, auth: &str) -> Reply {
    let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
    let mut req = Request::new("GET", path);
    req.query = query.to_string();
    req.headers.push(("authorization".into(), auth.into()));
    crate::job::JOB.handle(&req, ctx).finish(ctx).unwrap()
}

fn lines(reply: &Reply) -> Vec<String> {
    String::from_utf8(reply.body.clone())
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// The row `format` makes of a stored lead, without its line end.
fn row_of(store: &dyn Store, format: Format, lead_id: &str) -> String {
    let lead: Lead = spin_retention_core::lead::load(store, lead_id).unwrap().unwrap();
    let row = format.row(&super::export::person(&lead.contact)).unwrap();
    row.trim_end().to_string()
}

const PRICING: (&str, &str) = ("pages", "/pricing");
const YES: &str = "yes";

#[test]
fn pricing_no_phone_exports_only_consented_people_row_by_row() {
    let store = MemoryStore::new();
    let config = config();
    let ctx = Ctx::new(&store, &config, &NoOutbound, spin_retention_core::ports::test_now());
    let us = lead(
        &ctx,
        &[
            ("email", "Dana@Example.com"),
            ("first_name", "Dana"),
            ("last_name", "Levi"),
            ("country", "US"),
            ("zip", "94043"),
            PRICING,
            ("consent_marketing", YES),
        ],
    );
    let eea_both = lead(
        &ctx,
        &[
            ("email", "hans@example.de"),
            ("country", "DE"),
            PRICING,
            ("consent_ad_user_data", YES),
            ("consent_ad_personalization", YES),
        ],
    );
    let eea_one = lead(
        &ctx,
        &[
            ("email", "eva@example.de"),
            ("country", "DE"),
            PRICING,
            ("consent_marketing", YES),
            ("consent_ad_user_data", YES),
        ],
    );
    let no_consent = lead(&ctx, &[("email", "none@example.com"), ("country", "US"), PRICING]);
    let refused = lead(
        &ctx,
        &[
            ("email", "no@example.com"),
            ("country", "US"),
            PRICING,
            ("consent_marketing", YES),
            ("consent_ad_personalization", "no"),
        ],
    );
    let with_phone = lead(
        &ctx,
        &[
            ("email", "phone@example.com"),
            ("phone", "+12025550123"),
            ("country", "US"),
            PRICING,
            ("consent_marketing", YES),
        ],
    );
    let erased = lead(
        &ctx,
        &[
            ("email", "gone@example.com"),
            ("country", "US"),
            PRICING,
            ("consent_marketing", YES),
        ],
    );
    erase(&ctx, &erased);
    assert_eq!(left_of(&store, &erased), Vec::<String>::new());

    let reply = get(&ctx, "/audiences/pricing-no-phone/export", "Bearer g-token");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("text/csv; charset=utf-8"));
    let got = lines(&reply);
    assert_eq!(got[0], Format::Google.header().trim_end());
    let mut rows = got[1..].to_vec();
    rows.sort();
    let mut expected = vec![
        row_of(&store, Format::Google, &us),
        row_of(&store, Format::Google, &eea_both),
    ];
    expected.sort();
    assert_eq!(rows, expected);
    // Hashed identifiers and the unhashed country and zip Google asks for.
    let dana = rows.iter().find(|r| r.contains("94043")).unwrap();
    assert!(
        dana.starts_with(&spin_retention_core::ids::sha256_hex("dana@example.com")),
        "{dana}"
    );
    assert!(!dana.to_lowercase().contains("dana@") && !dana.to_lowercase().contains("levi"));
    for left_out in [&eea_one, &no_consent, &refused] {
        assert!(
            store.get(&keys::audience_member(left_out)).unwrap().is_none(),
            "{left_out}"
        );
    }
    // Hot (pricing and a phone): in hot-not-converted, not in pricing-no-phone.
    let memberships: membership::Membership = store.get_json(&keys::audience_member(&with_phone)).unwrap().unwrap();
    assert_eq!(memberships.audiences.keys().collect::<Vec<_>>(), ["hot-not-converted"]);

    // The same audience for Meta: its own header and hashing.
    let meta = lines(&get(&ctx, "/audiences/pricing-no-phone/export", "Bearer m-token"));
    assert_eq!(meta[0], Format::Meta.header().trim_end());
    assert_eq!(meta.len(), 3);
    // The pull log has counts, never identifiers.
    let log = get(&ctx, "/audiences/admin/log", "Bearer adm");
    let body: serde_json::Value = serde_json::from_slice(&log.body).unwrap();
    let mut pulls: Vec<(String, u64, bool)> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["puller"].as_str().unwrap().into(),
                i["rows"].as_u64().unwrap(),
                i["complete"] == true,
            )
        })
        .collect();
    pulls.sort();
    assert_eq!(pulls, [("google".into(), 2, true), ("meta".into(), 2, true)]);
    assert!(!String::from_utf8_lossy(&log.body).contains(&us));
}

#[test]
fn credentials_formats_and_bad_queries() {
    let store = MemoryStore::new();
    let config = config();
    let ctx = Ctx::new(&store, &config, &NoOutbound, spin_retention_core::ports::test_now());
    let status = |path: &str, auth: &str| get(&ctx, path, auth).status;
    assert_eq!(status("/audiences/promoters/export", "Bearer wrong"), 401);
    assert_eq!(status("/audiences/promoters/export", ""), 401);
    assert_eq!(status("/audiences/promoters/export?format=meta", "Bearer g-token"), 403);
    assert_eq!(status("/audiences/promoters/export?format=meta", "Bearer adm"), 200);
    assert_eq!(status("/audiences/promoters/export?format=nope", "Bearer adm"), 400);
    assert_eq!(status("/audiences/nope/export", "Bearer g-token"), 404);
    assert_eq!(
        status("/audiences/promoters/export?since=yesterday", "Bearer g-token"),
        400
    );
    assert_eq!(status("/audiences/promoters/export?cursor=zzz", "Bearer g-token"), 400);
    assert_eq!(status("/audiences/promoters/export?limit=0", "Bearer g-token"), 400);
    // base64("google:g-token")
    assert_eq!(status("/audiences/promoters/export", "Basic Z29vZ2xlOmctdG9rZW4="), 200);
    assert_eq!(status("/audiences/promoters/size", "Bearer g-token"), 401);
    assert_eq!(status("/audiences/promoters/size", "Bearer adm"), 200);
}

/// Leads that all join `pricing-no-phone`, memberships set in one refresh.
fn many(ctx: &Ctx, from: usize, n: usize) {
    for i in from..from + n {
        submit(
            ctx,
            &[
                ("email", &format!("p{i}@example.com")),
                ("country", "US"),
                PRICING,
                ("consent_marketing", YES),
            ],
        );
    }
    let mut refresh = Request::new("POST", "/audiences/admin/refresh");
    refresh.query = "limit=5000&restart=true".into();
    refresh.headers.push(("authorization".into(), "Bearer adm".into()));
    let reply = crate::job::JOB.handle(&refresh, ctx).reply;
    assert_eq!(reply.status, 200);
}

#[test]
fn pages_follow_the_cursor_and_cost_the_page_not_the_audience() {
    let store = CountingStore::default();
    let config = config();
    let ctx = Ctx::new(&store, &config, &NoOutbound, spin_retention_core::ports::test_now());
    many(&ctx, 0, 30);
    let size: serde_json::Value =
        serde_json::from_slice(&get(&ctx, "/audiences/pricing-no-phone/size", "Bearer adm").body).unwrap();
    assert_eq!(size["members"], 30);
    // Pages of 7 cover everyone once.
    let mut seen = Vec::new();
    let mut query = "limit=7".to_string();
    let before = store.reads();
    let first = get(
        &ctx,
        &format!("/audiences/pricing-no-phone/export?{query}"),
        "Bearer g-token",
    );
    let reads_small = store.reads() - before;
    loop {
        let reply = get(
            &ctx,
            &format!("/audiences/pricing-no-phone/export?{query}"),
            "Bearer g-token",
        );
        let rows = lines(&reply)[1..].to_vec();
        assert!(rows.len() <= 7);
        seen.extend(rows);
        match reply.header("x-next-cursor") {
            Some(cursor) => {
                assert!(reply.header("link").unwrap().contains("rel=\"next\""));
                query = format!("limit=7&cursor={cursor}");
            }
            None => break,
        }
    }
    assert_eq!(lines(&first).len(), 8);
    let unique: std::collections::BTreeSet<_> = seen.iter().collect();
    assert_eq!((seen.len(), unique.len()), (30, 30));

    // Ten times the audience: the first page of 7 costs about the same.
    many(&ctx, 30, 270);
    let before = store.reads();
    get(&ctx, "/audiences/pricing-no-phone/export?limit=7", "Bearer g-token");
    let reads_large = store.reads() - before;
    assert!(
        reads_large <= reads_small + 2,
        "{reads_small} reads with 30 members, {reads_large} with 300"
    );
}

#[test]
fn since_gives_only_newer_members_and_memberships_follow_the_lead() {
    let store = MemoryStore::new();
    let config = config();
    let ctx = Ctx::new(&store, &config, &NoOutbound, spin_retention_core::ports::test_now());
    let id = lead(
        &ctx,
        &[
            ("email", "a@example.com"),
            ("country", "US"),
            PRICING,
            ("consent_marketing", YES),
        ],
    );
    let all = lines(&get(&ctx, "/audiences/pricing-no-phone/export", "Bearer g-token"));
    assert_eq!(all.len(), 2);
    let later = (ctx.now + chrono::Duration::seconds(5)).to_rfc3339();
    let query = format!("since={}", later.replace('+', "%2B"));
    let newer = lines(&get(
        &ctx,
        &format!("/audiences/pricing-no-phone/export?{query}"),
        "Bearer g-token",
    ));
    assert_eq!(newer.len(), 1, "header only");
    // Leaving a phone takes the lead out of pricing-no-phone.
    submit(
        &ctx,
        &[
            ("email", "a@example.com"),
            ("phone", "+12025550199"),
            ("consent_marketing", YES),
        ],
    );
    score(&ctx, &id);
    membership::update(&ctx, &id).unwrap();
    assert_eq!(
        lines(&get(&ctx, "/audiences/pricing-no-phone/export", "Bearer g-token")).len(),
        1
    );
    let size: serde_json::Value =
        serde_json::from_slice(&get(&ctx, "/audiences/pricing-no-phone/size", "Bearer adm").body).unwrap();
    assert_eq!(size["members"], 0);
}

#[test]
fn a_stream_never_holds_more_than_a_batch() {
    let store = MemoryStore::new();
    let config = config();
    let ctx = Ctx::new(&store, &config, &NoOutbound, spin_retention_core::ports::test_now());
    many(&ctx, 0, super::export::BATCH + 20);
    let mut req = Request::new("GET", "/audiences/pricing-no-phone/export");
    req.headers.push(("authorization".into(), "Bearer g-token".into()));
    let outcome = crate::job::JOB.handle(&req, &ctx);
    assert!(outcome.reply.body.is_empty());
    let mut stream = outcome.stream.unwrap();
    let mut sizes = Vec::new();
    while let Some(chunk) = stream(&ctx).unwrap() {
        sizes.push(String::from_utf8(chunk).unwrap().lines().count());
    }
    assert_eq!(sizes, [1, super::export::BATCH, 20]);
}

#[test]
fn an_erase_during_a_refresh_leaves_nothing_behind() {
    let store = MemoryStore::new();
    let config = config();
    let ctx = Ctx::new(&store, &config, &NoOutbound, spin_retention_core::ports::test_now());
    let id = submit(
        &ctx,
        &[
            ("email", "race@example.com"),
            ("country", "US"),
            PRICING,
            ("consent_marketing", YES),
        ],
    );
    let defs = super::definition::current(&store).unwrap();
    let plan = membership::plan(&ctx, &defs, &id).unwrap();
    assert!(plan.changed());
    erase(&ctx, &id);
    membership::apply(&store, &[plan]).unwrap();
    assert_eq!(left_of(&store, &id), Vec::<String>::new());
}

#[test]
fn a_pull_the_client_abandons_is_still_logged() {
    let store = MemoryStore::new();
    let config = config();
    let ctx = Ctx::new(&store, &config, &NoOutbound, spin_retention_core::ports::test_now());
    many(&ctx, 0, 3);
    let mut req = Request::new("GET", "/audiences/pricing-no-phone/export");
    req.headers.push(("authorization".into(), "Bearer g-token".into()));
    let outcome = crate::job::JOB.handle(&req, &ctx);
    let mut stream = outcome.stream.unwrap();
    assert!(stream(&ctx).unwrap().is_some(), "the header");
    // The client goes away: the adapter stops writing and runs the after-tasks.
    drop(stream);
    for task in outcome.after {
        task(&ctx);
    }
    let log: serde_json::Value = serde_json::from_slice(&get(&ctx, "/audiences/admin/log", "Bearer adm").body).unwrap();
    assert_eq!(log["items"][0]["complete"], false);
    assert_eq!(log["items"][0]["puller"], "google");
}

#[test]
fn new_scoring_rules_start_a_new_refresh_run() {
    let store = MemoryStore::new();
    let config = config();
    let ctx = Ctx::new(&store, &config, &NoOutbound, spin_retention_core::ports::test_now());
    many(&ctx, 0, 2);
    let mut refresh = Request::new("POST", "/audiences/admin/refresh");
    refresh.headers.push(("authorization".into(), "Bearer adm".into()));
    let run = |ctx: &Ctx| -> serde_json::Value {
        serde_json::from_slice(&crate::job::JOB.handle(&refresh, ctx).reply.body).unwrap()
    };
    let first = run(&ctx);
    assert_eq!(
        (first["done"].clone(), first["processed"].clone()),
        (true.into(), 2.into())
    );
    // Unchanged definitions and rules: the finished run stands.
    assert_eq!(run(&ctx)["started_at"], first["started_at"]);
    let rules = serde_json::json!({"thresholds": {"hot": 1000}});
    spin_retention_scores::testing::set_rules(&store, rules, ctx.now);
    let again = run(&ctx);
    assert_eq!(
        (again["done"].clone(), again["processed"].clone()),
        (true.into(), 2.into())
    );
    assert_ne!(again["version"], first["version"]);
}

#[test]
fn the_longest_window_does_not_overflow() {
    let now = spin_retention_core::ports::test_now();
    assert!(super::export::window_start(now, Some(u32::MAX)).is_some());
    assert_eq!(super::export::window_start(now, None), None);
}

#[test]
fn a_persons_audiences_are_listed_for_the_dashboard() {
    let store = MemoryStore::new();
    let config = config();
    let ctx = Ctx::new(&store, &config, &NoOutbound, spin_retention_core::ports::test_now());
    let id = lead(
        &ctx,
        &[
            ("email", "dana@example.com"),
            ("country", "US"),
            PRICING,
            ("consent_marketing", YES),
        ],
    );
    let reply = get(&ctx, &format!("/audiences/admin/members/{id}"), "Bearer adm");
    assert_eq!(reply.status, 200);
    let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    let listed: Vec<&str> = body["audiences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["audience"].as_str().unwrap())
        .collect();
    assert!(listed.contains(&"pricing-no-phone"), "{body}");
    assert_eq!(body["audiences"][0]["since"], "2026-11-23T10:00:00Z");
    // Nobody, or an export token: an empty list, and a refusal.
    let nobody = get(&ctx, "/audiences/admin/members/l_nobody", "Bearer adm");
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&nobody.body).unwrap()["audiences"],
        serde_json::json!([])
    );
    assert_eq!(
        get(&ctx, &format!("/audiences/admin/members/{id}"), "Bearer g-token").status,
        401
    );
}

/// One writer per key: a refresh over lead-intake's lead list (long enough
/// to be snapshotted), a lead's memberships, a pull and its log, new
/// definitions and an erase write only audience-export's keys.
#[test]
fn audience_export_writes_only_its_own_keys() {
    let store = MemoryStore::new();
    let config = config();
    let setup = Ctx::new(&store, &config, &NoOutbound, spin_retention_core::ports::test_now());
    let ids: Vec<String> = (0..150)
        .map(|i| {
            submit(
                &setup,
                &[
                    ("email", &format!("o{i}@example.com")),
                    ("country", "US"),
                    PRICING,
                    ("consent_marketing", YES),
                ],
            )
        })
        .collect();
    ids.iter().for_each(|id| score(&setup, id));
    let owned = spin_retention_core::ownership::OwnedBy::new(&store, "audience-export");
    let ctx = Ctx::new(&owned, &config, &NoOutbound, spin_retention_core::ports::test_now());
    let call = |method: &str, path: &str, query: &str, body: &[u8]| {
        let mut req = Request::new(method, path);
        req.query = query.into();
        req.body = body.to_vec();
        req.headers.push(("authorization".into(), "Bearer adm".into()));
        let outcome = crate::job::JOB.handle(&req, &ctx);
        if let Some(mut stream) = outcome.stream {
            while stream(&ctx).unwrap().is_some() {}
        }
        for task in outcome.after {
            task(&ctx);
        }
        outcome.reply.status
    };
    assert_eq!(
        call("POST", "/audiences/admin/refresh", "limit=5000&restart=true", b""),
        200
    );
    assert_eq!(
        call("POST", &format!("/audiences/leads/{}", ids[0]), "", b""),
        204,
        "nothing changed"
    );
    let mut pull = Request::new("GET", "/audiences/pricing-no-phone/export");
    pull.headers.push(("authorization".into(), "Bearer g-token".into()));
    let outcome = crate::job::JOB.handle(&pull, &ctx);
    let mut stream = outcome.stream.unwrap();
    while stream(&ctx).unwrap().is_some() {}
    drop(stream);
    outcome.after.into_iter().for_each(|task| task(&ctx));
    let definitions = get(&ctx, "/audiences/admin/definitions", "Bearer adm").body;
    let definitions: serde_json::Value = serde_json::from_slice(&definitions).unwrap();
    let body = serde_json::to_vec(&definitions["definitions"]).unwrap();
    assert_eq!(call("PUT", "/audiences/admin/definitions", "", &body), 200);
    assert_eq!(
        call("DELETE", &format!("/audiences/admin/people/{}", ids[1]), "", b""),
        200
    );
}

/// What the dashboard reads of audiences is the contract's: the
/// definitions, an audience's size, the export log and a person's
/// memberships read back as `contracts::audiences` types, and the
/// definitions also as audience-export's own, conditions and all.
#[test]
fn the_admin_answers_are_the_contract() {
    use spin_retention_core::contracts::audiences::{Definitions, Log, Memberships, Size};
    use spin_retention_core::contracts::testing::reads_as;
    let store = MemoryStore::new();
    let config = config();
    let ctx = Ctx::new(&store, &config, &NoOutbound, spin_retention_core::ports::test_now());
    let id = lead(
        &ctx,
        &[
            ("email", "dana@example.com"),
            ("country", "US"),
            PRICING,
            ("consent_marketing", YES),
        ],
    );
    let read = |path: &str, auth: &str| {
        let reply = get(&ctx, path, auth);
        assert_eq!(reply.status, 200, "{path}: {}", String::from_utf8_lossy(&reply.body));
        reply.body
    };
    let answer = read("/audiences/admin/definitions", "Bearer adm");
    let definitions: Definitions = reads_as(&answer);
    let own: Definitions<super::definition::Audiences> = reads_as(&answer);
    assert_eq!(own.definitions, super::definition::current(&store).unwrap());
    let pricing = definitions.definitions.get("pricing-no-phone").unwrap();
    assert!(!pricing.when.is_empty(), "its conditions, as JSON");
    let size: Size = reads_as(&read("/audiences/pricing-no-phone/size", "Bearer adm"));
    assert_eq!((size.audience.as_str(), size.members), ("pricing-no-phone", 1));
    read("/audiences/pricing-no-phone/export?format=google", "Bearer g-token");
    let log: Log = reads_as(&read("/audiences/admin/log", "Bearer adm"));
    assert_eq!(
        (log.items[0].audience.as_str(), log.items[0].rows),
        ("pricing-no-phone", 1)
    );
    let memberships: Memberships = reads_as(&read(&format!("/audiences/admin/members/{id}"), "Bearer adm"));
    assert!(memberships.audiences.iter().any(|a| a.audience == "pricing-no-phone"));
}
