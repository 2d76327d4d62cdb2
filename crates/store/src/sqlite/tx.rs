//! The [`Tx`] operations, each delegated to the module holding its SQL.

use super::applications;
use super::imports;
use crate::RevertCounts;
use afflux_domain::TaxFormStatus;
use afflux_domain::{
    Affiliate, AffiliateId, ApiKeyId, Campaign, CampaignId, ClickId, InviteId, JobId, Membership, OrgId, Organization,
    PlanTier, Role, Slug, SubscriptionStatus, UserId,
};
use afflux_domain::{Answers, ApplicationForm, MembershipId, OrgProfile, WelcomeSequence};
use afflux_domain::{
    Commission, CommissionId, Currency, FxRate, LedgerEntry, LedgerEntryId, PayoutItem, PayoutItemId, PayoutRun,
    PayoutRunId,
};
use afflux_domain::{Conversion, ConversionId, ConversionProvider, Coupon, CouponId};
use afflux_domain::{Import, ImportId};
use afflux_domain::{Integration, IntegrationId, SyncStatus};
use async_trait::async_trait;
use serde_json::Value;
use time::OffsetDateTime;

use super::partner_emails;
use super::portal;
use super::promo;
use super::reports;
use super::tax;
use super::{SqliteTx, affiliates, audit, auth, campaigns, clicks, jobs, orgs, suppressions};
use super::{audit_batch, conversions, coupons, crm, customers, events, secrets, targets};
use super::{commissions, fx, payouts};
use crate::{ActivityDay, EarningsTotal, PortalPrefs, PortalSession, PortalSignIn};
use crate::{
    AffiliateFilter, AffiliateRow, ApiKey, AuditEntry, Click, Invite, Job, JobCounts, MemberView, NewJob, Page,
    Session, StoreResult, TeamMember, Tx, User,
};
use crate::{AssignedCommissions, Balance, CommissionFilter, PayoutItemFilter, TierStats};
use crate::{AttributionTarget, ConversionFilter, CustomerBinding, OrgSecret, PaymentRef, ProcessedEvent};
use crate::{CrmSync, CrmSyncFilter, CrmSyncRow};
use crate::{TaxDocument, TaxForm};
use afflux_domain::PayableTotal;
use afflux_domain::{PromoAsset, PromoAssetId, PromoMove};

#[async_trait]
impl Tx for SqliteTx {
    async fn commit(self: Box<Self>) -> StoreResult<()> {
        Ok(self.tx.commit().await?)
    }

    async fn get_setting(&mut self, key: &str) -> StoreResult<Option<String>> {
        orgs::get_setting(&mut self.tx, key).await
    }
    async fn init_setting(&mut self, key: &str, value: &str) -> StoreResult<String> {
        orgs::init_setting(&mut self.tx, key, value).await
    }
    async fn delete_setting(&mut self, key: &str) -> StoreResult<bool> {
        orgs::delete_setting(&mut self.tx, key).await
    }

    async fn insert_org(&mut self, org: &Organization) -> StoreResult<()> {
        orgs::insert(&mut self.tx, org).await
    }
    async fn get_org(&mut self, id: OrgId) -> StoreResult<Option<Organization>> {
        orgs::get(&mut self.tx, id).await
    }
    async fn set_org_plan(&mut self, id: OrgId, plan: PlanTier, status: SubscriptionStatus) -> StoreResult<bool> {
        orgs::set_plan(&mut self.tx, id, plan, status).await
    }
    async fn update_org_profile(&mut self, org: &Organization) -> StoreResult<bool> {
        orgs::update_profile(&mut self.tx, org).await
    }
    async fn count_orgs(&mut self) -> StoreResult<i64> {
        orgs::count(&mut self.tx).await
    }
    async fn lock_org(&mut self, _id: OrgId) -> StoreResult<()> {
        // Write transactions begin IMMEDIATE: they are already serialized.
        Ok(())
    }
    async fn lock_instance(&mut self) -> StoreResult<()> {
        Ok(())
    }

    async fn insert_user(&mut self, user: &User) -> StoreResult<()> {
        auth::insert_user(&mut self.tx, user).await
    }
    async fn get_user(&mut self, id: UserId) -> StoreResult<Option<User>> {
        auth::get_user(&mut self.tx, id).await
    }
    async fn get_user_by_email(&mut self, email_key: &str) -> StoreResult<Option<User>> {
        auth::get_user_by_email(&mut self.tx, email_key).await
    }
    async fn set_user_password(&mut self, id: UserId, password_hash: &str) -> StoreResult<bool> {
        auth::set_user_password(&mut self.tx, id, password_hash).await
    }
    async fn insert_member(&mut self, member: &TeamMember) -> StoreResult<()> {
        auth::insert_member(&mut self.tx, member).await
    }
    async fn get_member(&mut self, org: OrgId, user: UserId) -> StoreResult<Option<TeamMember>> {
        auth::get_member(&mut self.tx, org, user).await
    }
    async fn list_members(&mut self, org: OrgId) -> StoreResult<Vec<MemberView>> {
        auth::list_members(&mut self.tx, org).await
    }
    async fn list_user_orgs(&mut self, user: UserId) -> StoreResult<Vec<(Organization, Role)>> {
        orgs::list_for_user(&mut self.tx, user).await
    }
    async fn set_member_role(&mut self, org: OrgId, user: UserId, role: Role) -> StoreResult<bool> {
        auth::set_member_role(&mut self.tx, org, user, role).await
    }
    async fn delete_member(&mut self, org: OrgId, user: UserId) -> StoreResult<bool> {
        auth::delete_member(&mut self.tx, org, user).await
    }
    async fn count_members(&mut self, org: OrgId, role: Option<Role>) -> StoreResult<i64> {
        auth::count_members(&mut self.tx, org, role).await
    }

    async fn insert_session(&mut self, session: &Session) -> StoreResult<()> {
        auth::insert_session(&mut self.tx, session).await
    }
    async fn get_session(&mut self, token_hash: &[u8]) -> StoreResult<Option<Session>> {
        auth::get_session(&mut self.tx, token_hash).await
    }
    async fn delete_session(&mut self, token_hash: &[u8]) -> StoreResult<bool> {
        auth::delete_session(&mut self.tx, token_hash).await
    }
    async fn delete_expired_sessions(&mut self, now: OffsetDateTime) -> StoreResult<u64> {
        auth::delete_expired_sessions(&mut self.tx, now).await
    }

    async fn insert_invite(&mut self, invite: &Invite) -> StoreResult<()> {
        auth::insert_invite(&mut self.tx, invite).await
    }
    async fn get_invite(&mut self, org: OrgId, id: InviteId) -> StoreResult<Option<Invite>> {
        auth::get_invite(&mut self.tx, org, id).await
    }
    async fn get_invite_by_token(&mut self, token_hash: &[u8]) -> StoreResult<Option<Invite>> {
        auth::get_invite_by_token(&mut self.tx, token_hash).await
    }
    async fn list_open_invites(&mut self, org: OrgId, now: OffsetDateTime) -> StoreResult<Vec<Invite>> {
        auth::list_open_invites(&mut self.tx, org, now).await
    }
    async fn accept_invite(&mut self, id: InviteId, at: OffsetDateTime) -> StoreResult<bool> {
        auth::accept_invite(&mut self.tx, id, at).await
    }
    async fn delete_invite(&mut self, org: OrgId, id: InviteId) -> StoreResult<bool> {
        auth::delete_invite(&mut self.tx, org, id).await
    }

    async fn insert_api_key(&mut self, key: &ApiKey) -> StoreResult<()> {
        auth::insert_api_key(&mut self.tx, key).await
    }
    async fn get_api_key(&mut self, org: OrgId, id: ApiKeyId) -> StoreResult<Option<ApiKey>> {
        auth::get_api_key(&mut self.tx, org, id).await
    }
    async fn get_api_key_by_hash(&mut self, token_hash: &[u8]) -> StoreResult<Option<ApiKey>> {
        auth::get_api_key_by_hash(&mut self.tx, token_hash).await
    }
    async fn list_api_keys(&mut self, org: OrgId) -> StoreResult<Vec<ApiKey>> {
        auth::list_api_keys(&mut self.tx, org).await
    }
    async fn revoke_api_key(&mut self, org: OrgId, id: ApiKeyId, at: OffsetDateTime) -> StoreResult<bool> {
        auth::revoke_api_key(&mut self.tx, org, id, at).await
    }

    async fn insert_campaign(&mut self, campaign: &Campaign) -> StoreResult<()> {
        campaigns::insert(&mut self.tx, campaign).await
    }
    async fn get_campaign(&mut self, org: OrgId, id: CampaignId) -> StoreResult<Option<Campaign>> {
        campaigns::get(&mut self.tx, org, id).await
    }
    async fn get_campaign_by_slug(&mut self, org: OrgId, slug_key: &str) -> StoreResult<Option<Campaign>> {
        campaigns::get_by_slug(&mut self.tx, org, slug_key).await
    }
    async fn list_campaigns(&mut self, org: OrgId, include_archived: bool, page: Page) -> StoreResult<Vec<Campaign>> {
        campaigns::list(&mut self.tx, org, include_archived, page).await
    }
    async fn update_campaign(&mut self, campaign: &Campaign) -> StoreResult<bool> {
        campaigns::update(&mut self.tx, campaign).await
    }
    async fn count_active_campaigns(&mut self, org: OrgId) -> StoreResult<i64> {
        campaigns::count_active(&mut self.tx, org).await
    }

    async fn insert_affiliate(&mut self, affiliate: &Affiliate) -> StoreResult<()> {
        affiliates::insert(&mut self.tx, affiliate).await
    }
    async fn get_affiliate(&mut self, org: OrgId, id: AffiliateId) -> StoreResult<Option<Affiliate>> {
        affiliates::get(&mut self.tx, org, id).await
    }
    async fn get_affiliate_by_email(&mut self, org: OrgId, email_key: &str) -> StoreResult<Option<Affiliate>> {
        affiliates::get_by_email(&mut self.tx, org, email_key).await
    }
    async fn get_affiliate_by_slug(&mut self, slug_key: &str) -> StoreResult<Option<Affiliate>> {
        affiliates::get_by_slug(&mut self.tx, slug_key).await
    }
    async fn set_affiliate_slug(&mut self, org: OrgId, id: AffiliateId, slug: &Slug) -> StoreResult<bool> {
        affiliates::set_slug(&mut self.tx, org, id, slug).await
    }
    async fn insert_membership(&mut self, membership: &Membership) -> StoreResult<()> {
        affiliates::insert_membership(&mut self.tx, membership).await
    }
    async fn get_membership(
        &mut self,
        org: OrgId,
        affiliate: AffiliateId,
        campaign: CampaignId,
    ) -> StoreResult<Option<Membership>> {
        affiliates::get_membership(&mut self.tx, org, affiliate, campaign).await
    }
    async fn list_memberships(&mut self, org: OrgId, affiliate: AffiliateId) -> StoreResult<Vec<Membership>> {
        affiliates::list_memberships(&mut self.tx, org, affiliate).await
    }
    async fn update_membership(&mut self, membership: &Membership) -> StoreResult<bool> {
        affiliates::update_membership(&mut self.tx, membership).await
    }
    async fn count_affiliates(&mut self, org: OrgId, filter: &AffiliateFilter) -> StoreResult<i64> {
        affiliates::count(&mut self.tx, org, filter).await
    }
    async fn list_affiliates(
        &mut self,
        org: OrgId,
        filter: &AffiliateFilter,
        page: Page,
    ) -> StoreResult<Vec<AffiliateRow>> {
        affiliates::list(&mut self.tx, org, filter, page).await
    }

    async fn insert_audit(&mut self, entry: &AuditEntry) -> StoreResult<()> {
        audit::insert(&mut self.tx, entry).await
    }
    async fn list_audit(&mut self, org: OrgId, page: Page) -> StoreResult<Vec<AuditEntry>> {
        audit::list(&mut self.tx, org, page).await
    }

    async fn enqueue_job(&mut self, job: &NewJob) -> StoreResult<bool> {
        jobs::enqueue(&mut self.tx, job).await
    }
    async fn claim_jobs(
        &mut self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: i64,
    ) -> StoreResult<Vec<Job>> {
        jobs::claim(&mut self.tx, now, lease_until, limit).await
    }
    async fn complete_job(&mut self, id: JobId) -> StoreResult<bool> {
        jobs::complete(&mut self.tx, id).await
    }
    async fn retry_job(&mut self, id: JobId, run_at: OffsetDateTime, error: &str) -> StoreResult<bool> {
        jobs::retry(&mut self.tx, id, run_at, error).await
    }
    async fn bury_job(&mut self, id: JobId, error: &str) -> StoreResult<bool> {
        jobs::bury(&mut self.tx, id, error).await
    }
    async fn get_job(&mut self, id: JobId) -> StoreResult<Option<Job>> {
        jobs::get(&mut self.tx, id).await
    }
    async fn job_counts(&mut self) -> StoreResult<JobCounts> {
        jobs::counts(&mut self.tx).await
    }
    async fn list_dead_jobs(&mut self, limit: i64) -> StoreResult<Vec<Job>> {
        jobs::list_dead(&mut self.tx, limit).await
    }
    async fn get_job_by_dedupe_key(&mut self, dedupe_key: &str) -> StoreResult<Option<Job>> {
        jobs::get_by_dedupe_key(&mut self.tx, dedupe_key).await
    }
    async fn reschedule_job(&mut self, dedupe_key: &str, run_at: OffsetDateTime) -> StoreResult<bool> {
        jobs::reschedule(&mut self.tx, dedupe_key, run_at).await
    }
    async fn defer_job(&mut self, id: JobId, run_at: OffsetDateTime, error: &str) -> StoreResult<bool> {
        jobs::defer(&mut self.tx, id, run_at, error).await
    }
    async fn cancel_jobs(&mut self, dedupe_prefix: &str) -> StoreResult<u64> {
        jobs::cancel(&mut self.tx, dedupe_prefix).await
    }

    async fn get_click(&mut self, id: ClickId) -> StoreResult<Option<Click>> {
        clicks::get(&mut self.tx, id).await
    }
    async fn click_count(
        &mut self,
        org: OrgId,
        affiliate: AffiliateId,
        campaign: Option<CampaignId>,
    ) -> StoreResult<i64> {
        clicks::count(&mut self.tx, org, affiliate, campaign).await
    }

    async fn suppress_email(&mut self, email_key: &str, reason: &str, at: OffsetDateTime) -> StoreResult<()> {
        suppressions::suppress(&mut self.tx, email_key, reason, at).await
    }
    async fn is_suppressed(&mut self, email_key: &str) -> StoreResult<bool> {
        suppressions::is_suppressed(&mut self.tx, email_key).await
    }

    async fn claim_event(&mut self, event: &ProcessedEvent) -> StoreResult<bool> {
        events::claim(&mut self.tx, event).await
    }
    async fn get_event(&mut self, org: OrgId, provider: &str, event_id: &str) -> StoreResult<Option<ProcessedEvent>> {
        events::get(&mut self.tx, org, provider, event_id).await
    }
    async fn set_event_result(
        &mut self,
        org: OrgId,
        provider: &str,
        event_id: &str,
        result: &Value,
    ) -> StoreResult<bool> {
        events::set_result(&mut self.tx, org, provider, event_id, result).await
    }
    async fn insert_conversion(&mut self, conversion: &Conversion) -> StoreResult<bool> {
        conversions::insert(&mut self.tx, conversion).await
    }
    async fn get_conversion(&mut self, org: OrgId, id: ConversionId) -> StoreResult<Option<Conversion>> {
        conversions::get(&mut self.tx, org, id).await
    }
    async fn get_conversion_by_external_id(
        &mut self,
        org: OrgId,
        provider: ConversionProvider,
        external_id: &str,
    ) -> StoreResult<Option<Conversion>> {
        conversions::get_by_external_id(&mut self.tx, org, provider, external_id).await
    }
    async fn find_conversion_by_payment(
        &mut self,
        org: OrgId,
        payment: &PaymentRef,
    ) -> StoreResult<Option<Conversion>> {
        conversions::find_by_payment(&mut self.tx, org, payment).await
    }
    async fn list_conversions(
        &mut self,
        org: OrgId,
        filter: &ConversionFilter,
        page: Page,
    ) -> StoreResult<Vec<Conversion>> {
        conversions::list(&mut self.tx, org, filter, page).await
    }
    async fn update_conversion(&mut self, conversion: &Conversion) -> StoreResult<bool> {
        conversions::update(&mut self.tx, conversion).await
    }
    async fn bind_customer(&mut self, binding: &CustomerBinding) -> StoreResult<CustomerBinding> {
        customers::bind(&mut self.tx, binding).await
    }
    async fn get_customer_binding(&mut self, org: OrgId, customer_key: &str) -> StoreResult<Option<CustomerBinding>> {
        customers::get(&mut self.tx, org, customer_key).await
    }

    async fn claim_events(&mut self, events: &[ProcessedEvent]) -> StoreResult<Vec<bool>> {
        events::claim_many(&mut self.tx, events).await
    }
    async fn finish_events(&mut self, events: &[ProcessedEvent]) -> StoreResult<()> {
        events::finish_many(&mut self.tx, events).await
    }
    async fn insert_conversions(&mut self, conversions: &[Conversion]) -> StoreResult<Vec<bool>> {
        conversions::insert_many(&mut self.tx, conversions).await
    }
    async fn get_customer_bindings(&mut self, org: OrgId, keys: &[String]) -> StoreResult<Vec<CustomerBinding>> {
        customers::get_many(&mut self.tx, org, keys).await
    }
    async fn bind_customers(&mut self, bindings: &[CustomerBinding]) -> StoreResult<()> {
        customers::bind_many(&mut self.tx, bindings).await
    }
    async fn attribution_targets_by_slug(&mut self, slug_key: &str) -> StoreResult<Vec<AttributionTarget>> {
        targets::by_slug(&mut self.tx, slug_key).await
    }
    async fn attribution_target(
        &mut self,
        org: OrgId,
        affiliate: AffiliateId,
        campaign: CampaignId,
    ) -> StoreResult<Option<AttributionTarget>> {
        targets::get(&mut self.tx, org, affiliate, campaign).await
    }
    async fn insert_audits(&mut self, entries: &[AuditEntry]) -> StoreResult<()> {
        audit_batch::insert_many(&mut self.tx, entries).await
    }

    async fn insert_coupon(&mut self, coupon: &Coupon) -> StoreResult<()> {
        coupons::insert(&mut self.tx, coupon).await
    }
    async fn get_coupon(&mut self, org: OrgId, id: CouponId) -> StoreResult<Option<Coupon>> {
        coupons::get(&mut self.tx, org, id).await
    }
    async fn get_coupon_by_code(&mut self, org: OrgId, code_key: &str) -> StoreResult<Option<Coupon>> {
        coupons::get_by_code(&mut self.tx, org, code_key).await
    }
    async fn get_coupon_by_promotion_code(
        &mut self,
        org: OrgId,
        promotion_code_id: &str,
    ) -> StoreResult<Option<Coupon>> {
        coupons::get_by_promotion_code(&mut self.tx, org, promotion_code_id).await
    }
    async fn get_coupon_by_stripe_coupon(&mut self, org: OrgId, stripe_coupon_id: &str) -> StoreResult<Option<Coupon>> {
        coupons::get_by_stripe_coupon(&mut self.tx, org, stripe_coupon_id).await
    }
    async fn list_coupons(
        &mut self,
        org: OrgId,
        campaign: Option<CampaignId>,
        affiliate: Option<AffiliateId>,
    ) -> StoreResult<Vec<Coupon>> {
        coupons::list(&mut self.tx, org, campaign, affiliate).await
    }

    async fn put_org_secret(&mut self, secret: &OrgSecret) -> StoreResult<()> {
        secrets::put(&mut self.tx, secret).await
    }
    async fn get_org_secret(&mut self, org: OrgId, name: &str) -> StoreResult<Option<OrgSecret>> {
        secrets::get(&mut self.tx, org, name).await
    }
    async fn delete_org_secret(&mut self, org: OrgId, name: &str) -> StoreResult<bool> {
        secrets::delete(&mut self.tx, org, name).await
    }

    async fn insert_integration(&mut self, integration: &Integration) -> StoreResult<()> {
        crm::insert_integration(&mut self.tx, integration).await
    }
    async fn get_integration(&mut self, org: OrgId, id: IntegrationId) -> StoreResult<Option<Integration>> {
        crm::get_integration(&mut self.tx, org, id).await
    }
    async fn list_integrations(&mut self, org: OrgId) -> StoreResult<Vec<Integration>> {
        crm::list_integrations(&mut self.tx, org).await
    }
    async fn update_integration(&mut self, integration: &Integration) -> StoreResult<bool> {
        crm::update_integration(&mut self.tx, integration).await
    }
    async fn delete_integration(&mut self, org: OrgId, id: IntegrationId) -> StoreResult<bool> {
        crm::delete_integration(&mut self.tx, org, id).await
    }

    async fn request_crm_sync(
        &mut self,
        org: OrgId,
        integration: IntegrationId,
        affiliate: AffiliateId,
        at: OffsetDateTime,
    ) -> StoreResult<CrmSync> {
        crm::request_sync(&mut self.tx, org, integration, affiliate, at).await
    }
    async fn get_crm_sync(
        &mut self,
        org: OrgId,
        integration: IntegrationId,
        affiliate: AffiliateId,
    ) -> StoreResult<Option<CrmSync>> {
        crm::get_sync(&mut self.tx, org, integration, affiliate).await
    }
    async fn update_crm_sync(&mut self, sync: &CrmSync) -> StoreResult<bool> {
        crm::update_sync(&mut self.tx, sync).await
    }
    async fn list_crm_syncs(&mut self, org: OrgId, filter: &CrmSyncFilter, page: Page) -> StoreResult<Vec<CrmSyncRow>> {
        crm::list_syncs(&mut self.tx, org, filter, page).await
    }
    async fn count_crm_syncs(&mut self, org: OrgId, integration: IntegrationId) -> StoreResult<Vec<(SyncStatus, i64)>> {
        crm::count_syncs(&mut self.tx, org, integration).await
    }

    async fn insert_commissions(&mut self, commissions: &[Commission]) -> StoreResult<()> {
        commissions::insert_many(&mut self.tx, commissions).await
    }
    async fn get_commission(&mut self, org: OrgId, id: CommissionId) -> StoreResult<Option<Commission>> {
        commissions::get(&mut self.tx, org, id).await
    }
    async fn list_commissions(
        &mut self,
        org: OrgId,
        filter: &CommissionFilter,
        page: Page,
    ) -> StoreResult<Vec<Commission>> {
        commissions::list(&mut self.tx, org, filter, page).await
    }
    async fn update_commission(&mut self, commission: &Commission) -> StoreResult<bool> {
        commissions::update(&mut self.tx, commission).await
    }
    async fn approve_due_commissions(&mut self, now: OffsetDateTime, limit: i64) -> StoreResult<Vec<Commission>> {
        commissions::approve_due(&mut self.tx, now, limit).await
    }
    async fn tier_stats(&mut self, org: OrgId, affiliate: AffiliateId, campaign: CampaignId) -> StoreResult<TierStats> {
        commissions::tier_stats(&mut self.tx, org, affiliate, campaign).await
    }

    async fn insert_ledger_entries(&mut self, entries: &[LedgerEntry]) -> StoreResult<()> {
        commissions::insert_ledger(&mut self.tx, entries).await
    }
    async fn list_ledger(
        &mut self,
        org: OrgId,
        affiliate: Option<AffiliateId>,
        page: Page,
    ) -> StoreResult<Vec<LedgerEntry>> {
        commissions::list_ledger(&mut self.tx, org, affiliate, page).await
    }
    async fn balances(&mut self, org: OrgId, affiliate: Option<AffiliateId>) -> StoreResult<Vec<Balance>> {
        commissions::balances(&mut self.tx, org, affiliate).await
    }
    async fn open_clawbacks(&mut self, org: OrgId, currency: Option<Currency>) -> StoreResult<Vec<LedgerEntry>> {
        commissions::open_clawbacks(&mut self.tx, org, currency).await
    }

    async fn payable_totals(&mut self, org: OrgId, currency: Option<Currency>) -> StoreResult<Vec<PayableTotal>> {
        payouts::payable_totals(&mut self.tx, org, currency).await
    }
    async fn insert_payout_run(&mut self, run: &PayoutRun) -> StoreResult<()> {
        payouts::insert_run(&mut self.tx, run).await
    }
    async fn get_payout_run(&mut self, org: OrgId, id: PayoutRunId) -> StoreResult<Option<PayoutRun>> {
        payouts::get_run(&mut self.tx, org, id).await
    }
    async fn list_payout_runs(&mut self, org: OrgId, page: Page) -> StoreResult<Vec<PayoutRun>> {
        payouts::list_runs(&mut self.tx, org, page).await
    }
    async fn insert_payout_items(&mut self, items: &[PayoutItem]) -> StoreResult<()> {
        payouts::insert_items(&mut self.tx, items).await
    }
    async fn get_payout_item(&mut self, org: OrgId, id: PayoutItemId) -> StoreResult<Option<PayoutItem>> {
        payouts::get_item(&mut self.tx, org, id).await
    }
    async fn list_payout_items(
        &mut self,
        org: OrgId,
        filter: &PayoutItemFilter,
        page: Page,
    ) -> StoreResult<Vec<PayoutItem>> {
        payouts::list_items(&mut self.tx, org, filter, page).await
    }
    async fn update_payout_item(&mut self, item: &PayoutItem) -> StoreResult<bool> {
        payouts::update_item(&mut self.tx, item).await
    }
    async fn assign_run_commissions(&mut self, org: OrgId, run: PayoutRunId) -> StoreResult<Vec<AssignedCommissions>> {
        payouts::assign_run_commissions(&mut self.tx, org, run).await
    }
    async fn assign_clawbacks(&mut self, org: OrgId, item: PayoutItemId, entries: &[LedgerEntryId]) -> StoreResult<()> {
        payouts::assign_clawbacks(&mut self.tx, org, item, entries).await
    }
    async fn payout_item_commissions(&mut self, org: OrgId, item: PayoutItemId) -> StoreResult<Vec<Commission>> {
        payouts::item_commissions(&mut self.tx, org, item).await
    }

    async fn put_fx_rates(&mut self, rates: &[FxRate]) -> StoreResult<()> {
        fx::put(&mut self.tx, rates).await
    }
    async fn fx_rate(&mut self, currency: Currency, date: time::Date) -> StoreResult<Option<FxRate>> {
        fx::get(&mut self.tx, currency, date).await
    }
    async fn latest_fx_date(&mut self) -> StoreResult<Option<(time::Date, i64)>> {
        fx::latest_date(&mut self.tx).await
    }

    async fn report_totals(&mut self, scope: &crate::ReportScope) -> StoreResult<crate::ReportTotals> {
        reports::totals_of(&mut self.tx, scope).await
    }
    async fn report_daily(&mut self, scope: &crate::ReportScope) -> StoreResult<Vec<crate::ReportDay>> {
        reports::daily(&mut self.tx, scope).await
    }
    async fn report_leaderboard(
        &mut self,
        scope: &crate::ReportScope,
        limit: i64,
    ) -> StoreResult<Vec<crate::LeaderboardRow>> {
        reports::leaderboard(&mut self.tx, scope, limit).await
    }
    async fn report_sources(&mut self, scope: &crate::ReportScope, limit: i64) -> StoreResult<Vec<crate::SourceRow>> {
        reports::sources(&mut self.tx, scope, limit).await
    }
    async fn hourly_click_counts(&mut self, hour: i64) -> StoreResult<Vec<(OrgId, AffiliateId, CampaignId, i64)>> {
        reports::hourly_click_counts(&mut self.tx, hour).await
    }
    async fn cpc_spent(&mut self, org: OrgId, campaign: CampaignId) -> StoreResult<i64> {
        reports::cpc_spent(&mut self.tx, org, campaign).await
    }
    async fn export_conversions(&mut self, window: &crate::ExportWindow) -> StoreResult<Vec<Conversion>> {
        reports::export_conversions(&mut self.tx, window).await
    }
    async fn export_commissions(&mut self, window: &crate::ExportWindow) -> StoreResult<Vec<Commission>> {
        reports::export_commissions(&mut self.tx, window).await
    }
    async fn export_payout_items(&mut self, window: &crate::ExportWindow) -> StoreResult<Vec<PayoutItem>> {
        reports::export_payout_items(&mut self.tx, window).await
    }

    async fn set_tax_form_status(
        &mut self,
        org: OrgId,
        affiliate: AffiliateId,
        status: TaxFormStatus,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        tax::set_status(&mut self.tx, org, affiliate, status, at).await
    }
    async fn put_tax_document(
        &mut self,
        org: OrgId,
        affiliate: AffiliateId,
        document: &TaxDocument,
    ) -> StoreResult<bool> {
        tax::put_document(&mut self.tx, org, affiliate, document).await
    }
    async fn get_tax_form(&mut self, org: OrgId, affiliate: AffiliateId) -> StoreResult<Option<TaxForm>> {
        tax::get(&mut self.tx, org, affiliate).await
    }
    async fn list_tax_forms(&mut self, org: OrgId) -> StoreResult<Vec<TaxForm>> {
        tax::list(&mut self.tx, org).await
    }
    async fn get_tax_document(&mut self, org: OrgId, affiliate: AffiliateId) -> StoreResult<Option<TaxDocument>> {
        tax::get_document(&mut self.tx, org, affiliate).await
    }
    async fn paid_by_affiliate(
        &mut self,
        org: OrgId,
        year: i32,
        affiliate: Option<AffiliateId>,
    ) -> StoreResult<Vec<(AffiliateId, Currency, i64)>> {
        tax::paid_by_affiliate(&mut self.tx, org, year, affiliate).await
    }
    async fn mark_tax_reminder(
        &mut self,
        org: OrgId,
        affiliate: AffiliateId,
        year: i32,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        tax::mark_reminder(&mut self.tx, org, affiliate, year, at).await
    }

    // Affiliate portal.
    async fn insert_portal_sign_in(&mut self, link: &PortalSignIn) -> StoreResult<()> {
        portal::insert_sign_in(&mut self.tx, link).await
    }
    async fn get_portal_sign_in(&mut self, id: uuid::Uuid) -> StoreResult<Option<PortalSignIn>> {
        portal::get_sign_in(&mut self.tx, id).await
    }
    async fn get_portal_sign_in_by_hash(&mut self, token_hash: &[u8]) -> StoreResult<Option<PortalSignIn>> {
        portal::get_sign_in_by_hash(&mut self.tx, token_hash).await
    }
    async fn use_portal_sign_in(&mut self, id: uuid::Uuid, at: OffsetDateTime) -> StoreResult<bool> {
        portal::use_sign_in(&mut self.tx, id, at).await
    }
    async fn count_portal_sign_ins(&mut self, email_key: &str, since: OffsetDateTime) -> StoreResult<i64> {
        portal::count_sign_ins(&mut self.tx, email_key, since).await
    }
    async fn insert_portal_session(&mut self, session: &PortalSession) -> StoreResult<()> {
        portal::insert_session(&mut self.tx, session).await
    }
    async fn get_portal_session(&mut self, token_hash: &[u8]) -> StoreResult<Option<PortalSession>> {
        portal::get_session(&mut self.tx, token_hash).await
    }
    async fn delete_portal_session(&mut self, token_hash: &[u8]) -> StoreResult<bool> {
        portal::delete_session(&mut self.tx, token_hash).await
    }
    async fn list_affiliates_by_email(&mut self, email_key: &str) -> StoreResult<Vec<Affiliate>> {
        portal::affiliates_by_email(&mut self.tx, email_key).await
    }
    async fn update_affiliate_profile(
        &mut self,
        org: OrgId,
        id: AffiliateId,
        name: Option<&str>,
        paypal_email: Option<&afflux_domain::Email>,
    ) -> StoreResult<bool> {
        portal::update_profile(&mut self.tx, org, id, name, paypal_email).await
    }
    async fn get_portal_prefs(&mut self, org: OrgId, affiliate: AffiliateId) -> StoreResult<Option<PortalPrefs>> {
        portal::get_prefs(&mut self.tx, org, affiliate).await
    }
    async fn set_portal_payout_method(
        &mut self,
        org: OrgId,
        affiliate: AffiliateId,
        method: afflux_domain::PayoutRail,
    ) -> StoreResult<bool> {
        portal::set_payout_method(&mut self.tx, org, affiliate, method).await
    }
    async fn mark_slug_changed(
        &mut self,
        org: OrgId,
        affiliate: AffiliateId,
        previous_slug: &str,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        portal::mark_slug_changed(&mut self.tx, org, affiliate, previous_slug, at).await
    }
    async fn unsuppress_email(&mut self, email_key: &str) -> StoreResult<bool> {
        portal::unsuppress(&mut self.tx, email_key).await
    }
    async fn affiliate_earnings(
        &mut self,
        org: OrgId,
        affiliate: AffiliateId,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<EarningsTotal>> {
        portal::earnings(&mut self.tx, org, affiliate, now).await
    }
    async fn affiliate_activity(
        &mut self,
        org: OrgId,
        affiliate: AffiliateId,
        from: time::Date,
        to: time::Date,
    ) -> StoreResult<Vec<ActivityDay>> {
        portal::activity(&mut self.tx, org, affiliate, from, to).await
    }
    async fn affiliate_conversion_count(&mut self, org: OrgId, affiliate: AffiliateId) -> StoreResult<i64> {
        portal::conversion_count(&mut self.tx, org, affiliate).await
    }

    async fn insert_import(&mut self, import: &Import) -> StoreResult<()> {
        imports::insert(&mut self.tx, import).await
    }
    async fn get_import(&mut self, org: OrgId, id: ImportId) -> StoreResult<Option<Import>> {
        imports::get(&mut self.tx, org, id).await
    }
    async fn get_import_by_idempotency_key(&mut self, org: OrgId, key: &str) -> StoreResult<Option<Import>> {
        imports::get_by_key(&mut self.tx, org, key).await
    }
    async fn list_imports(&mut self, org: OrgId, page: Page) -> StoreResult<Vec<Import>> {
        imports::list(&mut self.tx, org, page).await
    }
    async fn stale_running_imports(&mut self, before: OffsetDateTime) -> StoreResult<Vec<Import>> {
        imports::stale_running(&mut self.tx, before).await
    }
    async fn update_import(&mut self, import: &Import) -> StoreResult<bool> {
        imports::update(&mut self.tx, import).await
    }
    async fn bump_import_notify(&mut self, id: ImportId, sent: i64, failed: i64, skipped: i64) -> StoreResult<()> {
        imports::bump_notify(&mut self.tx, id, sent, failed, skipped).await
    }
    async fn insert_import_skips(&mut self, id: ImportId, skips: &[(i64, &str)]) -> StoreResult<()> {
        imports::insert_skips(&mut self.tx, id, skips).await
    }
    async fn list_import_skips(&mut self, id: ImportId, limit: i64) -> StoreResult<Vec<(i64, String)>> {
        imports::list_skips(&mut self.tx, id, limit).await
    }
    async fn affiliates_by_email(&mut self, org: OrgId, email_keys: &[String]) -> StoreResult<Vec<Affiliate>> {
        imports::affiliates_by_email(&mut self.tx, org, email_keys).await
    }
    async fn campaign_members(
        &mut self,
        campaign: CampaignId,
        affiliates: &[AffiliateId],
    ) -> StoreResult<Vec<AffiliateId>> {
        imports::campaign_members(&mut self.tx, campaign, affiliates).await
    }
    async fn taken_slugs(&mut self, slug_keys: &[String]) -> StoreResult<Vec<String>> {
        imports::taken_slugs(&mut self.tx, slug_keys).await
    }
    async fn insert_imported_roster(
        &mut self,
        id: ImportId,
        affiliates: &[Affiliate],
        memberships: &[Membership],
    ) -> StoreResult<()> {
        imports::insert_roster(&mut self.tx, id, affiliates, memberships).await
    }
    async fn tag_imported_conversions(&mut self, id: ImportId, conversions: &[ConversionId]) -> StoreResult<()> {
        imports::tag_conversions(&mut self.tx, id, conversions).await
    }
    async fn imported_conversions(&mut self, org: OrgId, id: ImportId) -> StoreResult<Vec<ConversionId>> {
        imports::imported_conversions(&mut self.tx, org, id).await
    }
    async fn revert_roster_import(&mut self, org: OrgId, id: ImportId) -> StoreResult<RevertCounts> {
        imports::revert_roster(&mut self.tx, org, id).await
    }
    async fn org_ids(&mut self, limit: i64) -> StoreResult<Vec<OrgId>> {
        imports::org_ids(&mut self.tx, limit).await
    }

    async fn insert_promo_asset(&mut self, asset: &PromoAsset, image: Option<&[u8]>) -> StoreResult<()> {
        promo::insert(&mut self.tx, asset, image).await
    }
    async fn list_promo_assets(&mut self, org: OrgId, campaign: CampaignId) -> StoreResult<Vec<PromoAsset>> {
        promo::list(&mut self.tx, org, campaign).await
    }
    async fn get_promo_asset(&mut self, org: OrgId, id: PromoAssetId) -> StoreResult<Option<PromoAsset>> {
        promo::get(&mut self.tx, org, id).await
    }
    async fn get_promo_image(&mut self, id: PromoAssetId) -> StoreResult<Option<(String, Vec<u8>)>> {
        promo::image(&mut self.tx, id).await
    }
    async fn move_promo_asset(&mut self, org: OrgId, id: PromoAssetId, direction: PromoMove) -> StoreResult<bool> {
        promo::shift(&mut self.tx, org, id, direction).await
    }
    async fn delete_promo_asset(&mut self, org: OrgId, id: PromoAssetId) -> StoreResult<bool> {
        promo::delete(&mut self.tx, org, id).await
    }

    async fn get_org_profile(&mut self, org: OrgId) -> StoreResult<Option<OrgProfile>> {
        applications::get_profile(&mut self.tx, org).await
    }
    async fn get_org_profile_by_handle(&mut self, handle: &str) -> StoreResult<Option<OrgProfile>> {
        applications::get_profile_by_handle(&mut self.tx, handle).await
    }
    async fn put_org_profile(&mut self, profile: &OrgProfile) -> StoreResult<()> {
        applications::put_profile(&mut self.tx, profile).await
    }
    async fn get_application_form(&mut self, org: OrgId, campaign: CampaignId) -> StoreResult<Option<ApplicationForm>> {
        applications::get_form(&mut self.tx, org, campaign).await
    }
    async fn put_application_form(
        &mut self,
        org: OrgId,
        campaign: CampaignId,
        form: &ApplicationForm,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        applications::put_form(&mut self.tx, org, campaign, form, at).await
    }
    async fn put_application_answers(
        &mut self,
        org: OrgId,
        membership: MembershipId,
        answers: &Answers,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        applications::put_answers(&mut self.tx, org, membership, answers, at).await
    }
    async fn get_application_answers(&mut self, org: OrgId, membership: MembershipId) -> StoreResult<Option<Answers>> {
        applications::get_answers(&mut self.tx, org, membership).await
    }
    async fn get_notification_pref(&mut self, org: OrgId, user: UserId, event_key: &str) -> StoreResult<Option<bool>> {
        applications::get_pref(&mut self.tx, org, user, event_key).await
    }
    async fn set_notification_pref(
        &mut self,
        org: OrgId,
        user: UserId,
        event_key: &str,
        enabled: bool,
    ) -> StoreResult<()> {
        applications::set_pref(&mut self.tx, org, user, event_key, enabled).await
    }
    async fn get_welcome_sequence(&mut self, org: OrgId, campaign: CampaignId) -> StoreResult<Option<WelcomeSequence>> {
        applications::get_welcome(&mut self.tx, org, campaign).await
    }
    async fn put_welcome_sequence(
        &mut self,
        org: OrgId,
        campaign: CampaignId,
        sequence: &WelcomeSequence,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        applications::put_welcome(&mut self.tx, org, campaign, sequence, at).await
    }

    // --- Stripe Connect payouts
    async fn set_affiliate_stripe_account(
        &mut self,
        org: OrgId,
        id: AffiliateId,
        account: Option<&afflux_domain::StripeAccountId>,
    ) -> StoreResult<bool> {
        affiliates::set_stripe_account(&mut self.tx, org, id, account).await
    }

    // --- Partner emails (issue 4, item 9)
    async fn sales_totals(
        &mut self,
        org: OrgId,
        affiliate: AffiliateId,
        campaign: CampaignId,
    ) -> StoreResult<afflux_domain::SalesTotals> {
        partner_emails::sales_totals(&mut self.tx, org, affiliate, campaign).await
    }
    async fn reached_milestones(
        &mut self,
        org: OrgId,
        affiliate: AffiliateId,
        campaign: CampaignId,
    ) -> StoreResult<Vec<String>> {
        partner_emails::reached_milestones(&mut self.tx, org, affiliate, campaign).await
    }
    async fn mark_milestone(
        &mut self,
        org: OrgId,
        campaign: CampaignId,
        affiliate: AffiliateId,
        key: &str,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        partner_emails::mark_milestone(&mut self.tx, org, campaign, affiliate, key, at).await
    }
    async fn orgs_with_commissions_due(&mut self, period: &str) -> StoreResult<Vec<OrgId>> {
        partner_emails::orgs_with_commissions_due(&mut self.tx, period).await
    }
    async fn mark_commissions_due_reminder(
        &mut self,
        org: OrgId,
        period: &str,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        partner_emails::mark_commissions_due_reminder(&mut self.tx, org, period, at).await
    }
    async fn commissions_due(&mut self, org: OrgId) -> StoreResult<Vec<crate::DueTotal>> {
        partner_emails::commissions_due(&mut self.tx, org).await
    }
}
