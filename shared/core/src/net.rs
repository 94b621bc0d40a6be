//! Outbound URLs: where one goes, whether an admin may set it, and how to
//! name it in an error or a log without its secret parts.
//!
//! The host is read as the sender reads it: spin-sdk parses an outgoing
//! request's URL with `http::Uri` and hands its authority to the host, so
//! this module parses with the same crate (not the `url` crate, whose WHATWG
//! parse may differ, and whose IDNA tables would grow every component).
//! A host made only of numbers is read as the system resolver reads it
//! (`inet_aton`: `2130706433`, `0x7f.1`, `0177.0.0.1` and `127.1` are all
//! 127.0.0.1), so no spelling of a private address passes as a name.
//!
//! [`check_public_url`] is the check at validation, for URLs an admin sets.
//! It sees only the literal host: a public name that resolves to a private
//! address is the runtime's to refuse (`[outbound_networking] block_networks
//! = ["private"]` in the runtime config, Spin 3.3+, which checks the
//! addresses after DNS resolution).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The host of a URL, as the request would be sent to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    Ip(IpAddr),
    /// A name, lowercase, without a trailing dot.
    Name(String),
}

/// A URL's scheme (`http` or `https`, lowercase) and host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub scheme: String,
    pub host: Host,
}

/// Parses an absolute `http(s)` URL into its scheme and host; `Err` says why
/// it is none.
pub fn target(url: &str) -> Result<Target, String> {
    let uri: http::Uri = url.parse().map_err(|_| "not a URL".to_string())?;
    let scheme = uri
        .scheme_str()
        .map(str::to_ascii_lowercase)
        .ok_or("not an absolute URL")?;
    if scheme != "http" && scheme != "https" {
        return Err("an http or https URL".into());
    }
    let raw = uri.host().filter(|h| !h.is_empty()).ok_or("a URL with a host")?;
    Ok(Target {
        scheme,
        host: host(raw)?,
    })
}

/// Reads a host as the resolver would: a bracketed IPv6 address, an IPv4
/// address in any `inet_aton` spelling, else a name.
fn host(raw: &str) -> Result<Host, String> {
    if let Some(inner) = raw.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner
            .parse::<Ipv6Addr>()
            .map(|ip| Host::Ip(IpAddr::V6(ip)))
            .map_err(|_| "an IPv6 address that does not parse".into());
    }
    let name = raw.to_ascii_lowercase();
    let name = name.strip_suffix('.').unwrap_or(&name).to_string();
    match ipv4(&name) {
        Some(Some(ip)) => Ok(Host::Ip(IpAddr::V4(ip))),
        // Numbers that are no address: a resolver may still read them as one.
        Some(None) => Err("a host that looks like an IPv4 address but is none".into()),
        None if name.is_empty() || name.split('.').any(str::is_empty) => Err("a host with an empty label".into()),
        None => Ok(Host::Name(name)),
    }
}

/// `None`: not numeric (a name). `Some(None)`: numeric parts that make no
/// address. `Some(Some(ip))`: an IPv4 address in `inet_aton`'s forms (one
/// to four parts, each decimal, octal with a leading `0`, or hex with `0x`;
/// the last part fills the bytes that remain).
fn ipv4(name: &str) -> Option<Option<Ipv4Addr>> {
    let parts: Vec<&str> = name.split('.').collect();
    let numbers: Vec<Option<u64>> = parts.iter().map(|p| number(p)).collect();
    // A name whose last label is no number is a name (`10.example`).
    if numbers.last().is_some_and(Option::is_none) {
        return None;
    }
    if parts.len() > 4 || numbers.iter().any(Option::is_none) {
        return Some(None);
    }
    let numbers: Vec<u64> = numbers.into_iter().flatten().collect();
    let (last, first) = numbers.split_last()?;
    if first.iter().any(|&n| n > 255) || *last >= 1u64 << (8 * (4 - first.len())) {
        return Some(None);
    }
    let value = first
        .iter()
        .enumerate()
        .fold(*last, |acc, (i, &n)| acc | n << (8 * (3 - i)));
    Some(u32::try_from(value).ok().map(Ipv4Addr::from))
}

fn number(part: &str) -> Option<u64> {
    let (digits, radix) = if let Some(hex) = part.strip_prefix("0x") {
        (hex, 16)
    } else if part.len() > 1 && part.starts_with('0') {
        (&part[1..], 8)
    } else {
        (part, 10)
    };
    if digits.is_empty() {
        // `0x` alone is 0 to the resolver; an empty label is no number.
        return (radix == 16).then_some(0);
    }
    if !digits.chars().all(|c| c.is_digit(radix)) || digits.len() > 20 {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// Why an address is not a public one, or `None` when it is.
pub fn non_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(ip) => non_public_v4(ip),
        IpAddr::V6(ip) => non_public_v6(ip),
    }
}

fn non_public_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    Some(match (a, b) {
        _ if ip.is_unspecified() => "an unspecified address (0.0.0.0)",
        (0, _) => "an address of this network (0.0.0.0/8)",
        (127, _) => "a loopback address",
        (10, _) | (172, 16..=31) | (192, 168) => "a private address",
        (169, 254) => "a link-local address (cloud metadata lives here)",
        (100, 64..=127) => "a shared (CGNAT) address",
        _ if ip.is_broadcast() => "the broadcast address",
        (224..=239, _) => "a multicast address",
        (240..=255, _) => "a reserved address",
        _ => return None,
    })
}

fn non_public_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    Some(match () {
        _ if ip.is_unspecified() => "an unspecified address (::)",
        _ if ip.is_loopback() => "a loopback address",
        _ if first & 0xffc0 == 0xfe80 => "a link-local address",
        _ if first & 0xfe00 == 0xfc00 => "a unique local (private) address",
        _ if first & 0xff00 == 0xff00 => "a multicast address",
        // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible) reach IPv4.
        _ => return ip.to_ipv4().and_then(non_public_v4),
    })
}

/// Why a name is not a public one: `localhost`, and the suffixes that only
/// mean something inside a network (`.localhost`, `.internal` with Spin's
/// own `.spin.internal`, `.local` of mDNS), and a bare name that a search
/// domain would complete to an internal host.
fn non_public_name(name: &str) -> Option<&'static str> {
    Some(match name {
        "localhost" => "localhost",
        _ if name.ends_with(".localhost") => "a .localhost name",
        _ if name == "internal" || name.ends_with(".internal") => "an .internal name",
        _ if name == "local" || name.ends_with(".local") => "a .local name",
        _ if !name.contains('.') => "a single-label name (a search domain would make it internal)",
        _ => return None,
    })
}

/// Refuses, with the reason, a URL an admin sets that is no `http(s)` URL or
/// whose host is literally not public: loopback, private, link-local,
/// CGNAT, unspecified, multicast, broadcast or reserved addresses (IPv4 in
/// any spelling, IPv6, IPv4-mapped IPv6), and `localhost`, `*.localhost`,
/// `*.internal`, `*.local` and single-label names.
pub fn check_public_url(url: &str) -> Result<(), String> {
    let target = target(url)?;
    let why = match &target.host {
        Host::Ip(ip) => non_public(*ip),
        Host::Name(name) => non_public_name(name),
    };
    match why {
        Some(why) => Err(format!("a public host: this one is {why}")),
        None => Ok(()),
    }
}

/// Whether `url` goes to a component of this app through Spin's local
/// service chaining (`http://<component>.spin.internal/...`), which never
/// leaves the process.
pub fn is_service_chaining(url: &str) -> bool {
    let Ok(Target {
        host: Host::Name(name), ..
    }) = target(url)
    else {
        return false;
    };
    name.strip_suffix(".spin.internal")
        .is_some_and(|label| !label.is_empty() && !label.contains('.'))
}

/// `scheme://host[:port]` of a URL, for errors and logs: never its path,
/// query or user info, where secrets live (a Slack webhook's path is its
/// key). A URL that does not parse is named as such, not quoted.
pub fn origin(url: &str) -> String {
    let Ok(uri) = url.parse::<http::Uri>() else {
        return "(a URL that does not parse)".into();
    };
    match (uri.scheme_str(), uri.host()) {
        (Some(scheme), Some(host)) => match uri.port_u16() {
            Some(port) => format!("{scheme}://{host}:{port}"),
            None => format!("{scheme}://{host}"),
        },
        _ => "(a URL without a host)".into(),
    }
}

/// What went wrong with an outbound call, coarsely: what a delivery log may
/// say, and what an answer may tell (never the transport's own words, which
/// may quote a URL or map the network).
pub const FAILURE_CLASSES: [&str; 8] = [
    "blocked",
    "timed out",
    "refused",
    "no such host",
    "TLS error",
    "response too large",
    "HTTP protocol error",
    "failed",
];

/// The class of a `wasi:http` `error-code`, from its name (`Debug` text:
/// `DestinationIpProhibited`, `DnsError(...)`): `blocked` is the runtime's
/// `block_networks` (`DestinationIpProhibited`) or `allowed_outbound_hosts`
/// (`HttpRequestDenied`).
pub fn class_of_error_code(code: &str) -> &'static str {
    let code = code.strip_prefix("ErrorCode::").unwrap_or(code);
    let name = code.split(['(', ' ', '{']).next().unwrap_or_default();
    match name {
        "DestinationIpProhibited" | "HttpRequestDenied" => "blocked",
        "ConnectionTimeout" | "ConnectionReadTimeout" | "ConnectionWriteTimeout" | "DnsTimeout" => "timed out",
        "ConnectionRefused"
        | "ConnectionTerminated"
        | "ConnectionLimitReached"
        | "DestinationUnavailable"
        | "DestinationIpUnroutable" => "refused",
        "DnsError" | "DestinationNotFound" => "no such host",
        _ if name.starts_with("Tls") => "TLS error",
        "HttpResponseBodySize" => "response too large",
        _ if name.starts_with("Http") => "HTTP protocol error",
        _ => "failed",
    }
}

/// How the adapter words a transport failure: `<class>: <method> <origin>
/// (<detail>)`, the URL cut to its [`origin`].
pub fn transport_error(class: &str, method: &str, url: &str, detail: &str) -> String {
    format!("{class}: {method} {} ({detail})", origin(url))
}

/// The class a [`transport_error`] begins with; `failed` for any other text.
pub fn failure_class(error: &str) -> &'static str {
    let head = error.split(':').next().unwrap_or_default();
    FAILURE_CLASSES
        .into_iter()
        .find(|class| *class == head)
        .unwrap_or("failed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_every_spelling_of_a_non_public_host() {
        for url in [
            // The list.
            "https://127.0.0.1/x",
            "https://10.0.0.5/x",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/x",
            "https://localhost/x",
            // IPv4 as the resolver reads it.
            "https://2130706433/",
            "https://0x7f.1/",
            "https://0177.0.0.1/",
            "https://127.1/",
            "https://0x7f000001/",
            "http://127.0.0.1.:8080/",
            // Private, link-local, CGNAT, unspecified, multicast, broadcast.
            "https://172.16.0.1/",
            "https://172.31.255.255/",
            "https://192.168.1.1/",
            "https://169.254.0.1/",
            "https://100.64.0.1/",
            "https://100.127.255.255/",
            "https://0.0.0.0/",
            "https://0/",
            "https://224.0.0.1/",
            "https://255.255.255.255/",
            // IPv6: unspecified, link-local, ULA, multicast, IPv4-mapped.
            "https://[::]/",
            "https://[fe80::1]/",
            "https://[fc00::1]/",
            "https://[fd12:3456::1]/",
            "https://[ff02::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://[::ffff:10.0.0.5]/",
            "https://[::ffff:a9fe:a9fe]/",
            // Names.
            "https://LOCALHOST/x",
            "https://localhost./x",
            "https://app.localhost/x",
            "https://metadata.google.internal/x",
            "http://lead-intake.spin.internal/intake/admin/people",
            "https://printer.local/x",
            "https://intranet/x",
            // Numbers that are no address.
            "https://1.2.3.4.5/",
            "https://256.1.1.1/",
            "https://1.2.3.0x1ff/",
        ] {
            assert!(check_public_url(url).is_err(), "{url} passed");
        }
    }

    #[test]
    fn passes_public_hosts() {
        for url in [
            "https://hooks.slack.com/services/T0/B0/xyz",
            "https://crm.example/hook",
            "http://8.8.8.8/x",
            "https://93.184.216.34:8443/x",
            "https://[2606:4700::1111]/x",
            "https://172.32.0.1/",
            "https://100.128.0.1/",
            "https://10.example/x",
            "https://0x7f.example/x",
            "HTTPS://Crm.Example/hook",
        ] {
            assert_eq!(check_public_url(url), Ok(()), "{url}");
        }
    }

    #[test]
    fn refuses_what_is_no_http_url_with_a_reason() {
        for (url, why) in [
            ("ftp://x.example/", "an http or https URL"),
            ("/relative", "not an absolute URL"),
            ("https://", "not a URL"),
            ("https://a..example/", "a host with an empty label"),
        ] {
            assert_eq!(check_public_url(url), Err(why.to_string()), "{url}");
        }
        assert_eq!(
            check_public_url("https://169.254.169.254/latest/meta-data"),
            Err("a public host: this one is a link-local address (cloud metadata lives here)".into())
        );
    }

    #[test]
    fn reads_numeric_hosts_as_the_resolver_does() {
        let ip = |name: &str| ipv4(name).flatten();
        assert_eq!(ip("2130706433"), Some(Ipv4Addr::new(127, 0, 0, 1)));
        assert_eq!(ip("0x7f.1"), Some(Ipv4Addr::new(127, 0, 0, 1)));
        assert_eq!(ip("127.1"), Some(Ipv4Addr::new(127, 0, 0, 1)));
        assert_eq!(ip("10.0.5"), Some(Ipv4Addr::new(10, 0, 0, 5)));
        assert_eq!(ip("0300.0250.1.1"), Some(Ipv4Addr::new(192, 168, 1, 1)));
        assert_eq!(ip("8.8.8.8"), Some(Ipv4Addr::new(8, 8, 8, 8)));
        assert_eq!(ipv4("crm.example"), None);
        assert_eq!(ipv4("1.2.3.4.5"), Some(None));
        assert_eq!(ipv4("4294967296"), Some(None));
    }

    #[test]
    fn service_chaining_is_a_parsed_host_not_a_substring() {
        assert!(is_service_chaining("http://lead-alerts.spin.internal/alerts/leads/x"));
        assert!(is_service_chaining("http://Lead-Scoring.spin.internal"));
        for url in [
            "http://a.spin.internal.evil.tld/x",
            "http://evil.tld/.spin.internal",
            "http://evil.tld/?h=x.spin.internal",
            "http://x.spin.internal@evil.tld/",
            "http://spin.internal/x",
            "http://a.b.spin.internal/x",
            "https://lead-alerts.example/x",
        ] {
            assert!(!is_service_chaining(url), "{url}");
        }
    }

    #[test]
    fn transport_errors_say_a_class_and_an_origin_only() {
        let e = transport_error(
            class_of_error_code("DestinationIpProhibited"),
            "POST",
            "https://hooks.slack.com/services/T0/B0/SECRET",
            "DestinationIpProhibited",
        );
        assert_eq!(e, "blocked: POST https://hooks.slack.com (DestinationIpProhibited)");
        assert_eq!(failure_class(&e), "blocked");
        assert_eq!(failure_class("something else: entirely"), "failed");
        assert_eq!(class_of_error_code("ConnectionReadTimeout"), "timed out");
        assert_eq!(class_of_error_code("ErrorCode::DestinationIpProhibited"), "blocked");
        assert_eq!(class_of_error_code("ConnectionRefused"), "refused");
        assert_eq!(
            class_of_error_code("DnsError(DnsErrorPayload { rcode: Some(\"x\"), info_code: Some(0) })"),
            "no such host"
        );
        assert_eq!(class_of_error_code("TlsCertificateError"), "TLS error");
        assert_eq!(class_of_error_code("HttpResponseIncomplete"), "HTTP protocol error");
        assert_eq!(class_of_error_code("InternalError(None)"), "failed");
    }

    #[test]
    fn origin_keeps_neither_path_query_nor_user_info() {
        assert_eq!(
            origin("https://hooks.slack.com/services/T000/B000/SECRETxyz?token=abc"),
            "https://hooks.slack.com"
        );
        assert_eq!(origin("http://user:pw@127.0.0.1:9000/hook"), "http://127.0.0.1:9000");
        assert_eq!(origin("https://[::1]:8443/x"), "https://[::1]:8443");
        assert_eq!(origin("not a url/secret"), "(a URL that does not parse)");
        assert_eq!(origin("/just/a/secret/path"), "(a URL without a host)");
    }
}
