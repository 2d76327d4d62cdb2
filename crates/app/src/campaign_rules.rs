//! A campaign's rules as the API writes them: amounts as decimals in the campaign currency,
//! rates as percentages, turned into the domain's `CampaignRules` (minor units, basis points).

use afflux_domain::{
    CampaignRules, CommissionType, CommissionValue, Currency, DEFAULT_HOLD_DAYS, Money, ProductRule, RecurringDuration,
    TierRule, TierThreshold, ValidationError,
};
use afflux_domain::{
    MILESTONE_BODY, MILESTONE_SUBJECT, Milestone, MilestoneThreshold, THANK_YOU_BODY, THANK_YOU_SUBJECT, ThankYouEmail,
};
use serde::{Deserialize, Serialize};

use crate::Decimal;

/// A rate as people write it: `{"type": "Percentage", "value": "30"}`.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateInput {
    #[serde(rename = "type")]
    pub kind: CommissionType,
    pub value: Decimal,
}

/// A performance tier: reached at `minSales` approved sales or `minRevenue` approved revenue.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TierInput {
    pub name: String,
    pub min_sales: Option<i64>,
    pub min_revenue: Option<Decimal>,
    pub commission: RateInput,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProductInput {
    pub product_id: String,
    pub commission: RateInput,
}

/// The rules of a campaign (every field optional; omitted ones take their defaults).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RulesInput {
    /// Days a commission is held before it is payable (default 30).
    pub hold_days: Option<i32>,
    /// The least paid in one payout, in the campaign currency (default 0).
    pub minimum_payout: Option<Decimal>,
    /// How long renewals earn: `{"kind": "FirstPaymentOnly"}`, `{"kind": "Months", "months": 12}`
    /// or `{"kind": "Lifetime"}` (default).
    #[schema(value_type = Option<Object>)]
    pub recurring: Option<RecurringDuration>,
    #[serde(default)]
    pub tiers: Vec<TierInput>,
    #[serde(default)]
    pub products: Vec<ProductInput>,
    /// Two-tier programs: the recruiter's share (0–100 %) of each commission of a recruit.
    pub two_tier_percent: Option<u8>,
    /// Pay per click: the most the campaign pays for clicks in all.
    pub cpc_budget: Option<Decimal>,
    /// The "thank you" email sent for each commission earned (off by default).
    pub thank_you_email: Option<ThankYouInput>,
    /// Sales milestones, each announced to an affiliate once.
    #[serde(default)]
    pub milestones: Vec<MilestoneInput>,
}

/// `{"enabled": true, "subject": "…", "body": "…"}`; subject and body default to Afflux's
/// wording and take the merge fields of partner emails.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ThankYouInput {
    pub enabled: bool,
    pub subject: Option<String>,
    pub body: Option<String>,
}

/// A milestone: reached at `minSales` sales, or at `minTotalSales` of sales in `currency`
/// (the campaign currency by default).
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MilestoneInput {
    pub name: String,
    pub min_sales: Option<i64>,
    pub min_total_sales: Option<Decimal>,
    pub currency: Option<String>,
    pub subject: Option<String>,
    pub body: Option<String>,
}

fn milestone(i: usize, m: &MilestoneInput, campaign_currency: Currency) -> Result<Milestone, ValidationError> {
    let field = |name: &str| format!("rules.milestones[{i}].{name}");
    let threshold = match (m.min_sales, &m.min_total_sales) {
        (Some(count), None) if m.currency.is_none() => MilestoneThreshold::SalesCount { count },
        (None, Some(total)) => {
            let currency = match &m.currency {
                Some(code) => Currency::parse(code).map_err(|e| ValidationError {
                    field: field("currency"),
                    ..e
                })?,
                None => campaign_currency,
            };
            MilestoneThreshold::SalesTotal {
                minor: amount(&field("minTotalSales"), total, currency)?,
                currency,
            }
        }
        (Some(_), None) => {
            return Err(ValidationError::new(
                field("currency"),
                "only a minTotalSales has a currency",
            ));
        }
        _ => {
            return Err(ValidationError::new(
                field("minSales"),
                "give exactly one of minSales and minTotalSales",
            ));
        }
    };
    Ok(Milestone {
        name: m.name.trim().to_owned(),
        threshold,
        subject: m.subject.clone().unwrap_or_else(|| MILESTONE_SUBJECT.into()),
        body: m.body.clone().unwrap_or_else(|| MILESTONE_BODY.into()),
    })
}

fn rate(field: &str, r: &RateInput, currency: Currency) -> Result<CommissionValue, ValidationError> {
    CommissionValue::parse(field, r.kind, &r.value.0, currency)
}

fn amount(field: &str, d: &Decimal, currency: Currency) -> Result<i64, ValidationError> {
    let money = Money::parse_major(field, &d.0, currency)?;
    if money.minor < 0 {
        return Err(ValidationError::new(field, "must not be negative"));
    }
    Ok(money.minor)
}

impl RulesInput {
    pub fn to_rules(&self, currency: Currency) -> Result<CampaignRules, ValidationError> {
        let mut tiers = Vec::with_capacity(self.tiers.len());
        for (i, t) in self.tiers.iter().enumerate() {
            let field = |name: &str| format!("rules.tiers[{i}].{name}");
            let threshold = match (t.min_sales, &t.min_revenue) {
                (Some(count), None) => TierThreshold::Sales { count },
                (None, Some(revenue)) => TierThreshold::Revenue {
                    minor: amount(&field("minRevenue"), revenue, currency)?,
                },
                _ => {
                    return Err(ValidationError::new(
                        field("minSales"),
                        "give exactly one of minSales and minRevenue",
                    ));
                }
            };
            tiers.push(TierRule {
                name: t.name.trim().to_owned(),
                threshold,
                commission: rate(&field("commission.value"), &t.commission, currency)?,
            });
        }
        let mut products = Vec::with_capacity(self.products.len());
        for (i, p) in self.products.iter().enumerate() {
            products.push(ProductRule {
                product_id: p.product_id.trim().to_owned(),
                commission: rate(
                    &format!("rules.products[{i}].commission.value"),
                    &p.commission,
                    currency,
                )?,
            });
        }
        let rules = CampaignRules {
            hold_days: self.hold_days.unwrap_or(DEFAULT_HOLD_DAYS),
            minimum_payout_minor: self
                .minimum_payout
                .as_ref()
                .map(|d| amount("rules.minimumPayout", d, currency))
                .transpose()?
                .unwrap_or(0),
            recurring: self.recurring.unwrap_or_default(),
            tiers,
            products,
            two_tier_percent: self.two_tier_percent,
            cpc_budget_minor: self
                .cpc_budget
                .as_ref()
                .map(|d| amount("rules.cpcBudget", d, currency))
                .transpose()?,
            thank_you_email: self
                .thank_you_email
                .as_ref()
                .map(|t| ThankYouEmail {
                    enabled: t.enabled,
                    subject: t.subject.clone().unwrap_or_else(|| THANK_YOU_SUBJECT.into()),
                    body: t.body.clone().unwrap_or_else(|| THANK_YOU_BODY.into()),
                })
                .unwrap_or_default(),
            milestones: self
                .milestones
                .iter()
                .enumerate()
                .map(|(i, m)| milestone(i, m, currency))
                .collect::<Result<_, _>>()?,
        };
        rules.validate()?;
        Ok(rules)
    }

    /// The input that reads back as `rules` (for views).
    pub fn from_rules(rules: &CampaignRules, currency: Currency) -> Self {
        let rate = |c: &CommissionValue| RateInput {
            kind: c.kind,
            value: Decimal(c.display_value(currency)),
        };
        let major = |minor: i64| Decimal(Money::new(minor, currency).major_string());
        Self {
            hold_days: Some(rules.hold_days),
            minimum_payout: Some(major(rules.minimum_payout_minor)),
            recurring: Some(rules.recurring),
            tiers: rules
                .tiers
                .iter()
                .map(|t| TierInput {
                    name: t.name.clone(),
                    min_sales: match t.threshold {
                        TierThreshold::Sales { count } => Some(count),
                        TierThreshold::Revenue { .. } => None,
                    },
                    min_revenue: match t.threshold {
                        TierThreshold::Revenue { minor } => Some(major(minor)),
                        TierThreshold::Sales { .. } => None,
                    },
                    commission: rate(&t.commission),
                })
                .collect(),
            products: rules
                .products
                .iter()
                .map(|p| ProductInput {
                    product_id: p.product_id.clone(),
                    commission: rate(&p.commission),
                })
                .collect(),
            two_tier_percent: rules.two_tier_percent,
            cpc_budget: rules.cpc_budget_minor.map(major),
            thank_you_email: Some(ThankYouInput {
                enabled: rules.thank_you_email.enabled,
                subject: Some(rules.thank_you_email.subject.clone()),
                body: Some(rules.thank_you_email.body.clone()),
            }),
            milestones: rules
                .milestones
                .iter()
                .map(|m| {
                    let (min_sales, min_total_sales, currency) = match m.threshold {
                        MilestoneThreshold::SalesCount { count } => (Some(count), None, None),
                        MilestoneThreshold::SalesTotal { minor, currency } => (
                            None,
                            Some(Decimal(Money::new(minor, currency).major_string())),
                            Some(currency.code().to_owned()),
                        ),
                    };
                    MilestoneInput {
                        name: m.name.clone(),
                        min_sales,
                        min_total_sales,
                        currency,
                        subject: Some(m.subject.clone()),
                        body: Some(m.body.clone()),
                    }
                })
                .collect(),
        }
    }
}
