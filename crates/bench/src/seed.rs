//! One organization, campaign and approved affiliate, made through the verbs like any other.

use afflux_app::{Actor, Application, Decimal, NewCampaign, NewOrg, StatusChange};
use afflux_domain::{AffiliateId, CampaignId, CommissionType, OrgId, StatusAction};

pub const SLUG: &str = "bench-aff";
pub const DESTINATION: &str = "https://shop.example/pricing";

pub struct Seeded {
    pub org: OrgId,
    pub campaign: CampaignId,
    pub affiliate: AffiliateId,
}

pub async fn seed(app: &afflux_app::App) -> anyhow::Result<Seeded> {
    let created = app
        .create_org(NewOrg {
            name: "Bench".into(),
            owner_email: "owner@bench.example".into(),
            plan: None,
            status: None,
        })
        .await?;
    let actor = Actor::operator(created.org.id);
    let campaign = app
        .create_campaign(
            &actor,
            NewCampaign {
                name: "Bench".into(),
                slug: Some("bench".into()),
                destination_url: DESTINATION.into(),
                default_commission_type: CommissionType::Percentage,
                default_commission_value: Decimal("20".into()),
                currency: None,
                default_commission_model: None,
                cookie_window_days: None,
                attribution_model: None,
                auto_approve: None,
                description: None,
                terms_url: None,
                rules: None,
            },
        )
        .await?;
    let (affiliate, _) = app
        .create_application(
            &actor,
            campaign.id,
            Application {
                email: "aff@bench.example".into(),
                name: Some("Bench Affiliate".into()),
                paypal_email: None,
                slug: Some(SLUG.into()),
                recruiter: None,
            },
        )
        .await?;
    let change = StatusChange {
        program_id: Some(campaign.id),
        ..StatusChange::default()
    };
    app.change_affiliate_status(&actor, affiliate.id, StatusAction::Approve, change)
        .await?;
    Ok(Seeded {
        org: created.org.id,
        campaign: campaign.id,
        affiliate: affiliate.id,
    })
}

/// Clicks counted for the seeded affiliate.
pub async fn clicks(store: &dyn afflux_store::Store, seeded: &Seeded) -> anyhow::Result<i64> {
    Ok(store
        .read()
        .await?
        .click_count(seeded.org, seeded.affiliate, None)
        .await?)
}
