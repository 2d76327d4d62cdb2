//! Reading conversions: the sales list and one sale, within the actor's organization.

use afflux_domain::{Conversion, ConversionId, Permission};
use afflux_store::{ConversionFilter, Page};

use crate::{Actor, App, AppError, AppResult};

impl App {
    /// The organization's conversions, newest first.
    pub async fn list_conversions(
        &self,
        actor: &Actor,
        filter: &ConversionFilter,
        page: Page,
    ) -> AppResult<Vec<Conversion>> {
        actor.authorize(Permission::ViewData, false)?;
        let mut tx = self.store().read().await?;
        Ok(tx.list_conversions(actor.org_id, filter, page).await?)
    }

    pub async fn conversion(&self, actor: &Actor, id: ConversionId) -> AppResult<Conversion> {
        actor.authorize(Permission::ViewData, false)?;
        let mut tx = self.store().read().await?;
        tx.get_conversion(actor.org_id, id)
            .await?
            .ok_or(AppError::NotFound("conversion"))
    }
}
