//! The headers each source's affiliate export uses, best first. Only Dub publishes its export
//! headers; the others are the names of the source's import template and API objects, which
//! is what their CSV exports and hand-made exports carry (Rewardful `token`, Tapfiliate
//! `referral_code`, FirstPromoter v1 `ref_id`/`default_ref_id` and v2 `ref_token` plus Rekomi's
//! `cust_ref`, PartnerStack `partner_key` and its `Partner_first`-style import headers, Tolt
//! `referral_code`). When no slug column is present the slug is read from a link column: the
//! value of the source's link parameter, or for Dub and PartnerStack (whose links are
//! path-based) the link's last path segment.

use crate::header::Header;
use crate::mapping::Field;
use crate::{ColumnMapping, FileError, Source};

pub(crate) struct Aliases {
    email: &'static [&'static str],
    name: &'static [&'static str],
    first_name: &'static [&'static str],
    last_name: &'static [&'static str],
    status: &'static [&'static str],
    slug: &'static [&'static str],
    link: &'static [&'static str],
    paypal: &'static [&'static str],
}

const FIRST: &[&str] = &["first_name", "firstname", "given_name"];
const LAST: &[&str] = &["last_name", "lastname", "family_name", "surname"];

const REWARDFUL: Aliases = Aliases {
    email: &["email", "affiliate_email"],
    name: &["name", "affiliate_name"],
    first_name: FIRST,
    last_name: LAST,
    status: &["state", "status"],
    slug: &["token", "link_token", "referral_token"],
    link: &["link", "referral_link", "affiliate_link", "url"],
    paypal: &["paypal_email", "affiliate_paypal_email", "paypal"],
};

const TAPFILIATE: Aliases = Aliases {
    email: &["email", "affiliate_email"],
    name: &["name", "affiliate_name"],
    first_name: FIRST,
    last_name: LAST,
    status: &["status", "state", "approval_status"],
    slug: &["referral_code", "ref_code", "referral_id"],
    link: &["referral_link", "affiliate_link", "link", "url"],
    paypal: &[],
};

const FIRSTPROMOTER: Aliases = Aliases {
    email: &["email", "promoter_email", "promoter.email"],
    name: &["name", "full_name", "promoter_name"],
    first_name: &["first_name", "profile.first_name", "firstname"],
    last_name: &["last_name", "profile.last_name", "lastname"],
    status: &["status", "state"],
    slug: &[
        "cust_ref",
        "ref_id",
        "ref_token",
        "default_ref_id",
        "promoter_campaigns.ref_token",
    ],
    link: &["referral_link", "ref_link", "link", "url"],
    paypal: &["paypal_email", "profile.paypal_email", "PayPal Email"],
};

const PARTNERSTACK: Aliases = Aliases {
    email: &["partner_email", "email"],
    name: &["partner_name", "name"],
    first_name: &["partner_first", "partner_first_name", "first_name"],
    last_name: &["partner_last", "partner_last_name", "last_name"],
    status: &["status", "partner_status", "state"],
    slug: &["partner_key", "key"],
    link: &["partner_link", "referral_link", "link", "url"],
    paypal: &[],
};

const DUB: Aliases = Aliases {
    email: &["email", "partner_email"],
    name: &["name", "partner_name"],
    first_name: FIRST,
    last_name: LAST,
    status: &["status", "enrollment_status"],
    slug: &["link_key", "short_link_key"],
    link: &["partner_link", "short_link", "referral_link", "link"],
    paypal: &[],
};

const TOLT: Aliases = Aliases {
    email: &["email", "partner_email"],
    name: &["name", "partner_name"],
    first_name: FIRST,
    last_name: LAST,
    status: &["status", "state"],
    slug: &["referral_code", "ref_code", "link_value", "referral"],
    link: &["referral_link", "partner_link", "link", "url"],
    paypal: &["paypal_email", "payout_email", "payout_details.email"],
};

const CUSTOM: Aliases = Aliases {
    email: &["email", "email_address", "affiliate_email"],
    name: &["name", "full_name", "affiliate_name"],
    first_name: FIRST,
    last_name: LAST,
    status: &["status", "state"],
    slug: &["slug", "referral_slug", "referral_code", "ref", "token"],
    link: &["referral_link", "link"],
    paypal: &["paypal_email", "paypal"],
};

fn aliases(source: Source) -> &'static Aliases {
    match source {
        Source::Rewardful => &REWARDFUL,
        Source::Tapfiliate => &TAPFILIATE,
        Source::FirstPromoter => &FIRSTPROMOTER,
        Source::PartnerStack => &PARTNERSTACK,
        Source::Dub => &DUB,
        Source::Tolt => &TOLT,
        Source::Custom => &CUSTOM,
    }
}

/// Where each roster field sits in one file.
pub(crate) struct Columns {
    pub email: usize,
    pub name: Option<usize>,
    pub first_name: Option<usize>,
    pub last_name: Option<usize>,
    pub status: Option<usize>,
    pub slug: Option<usize>,
    pub link: Option<usize>,
    pub paypal: Option<usize>,
    /// Tolt: PayPal is the payout email only when the payout method is PayPal.
    pub payout_method: Option<usize>,
}

/// Only these sources export a PayPal address (Custom when the brand maps one).
fn has_paypal(source: Source) -> bool {
    matches!(
        source,
        Source::Rewardful | Source::FirstPromoter | Source::Tolt | Source::Custom
    )
}

impl Columns {
    pub(crate) fn resolve(source: Source, mapping: Option<&ColumnMapping>, header: &Header) -> Result<Self, FileError> {
        let columns = match mapping {
            Some(m) => Self::mapped(m, header)?,
            None => {
                let a = aliases(source);
                let email = header
                    .find(a.email)
                    .ok_or_else(|| FileError::missing_column("email", a.email))?;
                Self {
                    email,
                    name: header.find(a.name),
                    first_name: header.find(a.first_name),
                    last_name: header.find(a.last_name),
                    status: header.find(a.status),
                    slug: header.find(a.slug),
                    link: header.find(a.link),
                    paypal: header.find(a.paypal),
                    payout_method: if source == Source::Tolt {
                        header.find(&["payout_method"])
                    } else {
                        None
                    },
                }
            }
        };
        Ok(Self {
            paypal: columns.paypal.filter(|_| has_paypal(source)),
            ..columns
        })
    }

    fn mapped(m: &ColumnMapping, header: &Header) -> Result<Self, FileError> {
        let mut columns = Self {
            email: 0,
            name: None,
            first_name: None,
            last_name: None,
            status: None,
            slug: None,
            link: None,
            paypal: None,
            payout_method: None,
        };
        for (field, name) in m.pairs()? {
            let at = header
                .find(&[name])
                .ok_or_else(|| FileError::missing_column(field.name(), &[name]))?;
            match field {
                Field::Email => columns.email = at,
                Field::Name => columns.name = Some(at),
                Field::FirstName => columns.first_name = Some(at),
                Field::LastName => columns.last_name = Some(at),
                Field::Status => columns.status = Some(at),
                Field::Slug => columns.slug = Some(at),
                Field::PaypalEmail => columns.paypal = Some(at),
            }
        }
        Ok(columns)
    }
}
