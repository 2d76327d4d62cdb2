//! The headers of each source's commission export, best first.
//!
//! No source publishes the exact columns of its commission CSV, so the names are those of
//! the source's commission API object (flattened as `sale.x` / `affiliate.x`, which the header
//! matching reads as `salex` / `affiliatex`), plus the plain names a hand-made export would
//! use. Amounts keep the unit of that object: **minor units (cents)** for Rewardful
//! (`amount`, `sale_amount_cents`), FirstPromoter (`amount`, `sale_amount`), PartnerStack
//! (`amount`), Dub (`earnings` = commission, `amount` = sale) and Tolt (`amount`, `revenue`);
//! **decimal major units** for Tapfiliate (`amount`, `conversion_amount`). Whatever the
//! source, a `*_cents` column is minor units and `commission_amount` / `sale_amount` in the
//! canonical file are major units. A minor-unit cell holding a decimal point fails the row
//! rather than being guessed at.
//!
//! | field | Rewardful | Tapfiliate | FirstPromoter | PartnerStack | Dub | Tolt |
//! |---|---|---|---|---|---|---|
//! | external id | id | id | id | key, reward_key | id | id |
//! | affiliate email | affiliate_email, affiliate.email | affiliate_email, affiliate.email | promoter_email, promoter.email | partner_email | partner_email, partner.email | partner_email |
//! | affiliate slug | affiliate_token, token | referral_code | ref_id, ref_token, cust_ref | partner_key | partner_link (`via` or last path segment) | referral_code, referral_link (`aff`/`ref`) |
//! | commission | amount | amount | amount | amount | earnings | amount |
//! | sale | sale_amount_cents, sale.sale_amount_cents | conversion_amount | sale_amount | sale_amount_cents | amount | revenue |
//! | status | state | approved (+ paid, paid_at) | status (+ is_paid) | reward_status, status | status (+ type) | status |
//! | created | created_at | created_at | created_at | created_at | created_at | created_at |
//! | paid | paid_at | paid_at | paid_at | paid_at | paid_at | paid_at |
//!
//! Every source also reads `email`, `currency` (default USD when the column is absent),
//! `stripe_customer_id` / `customer_id`, `stripe_subscription_id` / `subscription_id` a
//! `type` column (a Tolt-style `refund` row is skipped as refunded) and a `unit` column
//! (FirstPromoter rewards in credits, points or free months are not money: such a row fails). The canonical file (Source::Custom)
//! has `id, affiliate_email, affiliate_name, referral_code, customer_id, subscription_id,
//! sale_amount_cents, commission_amount_cents, currency, status, created_at, due_at, paid_at`
//! (also the JSON names: `external_id`, `affiliate_slug`, `sale_amount_minor`,
//! `commission_minor`, `occurred_at`); `affiliate_name` and `due_at` are not imported.

use crate::header::Header;
use crate::{FileError, Source};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    Minor,
    Major,
}

use Unit::{Major, Minor};

type Names = &'static [&'static str];
type Amounts = &'static [(&'static str, Unit)];

struct Aliases {
    id: Names,
    email: Names,
    slug: Names,
    link: Names,
    sale: Amounts,
    commission: Amounts,
    status: Names,
    created: Names,
}

const CUSTOMER: Names = &[
    "stripe_customer_id",
    "customer_id",
    "sale.referral.stripe_customer_id",
    "customer.external_id",
    "customer_key",
];
const SUBSCRIPTION: Names = &["stripe_subscription_id", "subscription_id"];
const CURRENCY: Names = &["currency", "sale.currency"];
const PAID_AT: Names = &["paid_at", "paid_date"];
const PAID_FLAG: Names = &["is_paid", "paid"];
const KIND: Names = &["type", "commission_type", "event"];
const CREATED: Names = &["created_at", "date", "occurred_at"];

fn aliases(source: Source) -> Aliases {
    match source {
        Source::Rewardful => Aliases {
            id: &["id", "commission_id"],
            email: &["affiliate_email", "affiliate.email", "email"],
            slug: &["affiliate_token", "token", "referral_code"],
            link: &[],
            sale: &[
                ("sale_amount_cents", Minor),
                ("sale.sale_amount_cents", Minor),
                ("charge_amount_cents", Minor),
                ("sale.charge_amount_cents", Minor),
            ],
            commission: &[
                ("amount", Minor),
                ("amount_cents", Minor),
                ("commission_amount_cents", Minor),
            ],
            status: &["state", "status"],
            created: &["created_at", "sale.charged_at", "date"],
        },
        Source::Tapfiliate => Aliases {
            id: &["id", "commission_id"],
            email: &["affiliate_email", "affiliate.email", "email"],
            slug: &["referral_code", "affiliate.referral_code"],
            link: &[],
            sale: &[
                ("conversion_amount", Major),
                ("conversion.amount", Major),
                ("sale_amount", Major),
                ("sale_amount_cents", Minor),
            ],
            commission: &[
                ("amount", Major),
                ("commission_amount", Major),
                ("commission_amount_cents", Minor),
            ],
            status: &["status"],
            created: CREATED,
        },
        Source::FirstPromoter => Aliases {
            id: &["id", "commission_id"],
            email: &["promoter_email", "promoter.email", "email", "affiliate_email"],
            slug: &["ref_id", "ref_token", "cust_ref", "default_ref_id", "promoter.ref_id"],
            link: &[],
            sale: &[("sale_amount", Minor), ("sale_amount_cents", Minor)],
            commission: &[
                ("amount", Minor),
                ("amount_cents", Minor),
                ("commission_amount_cents", Minor),
            ],
            status: &["status", "state"],
            created: CREATED,
        },
        Source::PartnerStack => Aliases {
            id: &["key", "reward_key", "id"],
            email: &["partner_email", "partner.email", "email"],
            slug: &["partner_key", "partner.key"],
            link: &[],
            sale: &[("sale_amount_cents", Minor), ("invoice_amount_cents", Minor)],
            commission: &[("amount", Minor), ("amount_cents", Minor), ("reward_amount", Minor)],
            status: &["reward_status", "status"],
            created: CREATED,
        },
        Source::Dub => Aliases {
            id: &["id", "commission_id"],
            email: &["partner_email", "partner.email", "email"],
            slug: &[],
            link: &["partner_link", "link", "short_link"],
            sale: &[("amount", Minor), ("sale_amount", Minor)],
            commission: &[("earnings", Minor), ("commission", Minor)],
            status: &["status"],
            created: CREATED,
        },
        Source::Tolt => Aliases {
            id: &["id", "commission_id"],
            email: &["partner_email", "partner.email", "email"],
            slug: &["referral_code", "ref_code"],
            link: &["referral_link", "partner_link", "link"],
            sale: &[("revenue", Minor), ("sale_amount_cents", Minor)],
            commission: &[("amount", Minor), ("amount_cents", Minor)],
            status: &["status"],
            created: CREATED,
        },
        Source::Custom => Aliases {
            id: &["id", "external_id"],
            email: &["affiliate_email", "email"],
            slug: &["referral_code", "affiliate_slug", "slug"],
            link: &[],
            sale: &[
                ("sale_amount_cents", Minor),
                ("sale_amount_minor", Minor),
                ("sale_amount", Major),
            ],
            commission: &[
                ("commission_amount_cents", Minor),
                ("commission_minor", Minor),
                ("commission_amount", Major),
            ],
            status: &["status"],
            created: &["created_at", "occurred_at", "date"],
        },
    }
}

/// Where each history field sits in one file.
pub(crate) struct Columns {
    pub id: Option<usize>,
    pub email: Option<usize>,
    pub slug: Option<usize>,
    pub link: Option<usize>,
    pub customer: Option<usize>,
    pub subscription: Option<usize>,
    pub sale: Option<(usize, Unit)>,
    pub commission: (usize, Unit),
    pub currency: Option<usize>,
    pub status: Option<usize>,
    /// Tapfiliate's `approved` boolean, read when there is no status column.
    pub approved: Option<usize>,
    pub paid_flag: Option<usize>,
    pub kind: Option<usize>,
    /// FirstPromoter's reward unit: only `cash` is money.
    pub unit: Option<usize>,
    pub created: usize,
    pub paid_at: Option<usize>,
}

impl Columns {
    pub(crate) fn resolve(source: Source, header: &Header) -> Result<Self, FileError> {
        let a = aliases(source);
        let names = |amounts: Amounts| amounts.iter().map(|(n, _)| *n).collect::<Vec<_>>();
        let commission = header
            .find_with(a.commission)
            .ok_or_else(|| FileError::missing_column("commission", &names(a.commission)))?;
        let created = header
            .find(a.created)
            .ok_or_else(|| FileError::missing_column("occurredAt", a.created))?;
        let status = header.find(a.status);
        let approved = if source == Source::Tapfiliate {
            header.find(&["approved"])
        } else {
            None
        };
        if status.is_none() && approved.is_none() {
            let mut looked_for = a.status.to_vec();
            if source == Source::Tapfiliate {
                looked_for.push("approved");
            }
            return Err(FileError::missing_column("status", &looked_for));
        }
        let email = header.find(a.email);
        let slug = header.find(a.slug);
        let link = header.find(a.link);
        if email.is_none() && slug.is_none() && link.is_none() {
            let looked_for: Vec<&str> = a.email.iter().chain(a.slug).chain(a.link).copied().collect();
            return Err(FileError::missing_column("affiliateEmail", &looked_for));
        }
        Ok(Self {
            id: header.find(a.id),
            email,
            slug,
            link,
            customer: header.find(CUSTOMER),
            subscription: header.find(SUBSCRIPTION),
            sale: header.find_with(a.sale),
            commission,
            currency: header.find(CURRENCY),
            status,
            approved,
            paid_flag: header.find(PAID_FLAG),
            kind: header.find(KIND),
            unit: header.find(&["unit", "reward_unit"]),
            created,
            paid_at: header.find(PAID_AT),
        })
    }
}
