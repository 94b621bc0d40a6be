//! Checks on free text that may end up in an outbound message.
//!
//! Whatever a stranger types into a form (a name, a company, the first line
//! of a message) can be echoed in the acknowledgement that goes out from the
//! business's own sender. A link there turns the form into a relay for
//! phishing ("Account locked, verify at secure-login.co/x"), so such text is
//! refused at intake (names, company) and left out of every message.

/// Whether `text` holds something a mail or SMS client could show as a link
/// or an address: `://`, `www.`, `@`, or a domain-like token, `label.tld`
/// with a top-level label of two or more letters (`secure-login.co/x`,
/// `bit.ly`, `evil.example`, `xn--80ak6aa92e.com`).
///
/// Abbreviations and numbers are no domain: "Mr. Smith", "J.R.R. Tolkien",
/// "Ph.D", "3.5", "v2.0". The full-width and ideographic full stops that
/// IDNA reads as dots count as dots. A name written `St.John` (no space)
/// does look like a domain and is refused: without a list of top-level
/// domains the two cannot be told apart, and refusing is the safe side.
pub fn looks_like_link(text: &str) -> bool {
    let lower: String = text
        .chars()
        .map(|c| match c {
            '\u{3002}' | '\u{ff0e}' | '\u{ff61}' => '.',
            c => c.to_lowercase().next().unwrap_or(c),
        })
        .collect();
    if ["://", "www.", "@", "http:", "https:"]
        .iter()
        .any(|m| lower.contains(m))
    {
        return true;
    }
    lower
        .split(|c: char| !(c.is_alphanumeric() || c == '.' || c == '-'))
        .any(is_domain_like)
}

/// `label.label...tld`: non-empty labels, the last of two or more letters.
fn is_domain_like(token: &str) -> bool {
    let token = token.trim_matches(|c| c == '.' || c == '-');
    let labels: Vec<&str> = token.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty())
        && labels
            .last()
            .is_some_and(|tld| tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic))
}

#[cfg(test)]
mod tests {
    use super::looks_like_link;

    #[test]
    fn links_addresses_and_domains_are_links() {
        for text in [
            "Account locked, verify at secure-login.co/x",
            "bit.ly",
            "see evil.example now",
            "https://x",
            "hxxp://x.y",
            "www.example",
            "dana@example.com",
            "(secure-login.co)",
            "secure-login\u{3002}co",
            "SECURE-LOGIN.CO",
            "xn--80ak6aa92e.com",
            "http:evil",
            "пример.рф",
        ] {
            assert!(looks_like_link(text), "{text}");
        }
    }

    #[test]
    fn names_abbreviations_and_numbers_are_not() {
        for text in [
            "Mr. Smith",
            "3.5",
            "v2.0",
            "Dana Levi",
            "J.R.R. Tolkien",
            "Ph.D",
            "A. B. Smith",
            "Initech Ltd.",
            "דנה לוי",
            "O'Brien-Smith",
            "Pricing for 20 seats. Thanks",
            "",
        ] {
            assert!(!looks_like_link(text), "{text}");
        }
    }
}
