//! Whether an e-mail address given for a person can receive mail: strict syntax, and none of
//! the bundled list of disposable services and typos of the big providers.

use std::collections::HashMap;
use std::sync::LazyLock;

use email_address::{EmailAddress, Options};

/// Why an e-mail address is refused; the `Display` text is the field error citizens see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailProblem {
    /// Not an address at all, or one mail servers do not route (no dot in the domain, an IP
    /// literal, a display name).
    #[error("Az e-mail-cím formája hibás (például: nev@pelda.hu).")]
    Syntax,
    /// A disposable mailbox service or a misspelt provider.
    #[error("{}", bad_domain_hu(.suggestion.as_deref()))]
    BadDomain { suggestion: Option<String> },
}

impl EmailProblem {
    /// The same message in English, for the English pages.
    pub fn message_en(&self) -> String {
        match self {
            EmailProblem::Syntax => {
                "The e-mail address is not well formed (for example: name@example.hu).".to_owned()
            }
            EmailProblem::BadDomain {
                suggestion: Some(s),
            } => format!("This mail domain does not receive mail. Did you mean {s}?"),
            EmailProblem::BadDomain { suggestion: None } => {
                "Throw-away mailboxes are not accepted; please give an address you keep.".to_owned()
            }
        }
    }
}

fn bad_domain_hu(suggestion: Option<&str>) -> String {
    match suggestion {
        Some(s) => format!("Ez a levelezési tartomány nem fogad leveleket. Erre gondolt: {s}?"),
        None => "Eldobható postafiókot nem fogadunk el; kérjük, olyan címet adjon meg, amelyet \
                 tartósan használ."
            .to_owned(),
    }
}

/// The bundled list: domain → the provider meant, if it is a typo.
static BAD_DOMAINS: LazyLock<HashMap<&'static str, Option<&'static str>>> = LazyLock::new(|| {
    include_str!("data/bad-email-domains.txt")
        .lines()
        .map(|line| line.split('#').next().unwrap_or("").trim())
        .filter(|line| !line.is_empty())
        .map(|line| {
            let mut words = line.split_whitespace();
            let domain = words.next().unwrap_or("");
            (domain, words.next())
        })
        .collect()
});

/// The address trimmed, with its domain in lower case, or why it is refused.
pub fn check_email(text: &str) -> Result<String, EmailProblem> {
    let text = text.trim();
    let options = Options::default()
        .with_required_tld()
        .without_domain_literal()
        .without_display_text();
    let address =
        EmailAddress::parse_with_options(text, options).map_err(|_| EmailProblem::Syntax)?;
    let domain = address.domain().to_lowercase();
    // A trailing dot or an empty label passes some parsers and no mail server.
    if domain.split('.').any(|label| label.is_empty()) {
        return Err(EmailProblem::Syntax);
    }
    if let Some(suggestion) = BAD_DOMAINS.get(domain.as_str()) {
        return Err(EmailProblem::BadDomain {
            suggestion: suggestion.map(str::to_owned),
        });
    }
    Ok(format!("{}@{domain}", address.local_part()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_address_is_trimmed_and_its_domain_lower_cased() {
        assert_eq!(
            check_email("  Kovacs.Jozsef@FreeMail.HU \n").as_deref(),
            Ok("Kovacs.Jozsef@freemail.hu")
        );
        assert_eq!(
            check_email("anna@citromail.hu").as_deref(),
            Ok("anna@citromail.hu")
        );
        assert_eq!(
            check_email("a.b+hirlevel@hegyvidek.hu").as_deref(),
            Ok("a.b+hirlevel@hegyvidek.hu")
        );
    }

    #[test]
    fn a_typo_of_a_provider_is_refused_with_the_provider_meant() {
        let problem = check_email("a@gmial.com").unwrap_err();
        assert_eq!(
            problem,
            EmailProblem::BadDomain {
                suggestion: Some("gmail.com".to_owned())
            }
        );
        assert!(problem.to_string().contains("Erre gondolt: gmail.com?"));
        assert!(problem.message_en().contains("Did you mean gmail.com?"));
        assert_eq!(
            check_email("b@FREEMIAL.HU"),
            Err(EmailProblem::BadDomain {
                suggestion: Some("freemail.hu".to_owned())
            })
        );
    }

    #[test]
    fn a_throw_away_mailbox_is_refused_without_a_suggestion() {
        let problem = check_email("spam@mailinator.com").unwrap_err();
        assert_eq!(problem, EmailProblem::BadDomain { suggestion: None });
        assert!(problem.to_string().contains("Eldobható"));
        assert!(problem.message_en().contains("Throw-away"));
    }

    #[test]
    fn malformed_and_unroutable_addresses_are_refused() {
        for bad in [
            "",
            "   ",
            "kovacs",
            "kovacs@",
            "@freemail.hu",
            "kovacs@localhost",
            "kovacs@[127.0.0.1]",
            "Kovács József <kovacs@freemail.hu>",
            "kovacs@@freemail.hu",
            "kovacs @freemail.hu",
            "kovacs@freemail..hu",
            "kovacs@freemail.hu.",
            "a@b.hu\r\nBcc: victim@example.com",
        ] {
            assert_eq!(check_email(bad), Err(EmailProblem::Syntax), "{bad:?}");
        }
        assert!(EmailProblem::Syntax.to_string().contains("formája hibás"));
        assert!(
            EmailProblem::Syntax
                .message_en()
                .contains("not well formed")
        );
    }

    #[test]
    fn every_line_of_the_bundled_list_is_a_domain() {
        assert!(BAD_DOMAINS.len() >= 60);
        for (domain, suggestion) in BAD_DOMAINS.iter() {
            assert!(domain.contains('.'), "{domain}");
            assert_eq!(*domain, domain.to_lowercase());
            if let Some(s) = suggestion {
                assert!(!BAD_DOMAINS.contains_key(s), "{domain} suggests a bad {s}");
            }
        }
    }
}
