//! Whether a lead may earn a pay-per-lead commission: throwaway inboxes and affiliates signing
//! themselves up are recorded but earn nothing.

use crate::Email;

/// Well-known disposable-mail domains, sorted for binary search. Subdomains count too.
const DISPOSABLE_DOMAINS: &[&str] = &[
    "0-mail.com",
    "10minutemail.co.uk",
    "10minutemail.com",
    "10minutemail.net",
    "1secmail.com",
    "1secmail.net",
    "1secmail.org",
    "20minutemail.com",
    "anonbox.net",
    "armyspy.com",
    "burnermail.io",
    "byom.de",
    "cool.fr.nf",
    "courriel.fr.nf",
    "cuvox.de",
    "dayrep.com",
    "deadaddress.com",
    "discard.email",
    "discardmail.com",
    "discardmail.de",
    "dispostable.com",
    "dropmail.me",
    "e4ward.com",
    "einrot.com",
    "emailfake.com",
    "emailondeck.com",
    "fakeinbox.com",
    "fakemail.net",
    "fakemailgenerator.com",
    "fleckens.hu",
    "getairmail.com",
    "getnada.com",
    "grr.la",
    "guerrillamail.biz",
    "guerrillamail.com",
    "guerrillamail.de",
    "guerrillamail.info",
    "guerrillamail.net",
    "guerrillamail.org",
    "guerrillamailblock.com",
    "gustr.com",
    "harakirimail.com",
    "inboxkitten.com",
    "incognitomail.org",
    "jetable.fr.nf",
    "jetable.org",
    "jourrapide.com",
    "kasmail.com",
    "mailcatch.com",
    "maildrop.cc",
    "mailexpire.com",
    "mailforspam.com",
    "mailinator.com",
    "mailinator.net",
    "mailinator2.com",
    "mailmetrash.com",
    "mailnesia.com",
    "mailnull.com",
    "mailpoof.com",
    "mailsac.com",
    "mega.zik.dj",
    "mintemail.com",
    "moakt.com",
    "mohmal.com",
    "moncourrier.fr.nf",
    "monemail.fr.nf",
    "monmail.fr.nf",
    "mytemp.email",
    "nada.email",
    "nomail.xl.cx",
    "nospam.ze.tc",
    "pokemail.net",
    "rhyta.com",
    "sharklasers.com",
    "spam4.me",
    "spambox.us",
    "spamdecoy.net",
    "spamex.com",
    "spamfree24.org",
    "spamgourmet.com",
    "spamgourmet.net",
    "speed.1s.fr",
    "superrito.com",
    "teleworm.us",
    "temp-mail.io",
    "temp-mail.org",
    "tempail.com",
    "tempinbox.com",
    "tempmail.com",
    "tempmail.net",
    "tempmailaddress.com",
    "tempmailo.com",
    "tempr.email",
    "throwawaymail.com",
    "tmpmail.net",
    "tmpmail.org",
    "trash-mail.com",
    "trashmail.at",
    "trashmail.com",
    "trashmail.de",
    "trashmail.io",
    "trashmail.me",
    "trashmail.net",
    "trashmail.ws",
    "wegwerfmail.de",
    "wegwerfmail.net",
    "wegwerfmail.org",
    "yopmail.com",
    "yopmail.fr",
    "yopmail.net",
];

/// Why a lead earns nothing, as a stable code: `disposable_email` when its address is at a
/// disposable-mail domain (checked first: it says nothing about who signed up), then
/// `self_referral` when it is the affiliate's own address. `None`: the lead may earn.
pub fn lead_disqualification(lead_email: &Email, affiliate_email: &Email) -> Option<&'static str> {
    if is_disposable(lead_email.domain()) {
        Some("disposable_email")
    } else if lead_email.key() == affiliate_email.key() {
        Some("self_referral")
    } else {
        None
    }
}

fn is_disposable(domain: &str) -> bool {
    let domain = domain.to_ascii_lowercase();
    // The domain itself, then each parent domain: "a.b.mailinator.com", "b.mailinator.com", …
    let mut suffix = domain.as_str();
    loop {
        if DISPOSABLE_DOMAINS.binary_search(&suffix).is_ok() {
            return true;
        }
        match suffix.split_once('.') {
            Some((_, parent)) => suffix = parent,
            None => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(s: &str) -> Email {
        Email::parse(s).unwrap()
    }

    #[test]
    fn the_list_is_sorted_distinct_and_lower_case() {
        assert!(DISPOSABLE_DOMAINS.windows(2).all(|w| w[0] < w[1]));
        assert!(DISPOSABLE_DOMAINS.iter().all(|d| *d == d.to_ascii_lowercase()));
        assert!(DISPOSABLE_DOMAINS.len() >= 100);
    }

    #[test]
    fn disposable_domains_and_their_subdomains_are_refused() {
        let affiliate = email("aff@example.com");
        for lead in [
            "x@mailinator.com",
            "x@MailInator.COM",
            "x@eu.mailinator.com",
            "x@a.b.yopmail.fr",
            "x@guerrillamail.com",
            "x@10minutemail.com",
            "x@temp-mail.org",
            "x@trashmail.com",
            "x@sharklasers.com",
            "x@getnada.com",
            "x@dispostable.com",
            "x@maildrop.cc",
        ] {
            assert_eq!(
                lead_disqualification(&email(lead), &affiliate),
                Some("disposable_email"),
                "{lead}"
            );
        }
    }

    #[test]
    fn lookalike_domains_are_not_disposable() {
        let affiliate = email("aff@example.com");
        for lead in ["x@notmailinator.com", "x@mailinator.com.example.org", "x@gmail.com"] {
            assert_eq!(lead_disqualification(&email(lead), &affiliate), None, "{lead}");
        }
    }

    #[test]
    fn the_affiliate_signing_up_is_a_self_referral() {
        let affiliate = email("Aff@Example.com");
        assert_eq!(
            lead_disqualification(&email("aff@example.COM"), &affiliate),
            Some("self_referral")
        );
        assert_eq!(lead_disqualification(&email("aff+1@example.com"), &affiliate), None);
        // A disposable address is reported as such even when it is the affiliate's own.
        let throwaway = email("aff@yopmail.com");
        assert_eq!(lead_disqualification(&throwaway, &throwaway), Some("disposable_email"));
    }
}
