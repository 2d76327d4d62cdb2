//! The affiliate portal (`/a`): one person, known by their email address, across every
//! organization that has an affiliate record for it. Every portal read starts from the
//! session's address and the organization named in the URL, so a portal session only ever
//! reaches its own person's records; anything else answers NotFound.

mod earnings;
mod home;
mod links;
mod promo;
mod settings;
mod sign_in;

use afflux_domain::{Affiliate, OrgId, Organization};

use crate::{App, AppError, AppResult};

pub use earnings::{EARNINGS_PAGE_SIZE, EarningsPage, PortalConversion};
pub use home::{ActivityChart, CurrencyEarnings, NextPayment, PortalCampaign, PortalHome};
pub use links::{LinkBuilder, PortalLinks, build_link, referral_link};
pub use promo::PortalPromo;
pub use settings::{EmailPrefs, PortalSettings, ProfileInput};
pub use sign_in::{APPROVAL_LINK_TTL, SignInProblem};

/// Who a portal session is: the address and their affiliate record in each organization.
#[derive(Debug, Clone)]
pub struct PortalViewer {
    pub email_key: String,
    /// Oldest record first.
    pub accounts: Vec<PortalAccount>,
}

/// The person's affiliate record in one organization.
#[derive(Debug, Clone)]
pub struct PortalAccount {
    pub org: Organization,
    pub affiliate: Affiliate,
}

impl PortalViewer {
    /// The record in `org`; NotFound when the person has none there.
    pub fn account(&self, org: OrgId) -> AppResult<&PortalAccount> {
        self.accounts
            .iter()
            .find(|a| a.org.id == org)
            .ok_or(AppError::NotFound("organization"))
    }
}

impl App {
    /// The person's records in every organization, read fresh (a record deleted or an address
    /// changed since sign-in takes effect at once).
    async fn portal_accounts(&self, email_key: &str) -> AppResult<Vec<PortalAccount>> {
        let mut tx = self.store().read().await?;
        let mut accounts = Vec::new();
        for affiliate in tx.list_affiliates_by_email(email_key).await? {
            if let Some(org) = tx.get_org(affiliate.org_id).await? {
                accounts.push(PortalAccount { org, affiliate });
            }
        }
        Ok(accounts)
    }
}
