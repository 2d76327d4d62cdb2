//! Leads from the tracking script (`POST /api/v1/track/lead`): a free signup tied to the
//! visitor's referral. A lead earns nothing in a pay-per-sale program, but binds the email to
//! the affiliate, so a later sale by that customer is credited by customer match.

use afflux_domain::{
    ClickId, ConversionId, ConversionProvider, ConversionSource, ConversionType, Currency, Email, Money,
    ValidationError, optional_text,
};
use serde::Deserialize;
use time::OffsetDateTime;

use super::{Customer, ExternalRefs, NewConversion, Recorded, Referral};
use crate::{App, AppError, AppResult};

/// A signup the script reports: the visitor's referral (`clickId` from the click call, or the
/// `slug`) and who signed up.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LeadInput {
    pub slug: Option<String>,
    pub click_id: Option<String>,
    pub email: String,
    pub name: Option<String>,
}

/// The lead recorded (`created`), the one recorded earlier for this email, or none (with why).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedLead {
    pub conversion_id: Option<ConversionId>,
    pub created: bool,
    pub reason: Option<&'static str>,
}

impl App {
    pub async fn record_lead(&self, input: LeadInput) -> AppResult<RecordedLead> {
        let email = Email::parse(&input.email)?;
        let name = optional_text("name", input.name.as_deref(), 120)?;
        let click_id = input
            .click_id
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| c.parse::<ClickId>())
            .transpose()
            .map_err(|_| ValidationError::new("clickId", "is not a click id"))?;
        let slug = optional_text("slug", input.slug.as_deref(), 64)?;
        if click_id.is_none() && slug.is_none() {
            return Err(ValidationError::new("slug", "name the referral: slug or clickId").into());
        }
        let mut tx = self.store().write().await?;
        // The referral names the organization: slugs are unique across the instance.
        let org = match click_id {
            Some(id) => tx.get_click(id).await?.map(|c| c.org_id),
            None => None,
        };
        let org = match (org, &slug) {
            (Some(org), _) => org,
            (None, Some(slug)) => tx
                .get_affiliate_by_slug(&slug.to_ascii_lowercase())
                .await?
                .map(|a| a.org_id)
                .ok_or(AppError::NotFound("referral"))?,
            (None, None) => return Err(AppError::NotFound("referral")),
        };
        let input = NewConversion {
            org_id: org,
            provider: ConversionProvider::Script,
            // One lead per person and organization.
            external_id: format!("email:{}", email.key()),
            event_id: format!("lead:{}", uuid::Uuid::now_v7()),
            kind: ConversionType::Lead,
            amount: Money::zero(Currency::USD),
            occurred_at: OffsetDateTime::now_utc(),
            referral: Referral {
                slug: slug.map(|s| (s, ConversionSource::Link)),
                click_id: click_id.map(|c| (c, ConversionSource::Link)),
                ..Default::default()
            },
            customer: Customer::new("email", None, Some(email), name),
            refs: ExternalRefs::default(),
        };
        let lead = match self.record_conversion(tx.as_mut(), input, "public").await? {
            Recorded::New(c) => RecordedLead {
                conversion_id: Some(c.id),
                created: true,
                reason: None,
            },
            Recorded::Existing(c) => RecordedLead {
                conversion_id: Some(c.id),
                created: false,
                reason: None,
            },
            Recorded::Unattributed(why) => RecordedLead {
                conversion_id: None,
                created: false,
                reason: Some(why.code()),
            },
        };
        tx.commit().await?;
        Ok(lead)
    }
}
