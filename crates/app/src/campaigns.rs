use afflux_domain::{
    AttributionModel, Campaign, CampaignId, CommissionModel, CommissionType, CommissionValue, Currency, Permission,
    PlanTier, Slug, ValidationError, bounded_text, optional_text, web_url,
};
use afflux_store::{Page, Tx};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::campaign_rules::RulesInput;
use crate::{Actor, App, AppError, AppResult, Decimal, audit};

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewCampaign {
    pub name: String,
    /// Permanent once created; derived from the name when omitted.
    pub slug: Option<String>,
    pub destination_url: String,
    pub default_commission_type: CommissionType,
    pub default_commission_value: Decimal,
    /// Currency of Fixed commissions; the organization's home currency when omitted.
    pub currency: Option<String>,
    pub default_commission_model: Option<CommissionModel>,
    pub cookie_window_days: Option<i32>,
    pub attribution_model: Option<AttributionModel>,
    pub auto_approve: Option<bool>,
    pub description: Option<String>,
    pub terms_url: Option<String>,
    /// Tiers, product rates, renewals, hold, minimum payout, two-tier, click budget.
    pub rules: Option<RulesInput>,
}

/// A partial update: absent fields keep their value. The slug cannot change.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CampaignPatch {
    pub name: Option<String>,
    pub destination_url: Option<String>,
    pub default_commission_type: Option<CommissionType>,
    pub default_commission_value: Option<Decimal>,
    pub currency: Option<String>,
    pub default_commission_model: Option<CommissionModel>,
    pub cookie_window_days: Option<i32>,
    pub attribution_model: Option<AttributionModel>,
    pub auto_approve: Option<bool>,
    pub description: Option<String>,
    pub terms_url: Option<String>,
    pub archived: Option<bool>,
    /// Replaces the whole rules document.
    pub rules: Option<RulesInput>,
}

const DESCRIPTION_MAX: usize = 5_000;

fn slug_from_name(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_end_matches('-').chars().take(64).collect();
    if slug.len() < 3 {
        format!("campaign-{}", Slug::generate())
    } else {
        slug
    }
}

impl App {
    pub async fn create_campaign(&self, actor: &Actor, input: NewCampaign) -> AppResult<Campaign> {
        actor.authorize(Permission::ManageCampaigns, true)?;
        let name = bounded_text("name", &input.name, 120)?;
        let slug = match input.slug.as_deref() {
            Some(s) => Slug::parse(s)?,
            None => Slug::parse(&slug_from_name(&name))?,
        };
        let destination_url = web_url("destinationUrl", &input.destination_url)?.to_string();
        let now = OffsetDateTime::now_utc();

        let mut tx = self.store().write().await?;
        tx.lock_org(actor.org_id).await?;
        let org = tx
            .get_org(actor.org_id)
            .await?
            .ok_or(AppError::NotFound("organization"))?;
        let currency = match input.currency.as_deref() {
            Some(c) => Currency::parse(c)?,
            None => org.home_currency,
        };
        let commission = CommissionValue::parse(
            "defaultCommissionValue",
            input.default_commission_type,
            &input.default_commission_value.0,
            currency,
        )?;
        let campaign = Campaign {
            id: CampaignId::new(),
            org_id: actor.org_id,
            name,
            slug,
            destination_url,
            commission,
            currency,
            commission_model: input.default_commission_model.unwrap_or(CommissionModel::Cps),
            cookie_window_days: Campaign::validate_cookie_window(
                input.cookie_window_days.unwrap_or(Campaign::DEFAULT_COOKIE_WINDOW_DAYS),
            )?,
            attribution_model: input.attribution_model.unwrap_or(AttributionModel::LastTouch),
            auto_approve: input.auto_approve.unwrap_or(false),
            description: optional_text("description", input.description.as_deref(), DESCRIPTION_MAX)?,
            terms_url: optional_url("termsUrl", input.terms_url.as_deref())?,
            archived: false,
            rules: input
                .rules
                .as_ref()
                .map(|r| r.to_rules(currency))
                .transpose()?
                .unwrap_or_default(),
            created_at: now,
            updated_at: now,
        };
        self.check_campaign_allowance(tx.as_mut(), actor).await?;
        tx.insert_campaign(&campaign).await.map_err(|e| {
            if e.is_conflict_on("slug_key") {
                AppError::conflict(
                    "slug_taken",
                    Some("slug"),
                    "another campaign of this organization has this slug",
                )
            } else {
                e.into()
            }
        })?;
        audit::record(
            tx.as_mut(),
            actor.org_id,
            &actor.audit_name(),
            "campaign.created",
            ("campaign", &campaign.id),
            None::<&()>,
            Some(&campaign),
        )
        .await?;
        tx.commit().await?;
        Ok(campaign)
    }

    /// Starter allows one live campaign; higher tiers are unlimited.
    async fn check_campaign_allowance(&self, tx: &mut dyn Tx, actor: &Actor) -> AppResult<()> {
        let org = tx
            .get_org(actor.org_id)
            .await?
            .ok_or(AppError::NotFound("organization"))?;
        if let Some(max) = org.max_active_campaigns()
            && tx.count_active_campaigns(actor.org_id).await? as u64 >= max
        {
            return Err(AppError::PlanRequired {
                required: PlanTier::Growth,
                status: org.subscription_status,
            });
        }
        Ok(())
    }

    pub async fn list_campaigns(&self, actor: &Actor, include_archived: bool, page: Page) -> AppResult<Vec<Campaign>> {
        actor.authorize(Permission::ViewData, false)?;
        Ok(self
            .store()
            .read()
            .await?
            .list_campaigns(actor.org_id, include_archived, page)
            .await?)
    }

    pub async fn campaign(&self, actor: &Actor, id: CampaignId) -> AppResult<Campaign> {
        actor.authorize(Permission::ViewData, false)?;
        self.store()
            .read()
            .await?
            .get_campaign(actor.org_id, id)
            .await?
            .ok_or(AppError::NotFound("program"))
    }

    pub async fn update_campaign(&self, actor: &Actor, id: CampaignId, patch: CampaignPatch) -> AppResult<Campaign> {
        actor.authorize(Permission::ManageCampaigns, true)?;
        let mut tx = self.store().write().await?;
        tx.lock_org(actor.org_id).await?;
        let before = tx
            .get_campaign(actor.org_id, id)
            .await?
            .ok_or(AppError::NotFound("program"))?;
        let mut c = before.clone();
        if let Some(name) = &patch.name {
            c.name = bounded_text("name", name, 120)?;
        }
        if let Some(url) = &patch.destination_url {
            c.destination_url = web_url("destinationUrl", url)?.to_string();
        }
        if let Some(currency) = &patch.currency {
            c.currency = Currency::parse(currency)?;
        }
        match (patch.default_commission_type, &patch.default_commission_value) {
            (None, None) => {}
            (kind, Some(value)) => {
                c.commission = CommissionValue::parse(
                    "defaultCommissionValue",
                    kind.unwrap_or(c.commission.kind),
                    &value.0,
                    c.currency,
                )?;
            }
            (Some(kind), None) if kind != c.commission.kind => {
                return Err(ValidationError::new(
                    "defaultCommissionValue",
                    "give the new value when changing the commission type",
                )
                .into());
            }
            (Some(_), None) => {}
        }
        if let Some(model) = patch.default_commission_model {
            c.commission_model = model;
        }
        if let Some(days) = patch.cookie_window_days {
            c.cookie_window_days = Campaign::validate_cookie_window(days)?;
        }
        if let Some(model) = patch.attribution_model {
            c.attribution_model = model;
        }
        if let Some(auto) = patch.auto_approve {
            c.auto_approve = auto;
        }
        if let Some(d) = &patch.description {
            c.description = optional_text("description", Some(d), DESCRIPTION_MAX)?;
        }
        if let Some(t) = &patch.terms_url {
            c.terms_url = optional_url("termsUrl", Some(t))?;
        }
        if let Some(rules) = &patch.rules {
            c.rules = rules.to_rules(c.currency)?;
        }
        if let Some(archived) = patch.archived {
            if before.archived && !archived {
                self.check_campaign_allowance(tx.as_mut(), actor).await?;
            }
            c.archived = archived;
        }
        if c == before {
            return Ok(before);
        }
        c.updated_at = OffsetDateTime::now_utc();
        tx.update_campaign(&c).await?;
        let action = match (before.archived, c.archived) {
            (false, true) => "campaign.archived",
            (true, false) => "campaign.unarchived",
            _ => "campaign.updated",
        };
        audit::record(
            tx.as_mut(),
            actor.org_id,
            &actor.audit_name(),
            action,
            ("campaign", &id),
            Some(&before),
            Some(&c),
        )
        .await?;
        tx.commit().await?;
        self.links_changed();
        Ok(c)
    }

    pub async fn archive_campaign(&self, actor: &Actor, id: CampaignId) -> AppResult<Campaign> {
        self.update_campaign(
            actor,
            id,
            CampaignPatch {
                archived: Some(true),
                ..Default::default()
            },
        )
        .await
    }
}

fn optional_url(field: &str, value: Option<&str>) -> Result<Option<String>, ValidationError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => web_url(field, v).map(|u| Some(u.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::slug_from_name;

    #[test]
    fn slugs_from_names() {
        assert_eq!(slug_from_name("Pro Plan — 2026!"), "pro-plan-2026");
        assert!(slug_from_name("é").starts_with("campaign-"));
    }
}
