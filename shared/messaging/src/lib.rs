//! Sending a message through a provider: the providers' HTTP APIs, as each
//! documents them, for instant-ack's acknowledgements and lead-alerts'
//! alerts. SendGrid v3 Mail Send (`POST /v3/mail/send`, bearer key, 202 with
//! `X-Message-Id`), Postmark (`POST /email`, `X-Postmark-Server-Token`, JSON
//! `MessageID`), Resend (`POST /emails`, bearer key, `Idempotency-Key`, JSON
//! `id`), Twilio Messages (`POST /2010-04-01/Accounts/<sid>/Messages.json`,
//! HTTP Basic sid:token, form body, `I-Twilio-Idempotency-Token`, JSON `sid`;
//! WhatsApp numbers as `whatsapp:+E164`), and a generic JSON webhook.
//!
//! A [`Message`]'s [`reference`](Message::reference) is its idempotency key:
//! sent again with the same reference, a provider that honours one sends it
//! once. The providers receive it under the name `submission_id` (SendGrid's
//! `custom_args`, Postmark's `Metadata`, the webhook's body), as they always
//! have.
//!
//! [`twilio_inbound`] verifies the signature of Twilio's inbound webhooks
//! (a person's reply, such as STOP).

pub mod twilio_inbound;

use base64::Engine;
use serde_json::json;
use spin_retention_core::ports::{Config, OutboundRequest, OutboundResponse};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    Webhook,
    SendGrid,
    Postmark,
    Resend,
    Twilio,
}

impl Provider {
    pub fn parse(name: &str) -> Option<Provider> {
        match name.trim().to_ascii_lowercase().as_str() {
            "webhook" => Some(Provider::Webhook),
            "sendgrid" => Some(Provider::SendGrid),
            "postmark" => Some(Provider::Postmark),
            "resend" => Some(Provider::Resend),
            "twilio" => Some(Provider::Twilio),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Provider::Webhook => "webhook",
            Provider::SendGrid => "sendgrid",
            Provider::Postmark => "postmark",
            Provider::Resend => "resend",
            Provider::Twilio => "twilio",
        }
    }

    pub fn sends_email(self) -> bool {
        matches!(
            self,
            Provider::Webhook | Provider::SendGrid | Provider::Postmark | Provider::Resend
        )
    }

    pub fn sends_sms(self) -> bool {
        matches!(self, Provider::Webhook | Provider::Twilio)
    }
}

/// Provider account settings (Spin variables).
#[derive(Debug, Clone)]
pub struct Account {
    pub provider: Provider,
    /// Origin of the API, e.g. `https://api.sendgrid.com`.
    pub base_url: String,
    /// Path for the webhook provider.
    pub webhook_path: String,
    pub api_key: Option<String>,
    pub twilio_account_sid: Option<String>,
    /// Sender: an email address (`Name <a@b.c>` allowed) or a phone number.
    pub from: String,
}

impl Account {
    /// The account in the variables `<prefix>_provider`, `<prefix>_provider_url`,
    /// `<prefix>_webhook_path`, `<prefix>_api_key`, `<prefix>_twilio_account_sid`
    /// and `<prefix>_from`; `None` when no known provider is named.
    pub fn from_config(config: &dyn Config, prefix: &str) -> Option<Account> {
        let var = |name: &str| config.get(&format!("{prefix}_{name}"));
        let provider = Provider::parse(&var("provider")?)?;
        Some(Account {
            provider,
            base_url: var("provider_url").unwrap_or_default(),
            webhook_path: var("webhook_path").unwrap_or_else(|| "/".into()),
            api_key: var("api_key"),
            twilio_account_sid: var("twilio_account_sid"),
            from: var("from").unwrap_or_default(),
        })
    }
}

/// What to send, to whom.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    /// The generic webhook's `event`: `lead.acknowledge`, `lead.alert`.
    pub event: &'a str,
    /// The idempotency key: a submission's id (an acknowledgement), or an
    /// alert's. Sent as `submission_id` where a provider takes metadata.
    pub reference: &'a str,
    pub lead_id: &'a str,
    pub channel: &'a str,
    pub to_email: Option<&'a str>,
    pub to_phone: Option<&'a str>,
    pub to_name: Option<&'a str>,
    pub language: Option<&'a str>,
    pub subject: &'a str,
    pub text: &'a str,
    /// Email headers to send with it (RFC 8058's `List-Unsubscribe` and
    /// `List-Unsubscribe-Post` on marketing), where the provider takes them.
    pub headers: &'a [(String, String)],
}

pub fn request(account: &Account, m: &Message) -> OutboundRequest {
    let base = account.base_url.trim_end_matches('/');
    let key = account.api_key.clone().unwrap_or_default();
    let json_request = |url: String, headers: Vec<(String, String)>, body: serde_json::Value| {
        let mut headers = headers;
        headers.push(("content-type".into(), "application/json".into()));
        OutboundRequest {
            method: "POST".into(),
            url,
            headers,
            body: body.to_string().into_bytes(),
        }
    };
    match account.provider {
        Provider::SendGrid => {
            let (from_name, from_email) = split_address(&account.from);
            let mut from = json!({ "email": from_email });
            if let Some(name) = from_name {
                from["name"] = json!(name);
            }
            let mut to = json!({ "email": m.to_email });
            if let Some(name) = m.to_name {
                to["name"] = json!(name);
            }
            json_request(
                format!("{base}/v3/mail/send"),
                vec![("authorization".into(), format!("Bearer {key}"))],
                json!({
                    "personalizations": [{ "to": [to] }],
                    "from": from,
                    "subject": m.subject,
                    "content": [{ "type": "text/plain", "value": m.text }],
                    "custom_args": { "submission_id": m.reference },
                })
                .with_headers("headers", header_object(m)),
            )
        }
        Provider::Postmark => json_request(
            format!("{base}/email"),
            vec![
                ("x-postmark-server-token".into(), key),
                ("accept".into(), "application/json".into()),
            ],
            json!({
                "From": account.from,
                "To": m.to_email,
                "Subject": m.subject,
                "TextBody": m.text,
                "MessageStream": "outbound",
                "Metadata": { "submission_id": m.reference },
            })
            .with_headers(
                "Headers",
                m.headers
                    .iter()
                    .map(|(name, value)| json!({ "Name": name, "Value": value }))
                    .collect(),
            ),
        ),
        Provider::Resend => json_request(
            format!("{base}/emails"),
            vec![
                ("authorization".into(), format!("Bearer {key}")),
                ("idempotency-key".into(), m.reference.into()),
            ],
            json!({ "from": account.from, "to": [m.to_email], "subject": m.subject, "text": m.text })
                .with_headers("headers", header_object(m)),
        ),
        Provider::Twilio => {
            let sid = account.twilio_account_sid.clone().unwrap_or_default();
            let whatsapp = m.channel == "whatsapp";
            let address = |n: &str| {
                if whatsapp {
                    format!("whatsapp:{n}")
                } else {
                    n.to_string()
                }
            };
            let body = form_urlencoded::Serializer::new(String::new())
                .append_pair("To", &address(m.to_phone.unwrap_or_default()))
                .append_pair("From", &address(&account.from))
                .append_pair("Body", m.text)
                .finish();
            let basic = base64::engine::general_purpose::STANDARD.encode(format!("{sid}:{key}"));
            OutboundRequest {
                method: "POST".into(),
                url: format!("{base}/2010-04-01/Accounts/{sid}/Messages.json"),
                headers: vec![
                    ("authorization".into(), format!("Basic {basic}")),
                    ("content-type".into(), "application/x-www-form-urlencoded".into()),
                    ("i-twilio-idempotency-token".into(), m.reference.into()),
                ],
                body: body.into_bytes(),
            }
        }
        Provider::Webhook => {
            let mut headers = vec![("idempotency-key".into(), m.reference.to_string())];
            if !key.is_empty() {
                headers.push(("authorization".into(), format!("Bearer {key}")));
            }
            json_request(
                format!("{base}{}", account.webhook_path),
                headers,
                json!({
                    "event": m.event,
                    "submission_id": m.reference,
                    "lead_id": m.lead_id,
                    "channel": m.channel,
                    "to": { "email": m.to_email, "phone": m.to_phone, "name": m.to_name },
                    "from": account.from,
                    "language": m.language,
                    "subject": m.subject,
                    "text": m.text,
                })
                .with_headers("headers", header_object(m)),
            )
        }
    }
}

/// A provider body with the message's headers under `name`, when it has any
/// (a body without them stays as each provider documents it).
trait WithHeaders {
    fn with_headers(self, name: &str, headers: serde_json::Value) -> Self;
}

impl WithHeaders for serde_json::Value {
    fn with_headers(mut self, name: &str, headers: serde_json::Value) -> Self {
        let empty =
            headers.as_object().is_some_and(|o| o.is_empty()) || headers.as_array().is_some_and(|a| a.is_empty());
        if !empty {
            self[name] = headers;
        }
        self
    }
}

/// The message's headers as SendGrid, Resend and the webhook take them: an
/// object of names to values.
fn header_object(m: &Message) -> serde_json::Value {
    m.headers
        .iter()
        .map(|(name, value)| (name.clone(), json!(value)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// The provider's id for the sent message, where it gives one.
pub fn message_id(provider: Provider, response: &OutboundResponse) -> Option<String> {
    if provider == Provider::SendGrid {
        return response.header("x-message-id").map(str::to_string);
    }
    let body: serde_json::Value = serde_json::from_slice(&response.body).ok()?;
    let field = match provider {
        Provider::Postmark => "MessageID",
        Provider::Twilio => "sid",
        _ => "id",
    };
    body[field].as_str().map(str::to_string)
}

/// `Acme <hello@acme.com>` -> (Some("Acme"), "hello@acme.com").
fn split_address(address: &str) -> (Option<String>, String) {
    match (address.find('<'), address.rfind('>')) {
        (Some(open), Some(close)) if open < close => {
            let name = address[..open].trim().trim_matches('"').to_string();
            (
                (!name.is_empty()).then_some(name),
                address[open + 1..close].trim().to_string(),
            )
        }
        _ => (None, address.trim().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(provider: Provider) -> Account {
        Account {
            provider,
            base_url: "https://api.example.com/".into(),
            webhook_path: "/hooks/ack".into(),
            api_key: Some("KEY".into()),
            twilio_account_sid: Some("AC123".into()),
            from: "Acme <hello@acme.com>".into(),
        }
    }

    fn message<'a>(channel: &'a str) -> Message<'a> {
        Message {
            event: "lead.acknowledge",
            reference: "s_1",
            lead_id: "l_1",
            channel,
            to_email: Some("dana@x.io"),
            to_phone: Some("+972525551234"),
            to_name: Some("Dana"),
            language: Some("en"),
            subject: "We got it",
            text: "Hi Dana",
            headers: &[],
        }
    }

    fn body(r: &OutboundRequest) -> serde_json::Value {
        serde_json::from_slice(&r.body).unwrap()
    }

    fn header<'a>(r: &'a OutboundRequest, name: &str) -> Option<&'a str> {
        r.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn sendgrid_mail_send_shape() {
        let r = request(&account(Provider::SendGrid), &message("email"));
        assert_eq!(r.url, "https://api.example.com/v3/mail/send");
        assert_eq!(header(&r, "authorization"), Some("Bearer KEY"));
        let b = body(&r);
        assert_eq!(b["personalizations"][0]["to"][0]["email"], "dana@x.io");
        assert_eq!(b["from"], json!({"email": "hello@acme.com", "name": "Acme"}));
        assert_eq!(b["content"][0]["type"], "text/plain");
    }

    #[test]
    fn postmark_and_resend_shapes() {
        let p = request(&account(Provider::Postmark), &message("email"));
        assert_eq!(p.url, "https://api.example.com/email");
        assert_eq!(header(&p, "x-postmark-server-token"), Some("KEY"));
        assert_eq!(body(&p)["TextBody"], "Hi Dana");
        let r = request(&account(Provider::Resend), &message("email"));
        assert_eq!(r.url, "https://api.example.com/emails");
        assert_eq!(header(&r, "idempotency-key"), Some("s_1"));
        assert_eq!(body(&r)["to"], json!(["dana@x.io"]));
    }

    #[test]
    fn twilio_sms_and_whatsapp() {
        let mut a = account(Provider::Twilio);
        a.from = "+15005550006".into();
        let sms = request(&a, &message("sms"));
        assert_eq!(
            sms.url,
            "https://api.example.com/2010-04-01/Accounts/AC123/Messages.json"
        );
        assert_eq!(header(&sms, "authorization"), Some("Basic QUMxMjM6S0VZ"));
        let form: Vec<(String, String)> = form_urlencoded::parse(&sms.body).into_owned().collect();
        assert!(form.contains(&("To".into(), "+972525551234".into())));
        let wa = request(&a, &message("whatsapp"));
        let form: Vec<(String, String)> = form_urlencoded::parse(&wa.body).into_owned().collect();
        assert!(form.contains(&("To".into(), "whatsapp:+972525551234".into())));
        assert!(form.contains(&("From".into(), "whatsapp:+15005550006".into())));
    }

    /// What providers receive of the reference keeps its names.
    #[test]
    fn the_reference_is_sent_as_submission_id() {
        let webhook = request(&account(Provider::Webhook), &message("email"));
        assert_eq!(header(&webhook, "idempotency-key"), Some("s_1"));
        assert_eq!(body(&webhook)["submission_id"], "s_1");
        let sendgrid = request(&account(Provider::SendGrid), &message("email"));
        assert_eq!(body(&sendgrid)["custom_args"]["submission_id"], "s_1");
        let postmark = request(&account(Provider::Postmark), &message("email"));
        assert_eq!(body(&postmark)["Metadata"]["submission_id"], "s_1");
        let twilio = request(&account(Provider::Twilio), &message("sms"));
        assert_eq!(header(&twilio, "i-twilio-idempotency-token"), Some("s_1"));
    }

    #[test]
    fn message_ids() {
        let resp = |headers: Vec<(String, String)>, body: &str| OutboundResponse {
            status: 200,
            headers,
            body: body.into(),
        };
        assert_eq!(
            message_id(
                Provider::SendGrid,
                &resp(vec![("x-message-id".into(), "sg1".into())], "")
            )
            .as_deref(),
            Some("sg1")
        );
        assert_eq!(
            message_id(Provider::Postmark, &resp(vec![], r#"{"MessageID":"pm1"}"#)).as_deref(),
            Some("pm1")
        );
        assert_eq!(
            message_id(Provider::Twilio, &resp(vec![], r#"{"sid":"SM1"}"#)).as_deref(),
            Some("SM1")
        );
        assert_eq!(message_id(Provider::Resend, &resp(vec![], "not json")), None);
    }
}
