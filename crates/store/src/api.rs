use crate::RevertCounts;
use afflux_domain::TaxFormStatus;
use afflux_domain::{
    Affiliate, AffiliateId, ApiKeyId, Campaign, CampaignId, ClickId, InviteId, JobId, Membership, OrgId, Organization,
    PlanTier, Role, Slug, SubscriptionStatus, UserId,
};
use afflux_domain::{Answers, ApplicationForm, MembershipId, OrgProfile, WelcomeSequence};
use afflux_domain::{
    Commission, CommissionId, Currency, FxRate, LedgerEntry, LedgerEntryId, PayableTotal, PayoutItem, PayoutItemId,
    PayoutRun, PayoutRunId,
};
use afflux_domain::{
    Conversion, ConversionId, ConversionProvider, Coupon, CouponId, Integration, IntegrationId, SyncStatus,
};
use afflux_domain::{Import, ImportId};
use async_trait::async_trait;
use serde_json::Value;
use time::OffsetDateTime;

use crate::{ActivityDay, EarningsTotal, PortalPrefs, PortalSession, PortalSignIn};
use crate::{
    AffiliateFilter, AffiliateRow, ApiKey, AuditEntry, Backend, Click, ClickOutcome, Invite, Job, JobCounts,
    MemberView, NewClick, NewJob, Page, Session, StoreResult, TeamMember, User,
};
use crate::{AssignedCommissions, Balance, CommissionFilter, PayoutItemFilter, TierStats};
use crate::{AttributionTarget, ConversionFilter, CustomerBinding, OrgSecret, PaymentRef, ProcessedEvent};
use crate::{CrmSync, CrmSyncFilter, CrmSyncRow};
use crate::{TaxDocument, TaxForm};
use afflux_domain::{PromoAsset, PromoAssetId, PromoMove};

/// A database. Every operation runs inside a [`Tx`]: writes in [`Store::write`] (serialized,
/// committed explicitly), reads in [`Store::read`]. Dropping a transaction rolls it back.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> Backend;
    async fn write(&self) -> StoreResult<Box<dyn Tx>>;
    async fn read(&self) -> StoreResult<Box<dyn Tx>>;
    /// Records a batch of clicks in a transaction of its own, committed before this answers. A
    /// visitor is counted once per link (affiliate and campaign) per clock hour: a repeat is not
    /// recorded again and its outcome names the stored click. Recorded clicks add to per-day
    /// counters, so totals never need `COUNT(*)` over clicks.
    async fn record_clicks(&self, clicks: &[NewClick]) -> StoreResult<Vec<ClickOutcome>>;
    async fn close(&self);
}

/// The operations of one transaction. Methods answering `bool` report whether a row changed;
/// lookups answer `None` for a missing row. Org-scoped lookups never see another org's rows.
#[async_trait]
pub trait Tx: Send {
    async fn commit(self: Box<Self>) -> StoreResult<()>;

    // Instance settings (generated secrets, the first-run token).
    async fn get_setting(&mut self, key: &str) -> StoreResult<Option<String>>;
    /// Stores `value` unless the key exists; answers the value now stored.
    async fn init_setting(&mut self, key: &str, value: &str) -> StoreResult<String>;
    async fn delete_setting(&mut self, key: &str) -> StoreResult<bool>;

    // Organizations.
    async fn insert_org(&mut self, org: &Organization) -> StoreResult<()>;
    async fn get_org(&mut self, id: OrgId) -> StoreResult<Option<Organization>>;
    async fn set_org_plan(&mut self, id: OrgId, plan: PlanTier, status: SubscriptionStatus) -> StoreResult<bool>;
    /// Rewrites the profile: name, home currency and sender identity (not plan or status).
    async fn update_org_profile(&mut self, org: &Organization) -> StoreResult<bool>;
    async fn count_orgs(&mut self) -> StoreResult<i64>;
    /// Serializes writers on this organization until commit (team and plan-limit checks).
    async fn lock_org(&mut self, id: OrgId) -> StoreResult<()>;
    /// Serializes writers across the whole instance until commit (first-run setup).
    async fn lock_instance(&mut self) -> StoreResult<()>;

    // Users and team.
    async fn insert_user(&mut self, user: &User) -> StoreResult<()>;
    async fn get_user(&mut self, id: UserId) -> StoreResult<Option<User>>;
    async fn get_user_by_email(&mut self, email_key: &str) -> StoreResult<Option<User>>;
    async fn set_user_password(&mut self, id: UserId, password_hash: &str) -> StoreResult<bool>;
    async fn insert_member(&mut self, member: &TeamMember) -> StoreResult<()>;
    async fn get_member(&mut self, org: OrgId, user: UserId) -> StoreResult<Option<TeamMember>>;
    async fn list_members(&mut self, org: OrgId) -> StoreResult<Vec<MemberView>>;
    async fn list_user_orgs(&mut self, user: UserId) -> StoreResult<Vec<(Organization, Role)>>;
    async fn set_member_role(&mut self, org: OrgId, user: UserId, role: Role) -> StoreResult<bool>;
    async fn delete_member(&mut self, org: OrgId, user: UserId) -> StoreResult<bool>;
    async fn count_members(&mut self, org: OrgId, role: Option<Role>) -> StoreResult<i64>;

    // Sessions.
    async fn insert_session(&mut self, session: &Session) -> StoreResult<()>;
    async fn get_session(&mut self, token_hash: &[u8]) -> StoreResult<Option<Session>>;
    async fn delete_session(&mut self, token_hash: &[u8]) -> StoreResult<bool>;
    async fn delete_expired_sessions(&mut self, now: OffsetDateTime) -> StoreResult<u64>;

    // Team invitations.
    async fn insert_invite(&mut self, invite: &Invite) -> StoreResult<()>;
    async fn get_invite(&mut self, org: OrgId, id: InviteId) -> StoreResult<Option<Invite>>;
    async fn get_invite_by_token(&mut self, token_hash: &[u8]) -> StoreResult<Option<Invite>>;
    async fn list_open_invites(&mut self, org: OrgId, now: OffsetDateTime) -> StoreResult<Vec<Invite>>;
    /// Marks an unaccepted invite accepted; false if it was accepted already.
    async fn accept_invite(&mut self, id: InviteId, at: OffsetDateTime) -> StoreResult<bool>;
    async fn delete_invite(&mut self, org: OrgId, id: InviteId) -> StoreResult<bool>;

    // API keys.
    async fn insert_api_key(&mut self, key: &ApiKey) -> StoreResult<()>;
    async fn get_api_key(&mut self, org: OrgId, id: ApiKeyId) -> StoreResult<Option<ApiKey>>;
    async fn get_api_key_by_hash(&mut self, token_hash: &[u8]) -> StoreResult<Option<ApiKey>>;
    async fn list_api_keys(&mut self, org: OrgId) -> StoreResult<Vec<ApiKey>>;
    async fn revoke_api_key(&mut self, org: OrgId, id: ApiKeyId, at: OffsetDateTime) -> StoreResult<bool>;

    // Campaigns.
    async fn insert_campaign(&mut self, campaign: &Campaign) -> StoreResult<()>;
    async fn get_campaign(&mut self, org: OrgId, id: CampaignId) -> StoreResult<Option<Campaign>>;
    async fn get_campaign_by_slug(&mut self, org: OrgId, slug_key: &str) -> StoreResult<Option<Campaign>>;
    async fn list_campaigns(&mut self, org: OrgId, include_archived: bool, page: Page) -> StoreResult<Vec<Campaign>>;
    /// Rewrites every mutable field (not the slug, which is immutable).
    async fn update_campaign(&mut self, campaign: &Campaign) -> StoreResult<bool>;
    async fn count_active_campaigns(&mut self, org: OrgId) -> StoreResult<i64>;

    // Affiliates and their campaign memberships.
    async fn insert_affiliate(&mut self, affiliate: &Affiliate) -> StoreResult<()>;
    async fn get_affiliate(&mut self, org: OrgId, id: AffiliateId) -> StoreResult<Option<Affiliate>>;
    async fn get_affiliate_by_email(&mut self, org: OrgId, email_key: &str) -> StoreResult<Option<Affiliate>>;
    /// Slugs are unique across the instance: `/go/{slug}` carries no organization.
    async fn get_affiliate_by_slug(&mut self, slug_key: &str) -> StoreResult<Option<Affiliate>>;
    async fn set_affiliate_slug(&mut self, org: OrgId, id: AffiliateId, slug: &Slug) -> StoreResult<bool>;
    async fn insert_membership(&mut self, membership: &Membership) -> StoreResult<()>;
    async fn get_membership(
        &mut self,
        org: OrgId,
        affiliate: AffiliateId,
        campaign: CampaignId,
    ) -> StoreResult<Option<Membership>>;
    async fn list_memberships(&mut self, org: OrgId, affiliate: AffiliateId) -> StoreResult<Vec<Membership>>;
    /// Rewrites status, reason, override and status time.
    async fn update_membership(&mut self, membership: &Membership) -> StoreResult<bool>;
    /// Memberships joined with their affiliate, newest first.
    async fn list_affiliates(
        &mut self,
        org: OrgId,
        filter: &AffiliateFilter,
        page: Page,
    ) -> StoreResult<Vec<AffiliateRow>>;
    /// How many rows [`Tx::list_affiliates`] has with `filter`, over all pages.
    async fn count_affiliates(&mut self, org: OrgId, filter: &AffiliateFilter) -> StoreResult<i64>;

    // Audit log.
    async fn insert_audit(&mut self, entry: &AuditEntry) -> StoreResult<()>;
    /// Newest first.
    async fn list_audit(&mut self, org: OrgId, page: Page) -> StoreResult<Vec<AuditEntry>>;

    // Job queue.
    /// False when a job with the same dedupe key is still queued, running or dead.
    async fn enqueue_job(&mut self, job: &NewJob) -> StoreResult<bool>;
    /// Claims up to `limit` due jobs (queued and due, or running with an expired lease): each
    /// becomes Running until `lease_until` with one more attempt.
    async fn claim_jobs(
        &mut self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: i64,
    ) -> StoreResult<Vec<Job>>;
    /// Deletes a finished job.
    async fn complete_job(&mut self, id: JobId) -> StoreResult<bool>;
    async fn retry_job(&mut self, id: JobId, run_at: OffsetDateTime, error: &str) -> StoreResult<bool>;
    async fn bury_job(&mut self, id: JobId, error: &str) -> StoreResult<bool>;
    async fn get_job(&mut self, id: JobId) -> StoreResult<Option<Job>>;
    async fn job_counts(&mut self) -> StoreResult<JobCounts>;
    async fn list_dead_jobs(&mut self, limit: i64) -> StoreResult<Vec<Job>>;
    async fn get_job_by_dedupe_key(&mut self, dedupe_key: &str) -> StoreResult<Option<Job>>;
    /// Makes a queued or dead job due at `run_at` with its attempts reset ("retry now"; its last
    /// error is kept); false when no such job exists or it is running.
    async fn reschedule_job(&mut self, dedupe_key: &str, run_at: OffsetDateTime) -> StoreResult<bool>;
    /// Like [`Tx::retry_job`], but the claim does not count as an attempt (the vendor asked us
    /// to wait: a rate limit is not a failure).
    async fn defer_job(&mut self, id: JobId, run_at: OffsetDateTime, error: &str) -> StoreResult<bool>;
    /// Deletes the queued and dead jobs whose dedupe key starts with `dedupe_prefix` (taken
    /// literally: `%` and `_` are no wildcards); answers how many. Running jobs and jobs without a
    /// dedupe key stay.
    async fn cancel_jobs(&mut self, dedupe_prefix: &str) -> StoreResult<u64>;

    // Clicks (recorded through `Store::record_clicks`).
    async fn get_click(&mut self, id: ClickId) -> StoreResult<Option<Click>>;
    /// Clicks counted for an affiliate, in one campaign or all, from the counters.
    async fn click_count(
        &mut self,
        org: OrgId,
        affiliate: AffiliateId,
        campaign: Option<CampaignId>,
    ) -> StoreResult<i64>;

    // Email suppression list (global: an unsubscribe stops mail from every organization).
    async fn suppress_email(&mut self, email_key: &str, reason: &str, at: OffsetDateTime) -> StoreResult<()>;
    async fn is_suppressed(&mut self, email_key: &str) -> StoreResult<bool>;

    // Conversions and what attribution keeps (see `conversion_records.rs`).
    /// Takes an inbound event for processing: true for the first taker, false when it was taken
    /// before (its stored result then answers). On PostgreSQL a concurrent second taker waits
    /// until the first commits (and then answers false) or rolls back (and then takes it).
    async fn claim_event(&mut self, event: &ProcessedEvent) -> StoreResult<bool>;
    async fn get_event(&mut self, org: OrgId, provider: &str, event_id: &str) -> StoreResult<Option<ProcessedEvent>>;
    async fn set_event_result(
        &mut self,
        org: OrgId,
        provider: &str,
        event_id: &str,
        result: &Value,
    ) -> StoreResult<bool>;
    /// False, writing nothing, when the organization already has a conversion with the same
    /// provider and external id (on PostgreSQL after a concurrent insert of it settles).
    async fn insert_conversion(&mut self, conversion: &Conversion) -> StoreResult<bool>;
    async fn get_conversion(&mut self, org: OrgId, id: ConversionId) -> StoreResult<Option<Conversion>>;
    async fn get_conversion_by_external_id(
        &mut self,
        org: OrgId,
        provider: ConversionProvider,
        external_id: &str,
    ) -> StoreResult<Option<Conversion>>;
    /// The first conversion recorded for a charge, else a payment intent, else an invoice.
    async fn find_conversion_by_payment(&mut self, org: OrgId, payment: &PaymentRef)
    -> StoreResult<Option<Conversion>>;
    /// Newest first.
    async fn list_conversions(
        &mut self,
        org: OrgId,
        filter: &ConversionFilter,
        page: Page,
    ) -> StoreResult<Vec<Conversion>>;
    /// Rewrites status, refunded amount, commission and update time.
    async fn update_conversion(&mut self, conversion: &Conversion) -> StoreResult<bool>;
    /// Binds a customer key unless it is bound already, and answers the binding now stored:
    /// the first binding wins, also between concurrent transactions.
    async fn bind_customer(&mut self, binding: &CustomerBinding) -> StoreResult<CustomerBinding>;
    async fn get_customer_binding(&mut self, org: OrgId, customer_key: &str) -> StoreResult<Option<CustomerBinding>>;

    /// Many [`Tx::claim_event`]s in one statement (keys distinct): whether each was taken.
    async fn claim_events(&mut self, events: &[ProcessedEvent]) -> StoreResult<Vec<bool>>;
    /// Stores the `result` of many claimed events (keys distinct) in one statement.
    async fn finish_events(&mut self, events: &[ProcessedEvent]) -> StoreResult<()>;
    /// Many [`Tx::insert_conversion`]s in one statement: whether each was inserted.
    async fn insert_conversions(&mut self, conversions: &[Conversion]) -> StoreResult<Vec<bool>>;
    /// The bindings of those of `keys` that are bound.
    async fn get_customer_bindings(&mut self, org: OrgId, keys: &[String]) -> StoreResult<Vec<CustomerBinding>>;
    /// Binds many keys in one statement; a key bound already keeps its binding.
    async fn bind_customers(&mut self, bindings: &[CustomerBinding]) -> StoreResult<()>;
    /// Every membership of the affiliate holding this slug, oldest first, with what attribution
    /// needs of the affiliate and campaign.
    async fn attribution_targets_by_slug(&mut self, slug_key: &str) -> StoreResult<Vec<AttributionTarget>>;
    async fn attribution_target(
        &mut self,
        org: OrgId,
        affiliate: AffiliateId,
        campaign: CampaignId,
    ) -> StoreResult<Option<AttributionTarget>>;
    /// Many audit entries in one statement.
    async fn insert_audits(&mut self, entries: &[AuditEntry]) -> StoreResult<()>;

    // Coupons and promotion codes. A taken code (or Stripe id) is a conflict on `code_key`
    // (`stripe_coupon_id`, `stripe_promotion_code_id`) that leaves the transaction usable.
    async fn insert_coupon(&mut self, coupon: &Coupon) -> StoreResult<()>;
    async fn get_coupon(&mut self, org: OrgId, id: CouponId) -> StoreResult<Option<Coupon>>;
    async fn get_coupon_by_code(&mut self, org: OrgId, code_key: &str) -> StoreResult<Option<Coupon>>;
    async fn get_coupon_by_promotion_code(
        &mut self,
        org: OrgId,
        promotion_code_id: &str,
    ) -> StoreResult<Option<Coupon>>;
    async fn get_coupon_by_stripe_coupon(&mut self, org: OrgId, stripe_coupon_id: &str) -> StoreResult<Option<Coupon>>;
    /// Oldest first.
    async fn list_coupons(
        &mut self,
        org: OrgId,
        campaign: Option<CampaignId>,
        affiliate: Option<AffiliateId>,
    ) -> StoreResult<Vec<Coupon>>;

    // Organization secrets (vendor credentials), encrypted by the app before they get here.
    async fn put_org_secret(&mut self, secret: &OrgSecret) -> StoreResult<()>;
    async fn get_org_secret(&mut self, org: OrgId, name: &str) -> StoreResult<Option<OrgSecret>>;
    async fn delete_org_secret(&mut self, org: OrgId, name: &str) -> StoreResult<bool>;

    // CRM integrations: one per vendor and organization (a second is a conflict on
    // `integrations_org_vendor` that leaves the transaction usable).
    async fn insert_integration(&mut self, integration: &Integration) -> StoreResult<()>;
    async fn get_integration(&mut self, org: OrgId, id: IntegrationId) -> StoreResult<Option<Integration>>;
    /// Oldest first.
    async fn list_integrations(&mut self, org: OrgId) -> StoreResult<Vec<Integration>>;
    /// Rewrites the credentials, their hint, the settings and the update time.
    async fn update_integration(&mut self, integration: &Integration) -> StoreResult<bool>;
    /// Deletes the integration and its syncs.
    async fn delete_integration(&mut self, org: OrgId, id: IntegrationId) -> StoreResult<bool>;

    // CRM syncs (see `crm_records.rs`).
    /// Starts a new generation of the affiliate's sync to the integration: Pending, attempts 0,
    /// no error, empty progress; created when missing (generation 1, nothing synced). Answers the
    /// row now stored. Concurrent requests each get a generation of their own. An integration or
    /// affiliate that is not the organization's (or is gone) writes nothing and is
    /// `StoreError::Database(sqlx::Error::RowNotFound)`.
    async fn request_crm_sync(
        &mut self,
        org: OrgId,
        integration: IntegrationId,
        affiliate: AffiliateId,
        at: OffsetDateTime,
    ) -> StoreResult<CrmSync>;
    async fn get_crm_sync(
        &mut self,
        org: OrgId,
        integration: IntegrationId,
        affiliate: AffiliateId,
    ) -> StoreResult<Option<CrmSync>>;
    /// Rewrites status, attempts, error, progress, `synced_gen`, `synced_at` and the update
    /// time, only while the stored `requested_gen` equals `sync.requested_gen`: false when a
    /// newer request overtook this run (or the row is gone).
    async fn update_crm_sync(&mut self, sync: &CrmSync) -> StoreResult<bool>;
    /// Joined with the affiliate's email (as written) and name; most recently updated first,
    /// ties by affiliate id.
    async fn list_crm_syncs(&mut self, org: OrgId, filter: &CrmSyncFilter, page: Page) -> StoreResult<Vec<CrmSyncRow>>;
    /// How many of the integration's syncs are in each status, in [`SyncStatus`] order (statuses
    /// without any omitted).
    async fn count_crm_syncs(&mut self, org: OrgId, integration: IntegrationId) -> StoreResult<Vec<(SyncStatus, i64)>>;

    // Commissions (see `ledger.rs` in the domain). A direct commission's status and amounts are
    // mirrored onto its conversion (`status`, `commission`, `initial_commission_minor`,
    // `updated_at`) by the same operation, in the same transaction, so the two never disagree.
    /// Many commissions in one statement (one per conversion and kind: a second is a conflict on
    /// `conversion_id` that leaves the transaction usable and writes nothing).
    async fn insert_commissions(&mut self, commissions: &[Commission]) -> StoreResult<()>;
    async fn get_commission(&mut self, org: OrgId, id: CommissionId) -> StoreResult<Option<Commission>>;
    /// Newest first.
    async fn list_commissions(
        &mut self,
        org: OrgId,
        filter: &CommissionFilter,
        page: Page,
    ) -> StoreResult<Vec<Commission>>;
    /// Rewrites status, amount, payout item, denied reason and update time (and the mirror).
    async fn update_commission(&mut self, commission: &Commission) -> StoreResult<bool>;
    /// Pending commissions whose hold ended by `now`, in every organization, become Approved
    /// with `now` as update time: at most `limit`, oldest hold first, answered in that order as
    /// they are now. On PostgreSQL concurrent sweeps take different commissions.
    async fn approve_due_commissions(&mut self, now: OffsetDateTime, limit: i64) -> StoreResult<Vec<Commission>>;
    /// What performance tiers count for an affiliate in a campaign.
    async fn tier_stats(&mut self, org: OrgId, affiliate: AffiliateId, campaign: CampaignId) -> StoreResult<TierStats>;

    // The ledger: append-only (no operation changes or deletes an entry; the schema refuses it too).
    async fn insert_ledger_entries(&mut self, entries: &[LedgerEntry]) -> StoreResult<()>;
    /// Newest first.
    async fn list_ledger(
        &mut self,
        org: OrgId,
        affiliate: Option<AffiliateId>,
        page: Page,
    ) -> StoreResult<Vec<LedgerEntry>>;
    /// Sums by affiliate and currency (or, with `affiliate`, that affiliate's per currency),
    /// ordered by affiliate id, then currency code.
    async fn balances(&mut self, org: OrgId, affiliate: Option<AffiliateId>) -> StoreResult<Vec<Balance>>;
    /// Clawback entries not yet netted into a payout item, oldest first.
    async fn open_clawbacks(&mut self, org: OrgId, currency: Option<Currency>) -> StoreResult<Vec<LedgerEntry>>;

    // Payouts.
    /// What is payable: Approved commissions no payout item holds, summed per affiliate,
    /// currency and campaign, each with its campaign's minimum payout.
    async fn payable_totals(&mut self, org: OrgId, currency: Option<Currency>) -> StoreResult<Vec<PayableTotal>>;
    async fn insert_payout_run(&mut self, run: &PayoutRun) -> StoreResult<()>;
    async fn get_payout_run(&mut self, org: OrgId, id: PayoutRunId) -> StoreResult<Option<PayoutRun>>;
    /// Newest first.
    async fn list_payout_runs(&mut self, org: OrgId, page: Page) -> StoreResult<Vec<PayoutRun>>;
    async fn insert_payout_items(&mut self, items: &[PayoutItem]) -> StoreResult<()>;
    async fn get_payout_item(&mut self, org: OrgId, id: PayoutItemId) -> StoreResult<Option<PayoutItem>>;
    /// Oldest first.
    async fn list_payout_items(
        &mut self,
        org: OrgId,
        filter: &PayoutItemFilter,
        page: Page,
    ) -> StoreResult<Vec<PayoutItem>>;
    /// Rewrites status, reference, failure reason, attempts and update time.
    async fn update_payout_item(&mut self, item: &PayoutItem) -> StoreResult<bool>;
    /// Puts every payable commission (Approved, in no item) into the run's item for its
    /// affiliate and currency, and answers per item of the run what it holds (by item id). Each
    /// commission can be in one item only, ever (a unique key on `payout_item_commissions`): a
    /// concurrent run waits for this one and then finds them taken. Another organization's
    /// commissions or run are not taken.
    async fn assign_run_commissions(&mut self, org: OrgId, run: PayoutRunId) -> StoreResult<Vec<AssignedCommissions>>;
    /// Nets clawback entries into a payout item; each entry once, ever (a conflict on
    /// `payout_item_clawbacks` otherwise, as for [`Tx::assign_run_commissions`]). The entries
    /// themselves stay unchanged: the ledger is append-only.
    async fn assign_clawbacks(&mut self, org: OrgId, item: PayoutItemId, entries: &[LedgerEntryId]) -> StoreResult<()>;
    /// The commissions a payout item pays, oldest first.
    async fn payout_item_commissions(&mut self, org: OrgId, item: PayoutItemId) -> StoreResult<Vec<Commission>>;

    // Exchange rates (instance-wide; loaded by the operator).
    /// Stores rates, replacing those of the same date and currency (within `rates`, the last
    /// one given wins).
    async fn put_fx_rates(&mut self, rates: &[FxRate]) -> StoreResult<()>;
    /// The newest rate of `currency` on or before `date`.
    async fn fx_rate(&mut self, currency: Currency, date: time::Date) -> StoreResult<Option<FxRate>>;
    /// The newest date with rates, and how many currencies it has.
    async fn latest_fx_date(&mut self) -> StoreResult<Option<(time::Date, i64)>>;

    // Reports (see `report_records.rs`): read from the daily rollups, never from raw clicks or
    // conversions.
    /// Clicks, conversions per currency and active affiliates of the window.
    async fn report_totals(&mut self, scope: &crate::ReportScope) -> StoreResult<crate::ReportTotals>;
    /// The days of the window with clicks or conversions, oldest first.
    async fn report_daily(&mut self, scope: &crate::ReportScope) -> StoreResult<Vec<crate::ReportDay>>;
    /// The top `limit` affiliates by sales count, then (as tie-breakers) revenue, leads and
    /// commission summed across currencies in minor units, then affiliate id. Affiliates with
    /// clicks only are not ranked.
    async fn report_leaderboard(
        &mut self,
        scope: &crate::ReportScope,
        limit: i64,
    ) -> StoreResult<Vec<crate::LeaderboardRow>>;
    /// Clicks by referring site, most first (ties by domain).
    async fn report_sources(&mut self, scope: &crate::ReportScope, limit: i64) -> StoreResult<Vec<crate::SourceRow>>;

    // Pay per click.
    /// Clicks counted in the clock `hour` (Unix seconds / 3,600) in pay-per-click campaigns, per
    /// organization, affiliate and campaign, ordered by organization, campaign, affiliate.
    async fn hourly_click_counts(&mut self, hour: i64) -> StoreResult<Vec<(OrgId, AffiliateId, CampaignId, i64)>>;
    /// What the campaign's click conversions (Source Click) earn in all, Denied ones excluded.
    async fn cpc_spent(&mut self, org: OrgId, campaign: CampaignId) -> StoreResult<i64>;

    // CSV exports: pages in (time, id) order; see [`crate::ExportWindow`].
    /// By `occurred_at`.
    async fn export_conversions(&mut self, window: &crate::ExportWindow) -> StoreResult<Vec<Conversion>>;
    /// By `created_at`.
    async fn export_commissions(&mut self, window: &crate::ExportWindow) -> StoreResult<Vec<Commission>>;
    /// By `created_at`.
    async fn export_payout_items(&mut self, window: &crate::ExportWindow) -> StoreResult<Vec<PayoutItem>>;

    // Tax forms: one per affiliate, with a document the app sealed before it gets here. Writes
    // to an affiliate that is not the organization's (or is gone) write nothing and answer false.
    /// Sets the status; a missing form is created without a document.
    async fn set_tax_form_status(
        &mut self,
        org: OrgId,
        affiliate: AffiliateId,
        status: TaxFormStatus,
        at: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Stores the document, replacing any before it (the status stays); a missing form is created
    /// with status None. The upload time is the form's update time.
    async fn put_tax_document(
        &mut self,
        org: OrgId,
        affiliate: AffiliateId,
        document: &TaxDocument,
    ) -> StoreResult<bool>;
    /// The form without the document's bytes.
    async fn get_tax_form(&mut self, org: OrgId, affiliate: AffiliateId) -> StoreResult<Option<TaxForm>>;
    /// Every form of the organization (without documents' bytes), by affiliate id.
    async fn list_tax_forms(&mut self, org: OrgId) -> StoreResult<Vec<TaxForm>>;
    /// The stored document, sealed; `None` when there is none.
    async fn get_tax_document(&mut self, org: OrgId, affiliate: AffiliateId) -> StoreResult<Option<TaxDocument>>;
    /// What was paid out in the calendar `year` (UTC): the `Payout` ledger entries summed and
    /// negated (paid is positive), by affiliate and currency, ordered by affiliate id, then
    /// currency code. With `affiliate`, that affiliate's only.
    async fn paid_by_affiliate(
        &mut self,
        org: OrgId,
        year: i32,
        affiliate: Option<AffiliateId>,
    ) -> StoreResult<Vec<(AffiliateId, Currency, i64)>>;
    /// Records that the affiliate was reminded to send a tax form for `year`: true the first
    /// time, false ever after (also between concurrent transactions).
    async fn mark_tax_reminder(
        &mut self,
        org: OrgId,
        affiliate: AffiliateId,
        year: i32,
        at: OffsetDateTime,
    ) -> StoreResult<bool>;

    // Affiliate portal (see `portal_records.rs`): single-use sign-in links and sessions keyed
    // by an email address, an affiliate's own portal choices, and the portal home's sums.
    async fn insert_portal_sign_in(&mut self, link: &PortalSignIn) -> StoreResult<()>;
    async fn get_portal_sign_in(&mut self, id: uuid::Uuid) -> StoreResult<Option<PortalSignIn>>;
    async fn get_portal_sign_in_by_hash(&mut self, token_hash: &[u8]) -> StoreResult<Option<PortalSignIn>>;
    /// Marks the link used unless it already was: false for the loser of two redemptions.
    async fn use_portal_sign_in(&mut self, id: uuid::Uuid, at: OffsetDateTime) -> StoreResult<bool>;
    /// Links created for the address since `since` (the per-address rate limit).
    async fn count_portal_sign_ins(&mut self, email_key: &str, since: OffsetDateTime) -> StoreResult<i64>;
    async fn insert_portal_session(&mut self, session: &PortalSession) -> StoreResult<()>;
    async fn get_portal_session(&mut self, token_hash: &[u8]) -> StoreResult<Option<PortalSession>>;
    async fn delete_portal_session(&mut self, token_hash: &[u8]) -> StoreResult<bool>;
    /// The person's affiliate record in every organization, oldest first.
    async fn list_affiliates_by_email(&mut self, email_key: &str) -> StoreResult<Vec<Affiliate>>;
    async fn update_affiliate_profile(
        &mut self,
        org: OrgId,
        id: AffiliateId,
        name: Option<&str>,
        paypal_email: Option<&afflux_domain::Email>,
    ) -> StoreResult<bool>;
    async fn get_portal_prefs(&mut self, org: OrgId, affiliate: AffiliateId) -> StoreResult<Option<PortalPrefs>>;
    async fn set_portal_payout_method(
        &mut self,
        org: OrgId,
        affiliate: AffiliateId,
        method: afflux_domain::PayoutRail,
    ) -> StoreResult<bool>;
    /// Records the affiliate's one slug change; false when it was used already (or the
    /// affiliate is not the organization's).
    async fn mark_slug_changed(
        &mut self,
        org: OrgId,
        affiliate: AffiliateId,
        previous_slug: &str,
        at: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Takes the address off the suppression list (the person opted back in).
    async fn unsuppress_email(&mut self, email_key: &str) -> StoreResult<bool>;
    async fn affiliate_earnings(
        &mut self,
        org: OrgId,
        affiliate: AffiliateId,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<EarningsTotal>>;
    /// Clicks and conversions per day from the daily counters, `from` to `to` inclusive.
    async fn affiliate_activity(
        &mut self,
        org: OrgId,
        affiliate: AffiliateId,
        from: time::Date,
        to: time::Date,
    ) -> StoreResult<Vec<ActivityDay>>;
    /// Sales and leads ever, from the daily rollups.
    async fn affiliate_conversion_count(&mut self, org: OrgId, affiliate: AffiliateId) -> StoreResult<i64>;

    // --- Imports from other platforms (roster and history)

    /// Starts an import job; a conflict on `imports_one_running` means one is running already,
    /// on the idempotency index that the key was used.
    async fn insert_import(&mut self, import: &Import) -> StoreResult<()>;
    async fn get_import(&mut self, org: OrgId, id: ImportId) -> StoreResult<Option<Import>>;
    async fn get_import_by_idempotency_key(&mut self, org: OrgId, key: &str) -> StoreResult<Option<Import>>;
    /// Newest first.
    async fn list_imports(&mut self, org: OrgId, page: Page) -> StoreResult<Vec<Import>>;
    /// Running imports not touched since `before` (their process died).
    async fn stale_running_imports(&mut self, before: OffsetDateTime) -> StoreResult<Vec<Import>>;
    /// Writes status, counts and error; never the notify counters.
    async fn update_import(&mut self, import: &Import) -> StoreResult<bool>;
    /// Adds to the notify counters atomically (many sends update one import).
    async fn bump_import_notify(&mut self, id: ImportId, sent: i64, failed: i64, skipped: i64) -> StoreResult<()>;
    async fn insert_import_skips(&mut self, id: ImportId, skips: &[(i64, &str)]) -> StoreResult<()>;
    /// Skipped rows (line, reason code) in line order.
    async fn list_import_skips(&mut self, id: ImportId, limit: i64) -> StoreResult<Vec<(i64, String)>>;
    /// The organization's affiliates with these email keys.
    async fn affiliates_by_email(&mut self, org: OrgId, email_keys: &[String]) -> StoreResult<Vec<Affiliate>>;
    /// Which of these affiliates are members of the campaign already.
    async fn campaign_members(
        &mut self,
        campaign: CampaignId,
        affiliates: &[AffiliateId],
    ) -> StoreResult<Vec<AffiliateId>>;
    /// Which of these slug keys any affiliate of any organization holds.
    async fn taken_slugs(&mut self, slug_keys: &[String]) -> StoreResult<Vec<String>>;
    /// One batch of a roster import, tagged with the import, in multi-row statements.
    async fn insert_imported_roster(
        &mut self,
        id: ImportId,
        affiliates: &[Affiliate],
        memberships: &[Membership],
    ) -> StoreResult<()>;
    async fn tag_imported_conversions(&mut self, id: ImportId, conversions: &[ConversionId]) -> StoreResult<()>;
    async fn imported_conversions(&mut self, org: OrgId, id: ImportId) -> StoreResult<Vec<ConversionId>>;
    async fn revert_roster_import(&mut self, org: OrgId, id: ImportId) -> StoreResult<RevertCounts>;
    /// The first `limit` organizations, oldest first.
    async fn org_ids(&mut self, limit: i64) -> StoreResult<Vec<OrgId>>;

    // Promo tools (issue 7): each campaign's banners, email swipes and text links, in order.
    /// A banner comes with its image's bytes, other kinds without.
    async fn insert_promo_asset(&mut self, asset: &PromoAsset, image: Option<&[u8]>) -> StoreResult<()>;
    /// By position, then id.
    async fn list_promo_assets(&mut self, org: OrgId, campaign: CampaignId) -> StoreResult<Vec<PromoAsset>>;
    async fn get_promo_asset(&mut self, org: OrgId, id: PromoAssetId) -> StoreResult<Option<PromoAsset>>;
    /// A banner's content type and bytes, by id alone (banners are served publicly); `None`
    /// for any other kind.
    async fn get_promo_image(&mut self, id: PromoAssetId) -> StoreResult<Option<(String, Vec<u8>)>>;
    /// Swaps the asset's position with its nearest neighbour in that direction; false when the
    /// asset is missing or already first (last).
    async fn move_promo_asset(&mut self, org: OrgId, id: PromoAssetId, direction: PromoMove) -> StoreResult<bool>;
    async fn delete_promo_asset(&mut self, org: OrgId, id: PromoAssetId) -> StoreResult<bool>;

    // Applications (issue 7): organizations' public profiles, campaigns' application forms and
    // welcome sequences, the answers kept with memberships, team notification preferences.
    async fn get_org_profile(&mut self, org: OrgId) -> StoreResult<Option<OrgProfile>>;
    /// By the lower-case handle.
    async fn get_org_profile_by_handle(&mut self, handle: &str) -> StoreResult<Option<OrgProfile>>;
    /// Inserts or rewrites the profile. A handle another organization holds is a conflict on
    /// `handle`; a primary campaign that is not the organization's is stored as none.
    async fn put_org_profile(&mut self, profile: &OrgProfile) -> StoreResult<()>;
    /// `None` when the campaign keeps the default form (or is not the organization's).
    async fn get_application_form(&mut self, org: OrgId, campaign: CampaignId) -> StoreResult<Option<ApplicationForm>>;
    /// False, writing nothing, when the campaign is not the organization's.
    async fn put_application_form(
        &mut self,
        org: OrgId,
        campaign: CampaignId,
        form: &ApplicationForm,
        at: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// False, writing nothing, when the membership is not the organization's.
    async fn put_application_answers(
        &mut self,
        org: OrgId,
        membership: MembershipId,
        answers: &Answers,
        at: OffsetDateTime,
    ) -> StoreResult<bool>;
    async fn get_application_answers(&mut self, org: OrgId, membership: MembershipId) -> StoreResult<Option<Answers>>;
    /// The member's choice for an event; `None` when they never chose (the default applies).
    async fn get_notification_pref(&mut self, org: OrgId, user: UserId, event_key: &str) -> StoreResult<Option<bool>>;
    async fn set_notification_pref(
        &mut self,
        org: OrgId,
        user: UserId,
        event_key: &str,
        enabled: bool,
    ) -> StoreResult<()>;
    /// `None` when the campaign keeps the default sequence (or is not the organization's).
    async fn get_welcome_sequence(&mut self, org: OrgId, campaign: CampaignId) -> StoreResult<Option<WelcomeSequence>>;
    /// False, writing nothing, when the campaign is not the organization's.
    async fn put_welcome_sequence(
        &mut self,
        org: OrgId,
        campaign: CampaignId,
        sequence: &WelcomeSequence,
        at: OffsetDateTime,
    ) -> StoreResult<bool>;

    // --- Stripe Connect payouts
    /// Sets or clears the affiliate's connected account; false when the affiliate is not the
    /// organization's.
    async fn set_affiliate_stripe_account(
        &mut self,
        org: OrgId,
        id: AffiliateId,
        account: Option<&afflux_domain::StripeAccountId>,
    ) -> StoreResult<bool>;

    // --- Partner emails (issue 4, item 9)
    /// An affiliate's sales in a campaign for milestones: direct commissions of sales and
    /// renewals that are Pending, Approved or Paid, with the sale amounts net of refunds per
    /// currency (by code).
    async fn sales_totals(
        &mut self,
        org: OrgId,
        affiliate: AffiliateId,
        campaign: CampaignId,
    ) -> StoreResult<afflux_domain::SalesTotals>;
    /// The keys of the milestones the affiliate reached in the campaign.
    async fn reached_milestones(
        &mut self,
        org: OrgId,
        affiliate: AffiliateId,
        campaign: CampaignId,
    ) -> StoreResult<Vec<String>>;
    /// Records a milestone reached; false when it was before, or when the affiliate is not a
    /// member of the organization's campaign (nothing written).
    async fn mark_milestone(
        &mut self,
        org: OrgId,
        campaign: CampaignId,
        affiliate: AffiliateId,
        key: &str,
        at: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Organizations with approved commissions no payout holds and no reminder for `period`.
    async fn orgs_with_commissions_due(&mut self, period: &str) -> StoreResult<Vec<OrgId>>;
    /// Records the organization's reminder of `period`; false when it was recorded before.
    async fn mark_commissions_due_reminder(
        &mut self,
        org: OrgId,
        period: &str,
        at: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Approved commissions no payout holds, per currency (by code).
    async fn commissions_due(&mut self, org: OrgId) -> StoreResult<Vec<crate::DueTotal>>;
}
