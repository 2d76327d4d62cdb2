use serde::{Deserialize, Serialize};

/// The platform an export comes from. `Custom` is the brand's own CSV: a roster read through a
/// [`ColumnMapping`](crate::ColumnMapping) (or the canonical column names), and the canonical
/// history format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    Rewardful,
    Tapfiliate,
    FirstPromoter,
    PartnerStack,
    Dub,
    Tolt,
    Custom,
}

impl Source {
    pub const ALL: &'static [Source] = &[
        Source::Rewardful,
        Source::Tapfiliate,
        Source::FirstPromoter,
        Source::PartnerStack,
        Source::Dub,
        Source::Tolt,
        Source::Custom,
    ];

    /// Parses a source name case-insensitively; `dub-partners` is an alias of `dub`.
    pub fn parse(s: &str) -> Option<Source> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("dub-partners") {
            return Some(Source::Dub);
        }
        Self::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(s))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Rewardful => "rewardful",
            Source::Tapfiliate => "tapfiliate",
            Source::FirstPromoter => "firstpromoter",
            Source::PartnerStack => "partnerstack",
            Source::Dub => "dub",
            Source::Tolt => "tolt",
            Source::Custom => "custom",
        }
    }

    /// The query parameter the source's links carry the slug in, which the Afflux script also
    /// reads, so old links keep working. PartnerStack links are path-based; a custom source's
    /// convention is unknown.
    pub fn link_param(self) -> Option<&'static str> {
        match self {
            Source::Rewardful | Source::Dub => Some("via"),
            Source::Tapfiliate => Some("ref"),
            Source::FirstPromoter => Some("fpr"),
            Source::Tolt => Some("aff"),
            Source::PartnerStack | Source::Custom => None,
        }
    }

    /// What happens to the affiliates' old links, shown once in the import result.
    pub fn continuity_note(self) -> &'static str {
        match self {
            Source::Rewardful => {
                "?via=SLUG links keep working once the Afflux script is on the site: imported affiliates keep their Rewardful token as their slug where it is a valid slug."
            }
            Source::Tapfiliate => {
                "?ref=SLUG links keep working once the Afflux script is on the site: imported affiliates keep their Tapfiliate referral code as their slug where it is a valid slug."
            }
            Source::FirstPromoter => {
                "?fpr=SLUG links keep working once the Afflux script is on the site: imported affiliates keep their FirstPromoter ref id as their slug where it is a valid slug."
            }
            Source::Dub => {
                "?via=SLUG links keep working once the Afflux script is on the site: imported affiliates keep the slug of their Dub partner link where it is a valid slug. Dub short links (go.example.com/jane) keep working only if that domain redirects to Afflux's /go/SLUG."
            }
            Source::Tolt => {
                "?aff=SLUG links keep working once the Afflux script is on the site: imported affiliates keep their Tolt referral code as their slug where it is a valid slug."
            }
            Source::PartnerStack => {
                "PartnerStack links are path-based (https://links.example.com/PARTNER_KEY), so they keep working only with one redirect line on the reverse proxy of the old link domain, for example in nginx: `location ~ ^/([A-Za-z0-9-]{3,64})/?$ { return 302 https://afflux.example.com/go/$1; }`. Imported affiliates keep their partner key as their slug where it is a valid slug, so the redirect maps one to one."
            }
            Source::Custom => {
                "Old links keep working only if they carry the preserved slug: SLUG links keep working once the Afflux script is on the site when they use a query parameter Afflux reads (via, ref, fpr, aff); other links need one redirect line to /go/SLUG on the reverse proxy."
            }
        }
    }

    /// The link parameters a slug is read from, and whether a link's last path segment is one.
    pub(crate) fn link_slug_rule(self) -> (&'static [&'static str], bool) {
        match self {
            Source::Rewardful => (&["via"], false),
            Source::Tapfiliate => (&["ref"], false),
            Source::FirstPromoter => (&["fpr"], false),
            // Tolt programs choose their parameter: `aff` per the compatibility matrix, `ref` in Tolt's own examples.
            Source::Tolt => (&["aff", "ref"], false),
            Source::Dub => (&["via"], true),
            Source::PartnerStack => (&["ps_partner_key"], true),
            Source::Custom => (&["via", "ref", "fpr", "aff"], false),
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Source {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Source {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Source::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(
                "must be one of rewardful, tapfiliate, firstpromoter, partnerstack, dub, tolt, custom",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_case_insensitively() {
        for s in Source::ALL {
            assert_eq!(Source::parse(s.as_str()), Some(*s));
            assert_eq!(Source::parse(&s.as_str().to_uppercase()), Some(*s));
            let json = serde_json::to_string(s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
            assert_eq!(serde_json::from_str::<Source>(&json).unwrap(), *s);
        }
        assert_eq!(Source::parse(" Dub-Partners "), Some(Source::Dub));
        assert_eq!(Source::parse("leaddyno"), None);
        assert!(serde_json::from_str::<Source>("\"impact\"").is_err());
    }

    #[test]
    fn link_params_follow_the_compatibility_matrix() {
        let params: Vec<_> = Source::ALL.iter().map(|s| s.link_param()).collect();
        assert_eq!(
            params,
            [
                Some("via"),
                Some("ref"),
                Some("fpr"),
                None,
                Some("via"),
                Some("aff"),
                None
            ]
        );
        assert!(Source::PartnerStack.continuity_note().contains("/go/$1"));
        assert!(
            Source::Rewardful
                .continuity_note()
                .starts_with("?via=SLUG links keep working")
        );
    }
}
