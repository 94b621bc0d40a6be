//! lead-intake's settings, read from Spin variables on each request.

use super::validate::FormRules;
use spin_retention_core::body::Limits;
use spin_retention_core::cors::Cors;
use spin_retention_core::jobs::{ACK, ALERTS, JOURNEYS, SCORING};
use spin_retention_core::ports::Config;

pub struct IntakeSettings {
    pub max_body_bytes: usize,
    pub rate_limit_per_minute: u32,
    pub limits: Limits,
    pub rules: FormRules,
    pub cors: Cors,
    pub thank_you_url: String,
    pub error_url: String,
    pub captcha: Option<Captcha>,
    pub ack_url: String,
    pub scoring_url: String,
    pub alerts_url: String,
    pub journeys_url: String,
    pub admin_token: Option<String>,
    /// Double opt-in (`consent_confirmation`, default on): a form's grant
    /// of consent is in force only once the person confirms it.
    pub consent_confirmation: bool,
    /// Submissions one person may make in an hour
    /// (`max_submissions_per_person_per_hour`, default 10, at most
    /// [`spin_retention_core::lead::RECENT_SUBMISSIONS`]; 0: no cap).
    pub per_person_per_hour: u32,
    /// Whose `X-Forwarded-For` is believed (`trusted_proxies`).
    pub proxies: spin_retention_core::client::Proxies,
}

/// Cloudflare Turnstile or Google reCAPTCHA server-side verification.
pub struct Captcha {
    pub secret: String,
    /// Full siteverify URL.
    pub verify_url: String,
}

pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;

fn number<T: std::str::FromStr>(config: &dyn Config, name: &str, default: T) -> T {
    config.get(name).and_then(|v| v.trim().parse().ok()).unwrap_or(default)
}

impl IntakeSettings {
    pub fn from_config(config: &dyn Config) -> IntakeSettings {
        let defaults = FormRules::default();
        let captcha = config.get("captcha_secret").map(|secret| {
            let provider = config.get("captcha_provider").unwrap_or_else(|| "turnstile".into());
            let (default_origin, path) = match provider.as_str() {
                "recaptcha" => ("https://www.google.com", "/recaptcha/api/siteverify"),
                _ => ("https://challenges.cloudflare.com", "/turnstile/v0/siteverify"),
            };
            let origin = config.get("captcha_origin").unwrap_or_else(|| default_origin.into());
            Captcha {
                secret,
                verify_url: format!("{}{path}", origin.trim_end_matches('/')),
            }
        });
        IntakeSettings {
            max_body_bytes: number(config, "intake_max_body_bytes", DEFAULT_MAX_BODY_BYTES),
            rate_limit_per_minute: number(config, "intake_rate_limit_per_minute", 20),
            limits: Limits::default(),
            rules: FormRules {
                default_region: config.get("phone_default_region").unwrap_or(defaults.default_region),
                honeypot_field: config.get("honeypot_field").unwrap_or(defaults.honeypot_field),
                max_custom_fields: defaults.max_custom_fields,
            },
            cors: Cors::new(config.get("cors_allowed_origins")),
            thank_you_url: config.get("thank_you_url").unwrap_or_else(|| "/intake/thanks".into()),
            error_url: config.get("error_url").unwrap_or_else(|| "/intake/error".into()),
            captcha,
            ack_url: ACK.base_url(config),
            scoring_url: SCORING.base_url(config),
            alerts_url: ALERTS.base_url(config),
            journeys_url: JOURNEYS.base_url(config),
            admin_token: config.get(spin_retention_core::auth::ADMIN_TOKEN),
            consent_confirmation: !matches!(
                config.get("consent_confirmation").as_deref().map(str::trim),
                Some("off" | "false" | "0")
            ),
            per_person_per_hour: number(config, "max_submissions_per_person_per_hour", 10),
            proxies: spin_retention_core::client::Proxies::parse(&config.get("trusted_proxies").unwrap_or_default()),
        }
    }
}
