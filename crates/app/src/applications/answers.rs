//! An affiliate's application answers, as the brand reads them on the affiliate's page.

use afflux_domain::{Affiliate, AffiliateId, Answers, ApplicationForm, Campaign, Permission};
use time::macros::format_description;

use crate::{Actor, App, AppError, AppResult};

/// One membership's application.
#[derive(Debug, Clone)]
pub struct ApplicationAnswers {
    pub campaign: Campaign,
    /// `YYYY-MM-DD`.
    pub applied_on: String,
    /// None when the membership did not come from a form (invited or imported).
    pub answers: Option<Answers>,
    pub form: ApplicationForm,
}

impl ApplicationAnswers {
    /// (label, answer) in the form's order; answers to fields removed since keep their key.
    pub fn labelled(&self) -> Vec<(String, String)> {
        let Some(answers) = &self.answers else {
            return Vec::new();
        };
        let mut out: Vec<(String, String)> = self
            .form
            .fields
            .iter()
            .filter_map(|f| answers.get(&f.key).map(|a| (f.label.clone(), a.display())))
            .collect();
        for (key, a) in answers {
            if self.form.field(key).is_none() {
                out.push((key.clone(), a.display()));
            }
        }
        out
    }
}

#[derive(Debug, Clone)]
pub struct AffiliateApplications {
    pub affiliate: Affiliate,
    pub applications: Vec<ApplicationAnswers>,
}

impl App {
    pub async fn affiliate_applications(&self, actor: &Actor, id: AffiliateId) -> AppResult<AffiliateApplications> {
        actor.authorize(Permission::ViewData, false)?;
        let mut tx = self.store().read().await?;
        let affiliate = tx
            .get_affiliate(actor.org_id, id)
            .await?
            .ok_or(AppError::NotFound("affiliate"))?;
        let mut applications = Vec::new();
        for m in tx.list_memberships(actor.org_id, id).await? {
            let Some(campaign) = tx.get_campaign(actor.org_id, m.campaign_id).await? else {
                continue;
            };
            let form = self.form_of(tx.as_mut(), &campaign).await?;
            applications.push(ApplicationAnswers {
                applied_on: m
                    .created_at
                    .format(format_description!("[year]-[month]-[day]"))
                    .unwrap_or_default(),
                answers: tx.get_application_answers(actor.org_id, m.id).await?,
                campaign,
                form,
            });
        }
        Ok(AffiliateApplications {
            affiliate,
            applications,
        })
    }
}
