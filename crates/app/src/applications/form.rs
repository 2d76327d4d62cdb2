//! The brand's edits to a campaign's application form.

use afflux_domain::{ApplicationForm, Campaign, CampaignId, FieldInput, Permission};
use afflux_store::Tx;
use time::OffsetDateTime;

use crate::{Actor, App, AppError, AppResult, audit};

/// One edit of the form builder.
#[derive(Debug, Clone)]
pub enum FormEdit {
    Add(FieldInput),
    Update {
        key: String,
        field: FieldInput,
    },
    Remove {
        key: String,
    },
    Move {
        key: String,
        up: bool,
    },
    /// Back to the default fields.
    Reset,
}

impl App {
    /// The campaign's form, or the default one.
    pub(crate) async fn form_of(&self, tx: &mut dyn Tx, campaign: &Campaign) -> AppResult<ApplicationForm> {
        Ok(tx
            .get_application_form(campaign.org_id, campaign.id)
            .await?
            .unwrap_or_default())
    }

    pub async fn application_form(
        &self,
        actor: &Actor,
        campaign: CampaignId,
    ) -> AppResult<(Campaign, ApplicationForm)> {
        actor.authorize(Permission::ViewData, false)?;
        let mut tx = self.store().read().await?;
        let campaign = tx
            .get_campaign(actor.org_id, campaign)
            .await?
            .ok_or(AppError::NotFound("program"))?;
        let form = self.form_of(tx.as_mut(), &campaign).await?;
        Ok((campaign, form))
    }

    /// Applies one edit; the definition is checked whole (unique keys, choices for choice
    /// fields, the email field present and required) and a refused edit writes nothing.
    pub async fn edit_application_form(
        &self,
        actor: &Actor,
        campaign: CampaignId,
        edit: FormEdit,
    ) -> AppResult<ApplicationForm> {
        actor.authorize(Permission::ManageCampaigns, true)?;
        let mut tx = self.store().write().await?;
        let campaign = tx
            .get_campaign(actor.org_id, campaign)
            .await?
            .ok_or(AppError::NotFound("program"))?;
        let before = self.form_of(tx.as_mut(), &campaign).await?;
        let mut after = before.clone();
        match &edit {
            FormEdit::Add(field) => after.add(field).map(drop)?,
            FormEdit::Update { key, field } => after.update(key, field)?,
            FormEdit::Remove { key } => after.remove(key)?,
            FormEdit::Move { key, up } => after.shift(key, *up)?,
            FormEdit::Reset => after = ApplicationForm::default(),
        }
        let after = after.validated()?;
        tx.put_application_form(actor.org_id, campaign.id, &after, OffsetDateTime::now_utc())
            .await?;
        audit::record(
            tx.as_mut(),
            actor.org_id,
            &actor.audit_name(),
            "program.application_form_updated",
            ("program", &campaign.id),
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}
