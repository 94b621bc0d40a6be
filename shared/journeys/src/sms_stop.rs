//! SMS STOP: the provider's inbound-message webhook (Twilio's, signed with
//! the account's auth token, `journeys_api_key`). A reply of STOP (or
//! UNSUBSCRIBE, CANCEL, END, QUIT, הסר...) opts the person whose number it
//! came from out of marketing by SMS and WhatsApp (`sms-stop`); START
//! takes that back. Email is not touched: its own unsubscribe is per topic.
//! A number nobody has changes nothing, and the answer never says whether
//! it was known.

use crate::instance::OptOut;
use crate::{keys, unsubscribe};
use spin_retention_core::http::{Reply, Request};
use spin_retention_core::ports::Ctx;
use spin_retention_core::problem::Problem;
use spin_retention_core::store::JsonStore;
use spin_retention_messaging::twilio_inbound::{self, Reply as Asked};
use spin_retention_messaging::{Account, Provider};

/// `POST /journeys/sms/inbound`: a reply to one of our messages.
pub fn inbound(req: &Request, ctx: &Ctx) -> Result<Reply, Reply> {
    let account = Account::from_config(ctx.config, "journeys").filter(|a| a.provider == Provider::Twilio);
    let Some(token) = account.and_then(|a| a.api_key).filter(|t| !t.is_empty()) else {
        return Err(Problem::not_found(&req.path)
            .with_detail("inbound SMS needs journeys_provider twilio and its auth token (journeys_api_key)")
            .into());
    };
    let refused = || -> Reply {
        Problem::new(403, "invalid-signature", "Invalid Signature")
            .with_detail("X-Twilio-Signature does not match this request")
            .into()
    };
    let params = twilio_inbound::params(&req.body).ok_or_else(refused)?;
    // The URL Twilio called: the app's public origin and this path.
    let origin = ctx.config.get("public_url").unwrap_or_default();
    let query = if req.query.is_empty() {
        String::new()
    } else {
        format!("?{}", req.query)
    };
    let url = format!("{}{}{query}", origin.trim_end_matches('/'), req.path);
    let signed = req.header("x-twilio-signature").unwrap_or_default();
    if !twilio_inbound::verify(&token, &url, &params, signed) {
        return Err(refused());
    }
    let field = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let from = field("From").unwrap_or_default().trim_start_matches("whatsapp:");
    let asked = field("Body").and_then(twilio_inbound::keyword);
    if let (Some(asked), true) = (asked, from.starts_with('+')) {
        let key = spin_retention_core::keys::lead_by_phone(from);
        if let Some(lead_id) = spin_retention_core::lead::by_identity(ctx.store, &key)? {
            let opt_out = keys::opt_out(&lead_id, unsubscribe::SMS_STOP);
            match asked {
                Asked::Stop if !ctx.store.exists(&opt_out)? => ctx.store.set_json(
                    &opt_out,
                    &OptOut {
                        at: ctx.now,
                        via: "sms".into(),
                    },
                )?,
                Asked::Start => {
                    spin_retention_core::store::delete_if_present(ctx.store, &opt_out.to_string())?;
                }
                Asked::Stop => {}
            }
        }
    }
    // TwiML that says nothing: Twilio's own STOP reply (Advanced Opt-Out)
    // is the person's confirmation.
    Ok(Reply {
        status: 200,
        headers: vec![("content-type".into(), "text/xml".into())],
        body: br#"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#.to_vec(),
    })
}
