//! `allowed_outbound_hosts`: Spin refuses any outbound request whose scheme,
//! host and port do not match one of the component's entries.
//!
//! Entry syntax, as Spin documents it: `scheme://host[:port]` where scheme may
//! be `*`, host may be `*` or start with `*.`, and port may be `*`; a missing
//! port means the scheme's default (80 for http, 443 for https).

use anyhow::{bail, Context, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    scheme: Option<String>,
    host: HostPattern,
    port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    Suffix(String),
    Exact(String),
}

impl AllowedHost {
    pub fn parse(entry: &str) -> Result<Self> {
        let (scheme, rest) = entry
            .split_once("://")
            .with_context(|| format!("allowed_outbound_hosts entry {entry:?} needs a scheme (e.g. https://)"))?;
        if rest.contains('/') {
            bail!("allowed_outbound_hosts entry {entry:?} must not have a path");
        }
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        };
        let scheme = (scheme != "*").then(|| scheme.to_ascii_lowercase());
        let port = match port {
            Some("*") => None,
            Some(p) => Some(p.parse().with_context(|| format!("bad port in {entry:?}"))?),
            None => match scheme.as_deref() {
                Some("http") => Some(80),
                Some("https") => Some(443),
                _ => bail!("allowed_outbound_hosts entry {entry:?} needs a port"),
            },
        };
        let host = match host {
            "*" => HostPattern::Any,
            h if h.starts_with("*.") => HostPattern::Suffix(h[1..].to_ascii_lowercase()),
            "" => bail!("allowed_outbound_hosts entry {entry:?} has no host"),
            h => HostPattern::Exact(h.to_ascii_lowercase()),
        };
        Ok(AllowedHost { scheme, host, port })
    }

    pub fn allows(&self, scheme: &str, host: &str, port: u16) -> bool {
        let host = host.to_ascii_lowercase();
        self.scheme.as_deref().is_none_or(|s| s == scheme)
            && self.port.is_none_or(|p| p == port)
            && match &self.host {
                HostPattern::Any => true,
                HostPattern::Suffix(suffix) => host.ends_with(suffix.as_str()),
                HostPattern::Exact(h) => *h == host,
            }
    }
}

pub fn allowed(list: &[AllowedHost], uri: &http::Uri) -> bool {
    let scheme = uri.scheme_str().unwrap_or("https").to_ascii_lowercase();
    let Some(host) = uri.host() else { return false };
    let port = uri.port_u16().unwrap_or(if scheme == "http" { 80 } else { 443 });
    list.iter().any(|a| a.allows(&scheme, host, port))
}

/// `<component>.spin.internal` names another component of the same app.
pub fn internal_component(uri: &http::Uri) -> Option<String> {
    uri.host()?
        .to_ascii_lowercase()
        .strip_suffix(".spin.internal")
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[&str]) -> Vec<AllowedHost> {
        entries.iter().map(|e| AllowedHost::parse(e).unwrap()).collect()
    }

    fn ok(entries: &[&str], url: &str) -> bool {
        allowed(&list(entries), &url.parse().unwrap())
    }

    #[test]
    fn exact_hosts_use_the_scheme_default_port() {
        assert!(ok(
            &["https://api.sendgrid.com"],
            "https://api.sendgrid.com/v3/mail/send"
        ));
        assert!(!ok(&["https://api.sendgrid.com"], "http://api.sendgrid.com/"));
        assert!(!ok(&["https://api.sendgrid.com"], "https://api.sendgrid.com:8443/"));
        assert!(!ok(&["https://api.sendgrid.com"], "https://evil.com/"));
    }

    #[test]
    fn wildcards() {
        assert!(ok(
            &["http://*.spin.internal"],
            "http://instant-ack.spin.internal/ack/health"
        ));
        assert!(!ok(&["http://*.spin.internal"], "http://spin.internal.evil.com/"));
        assert!(ok(&["http://127.0.0.1:*"], "http://127.0.0.1:45678/x"));
        assert!(ok(&["*://*:*"], "https://anything:1/"));
        assert!(!ok(&[], "https://anything/"));
    }

    #[test]
    fn malformed_entries_are_refused() {
        assert!(AllowedHost::parse("api.example.com").is_err());
        assert!(AllowedHost::parse("https://api.example.com/path").is_err());
        assert!(AllowedHost::parse("https://api.example.com:x").is_err());
    }

    #[test]
    fn internal_names() {
        let uri: http::Uri = "http://lead-scoring.spin.internal/x".parse().unwrap();
        assert_eq!(internal_component(&uri).as_deref(), Some("lead-scoring"));
        assert_eq!(internal_component(&"http://a.com/".parse().unwrap()), None);
    }
}
