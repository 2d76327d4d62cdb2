//! Step 1: the affiliate roster. Emails are the dedup key within the organization; an
//! affiliate already in the target campaign is skipped (`already_exists`), one of another
//! campaign gets a membership here. The source's slug is kept when it is valid and free, else
//! the affiliate gets a fresh 12-character one.

use std::collections::{BTreeMap, HashMap, HashSet};

use afflux_domain::{
    Affiliate, AffiliateId, AffiliateStatus, Campaign, Import, ImportKind, Membership, MembershipId, Slug,
};
use afflux_importers::{CanonicalAffiliate, ColumnMapping, Parsed, RosterRow, SkipReason, Source};
use afflux_store::Tx;
use serde::Serialize;
use time::OffsetDateTime;

use super::{
    ImportDetail, ImportFile, MAX_API_ROWS, Progress, Rows, Start, Started, count_reasons, detail, file_error,
    note_skip, request_hash, source,
};
use crate::{Actor, App, AppError, AppResult};

/// A roster import request.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RosterInput {
    /// `rewardful`, `tapfiliate`, `firstpromoter`, `partnerstack`, `dub`, `tolt` or `custom`.
    pub source: String,
    /// The destination campaign, by id or slug.
    pub campaign: String,
    /// The column mapping of a custom CSV.
    pub mapping: Option<ColumnMapping>,
    /// Auto-notify: the personal note (HTML, sanitized here); `None` sends nothing.
    pub note_html: Option<String>,
    /// JSON imports only: import only rows of these statuses.
    pub status_filter: Option<Vec<AffiliateStatus>>,
}

/// What a dry run of a roster file would do.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RosterPreview {
    pub rows_total: i64,
    pub would_import: i64,
    pub skips: BTreeMap<String, i64>,
    /// How many keep their slug from the source.
    pub slugs_preserved: i64,
    pub link_continuity: &'static str,
}

/// State carried from batch to batch.
struct Batcher {
    campaign: Campaign,
    /// Affiliates imported (for auto-notify), when it is on.
    imported: Vec<AffiliateId>,
    status_filter: Option<Vec<AffiliateStatus>>,
    sync_integrations: Vec<afflux_domain::IntegrationId>,
    /// Dry runs see nothing written: they remember what earlier batches would have taken.
    dry: Option<DrySeen>,
}

#[derive(Default)]
struct DrySeen {
    emails: HashSet<String>,
    slugs: HashSet<String>,
    preserved: i64,
}

impl App {
    /// Imports a roster CSV, batch by batch; `progress` hears the rows handled so far.
    pub async fn import_roster_file(
        &self,
        actor: &Actor,
        input: RosterInput,
        file: ImportFile,
        progress: Progress<'_>,
    ) -> AppResult<ImportDetail> {
        let src = source(&input.source)?;
        if src == Source::Custom && input.mapping.is_none() {
            return Err(AppError::Validation(afflux_domain::ValidationError::with_code(
                "mapping",
                "mapping_required",
                "a custom CSV needs a column mapping (at least the email column)",
            )));
        }
        let reader = afflux_importers::roster(src, input.mapping.as_ref(), file).map_err(file_error)?;
        let note = input.note_html.as_deref().map(super::sanitize_note).transpose()?;
        let start = Start {
            kind: ImportKind::Roster,
            source: src.as_str(),
            campaign: &input.campaign,
            confirm_unpaid_payout: false,
            note_html: note,
            idempotency: None,
        };
        self.run_roster(actor, start, Rows::File(Box::new(reader)), None, progress)
            .await
    }

    /// `POST /api/v1/affiliates/import`: canonical JSON rows, at most 1,000.
    pub async fn import_affiliates_json(
        &self,
        actor: &Actor,
        input: RosterInput,
        rows: Vec<CanonicalAffiliate>,
        idempotency_key: Option<String>,
    ) -> AppResult<ImportDetail> {
        check_row_count(rows.len())?;
        let note = input.note_html.as_deref().map(super::sanitize_note).transpose()?;
        let hash = request_hash(&(&input.campaign, &rows, &note, &input.status_filter));
        let parsed = rows.iter().enumerate().map(|(i, r)| r.parse(i as u64 + 1)).collect();
        let start = Start {
            kind: ImportKind::Roster,
            source: "api",
            campaign: &input.campaign,
            confirm_unpaid_payout: false,
            note_html: note,
            idempotency: idempotency_key.map(|k| (k, hash)),
        };
        self.run_roster(actor, start, Rows::Memory(parsed), input.status_filter, &|_| {})
            .await
    }

    /// A dry run of a roster file: what would import and what would be skipped, writing nothing.
    pub async fn preview_roster_file(
        &self,
        actor: &Actor,
        input: RosterInput,
        file: ImportFile,
    ) -> AppResult<RosterPreview> {
        actor.authorize(afflux_domain::Permission::ViewData, false)?;
        let src = source(&input.source)?;
        let reader = afflux_importers::roster(src, input.mapping.as_ref(), file).map_err(file_error)?;
        let campaign = {
            let mut tx = self.store().read().await?;
            self.campaign_by_ref(tx.as_mut(), actor.org_id, &input.campaign).await?
        };
        let mut batcher = Batcher {
            campaign,
            imported: vec![],
            status_filter: None,
            sync_integrations: vec![],
            dry: Some(DrySeen::default()),
        };
        let mut preview = RosterPreview {
            link_continuity: src.continuity_note(),
            ..RosterPreview::default()
        };
        let mut batches = Rows::File(Box::new(reader)).batches();
        while let Some(batch) = batches.recv().await {
            let mut tx = self.store().read().await?;
            let (imported, skips) = self.roster_batch(tx.as_mut(), None, &mut batcher, batch).await?;
            preview.would_import += imported;
            for (reason, n) in count_reasons(&skips) {
                *preview.skips.entry(reason).or_default() += n;
                preview.rows_total += n;
            }
            preview.rows_total += imported;
        }
        preview.slugs_preserved = batcher.dry.map(|d| d.preserved).unwrap_or_default();
        Ok(preview)
    }

    async fn run_roster(
        &self,
        actor: &Actor,
        start: Start<'_>,
        rows: Rows<RosterRow>,
        status_filter: Option<Vec<AffiliateStatus>>,
        progress: Progress<'_>,
    ) -> AppResult<ImportDetail> {
        let (mut import, campaign) = match self.start_import(actor, start).await? {
            Started::Replay(import) => {
                let mut tx = self.store().read().await?;
                return detail(tx.as_mut(), *import).await;
            }
            Started::New(started) => *started,
        };
        let sync_integrations = {
            let mut tx = self.store().read().await?;
            tx.list_integrations(import.org_id)
                .await?
                .into_iter()
                .filter(|i| i.settings.sync_on_import)
                .map(|i| i.id)
                .collect()
        };
        let mut batcher = Batcher {
            campaign,
            imported: vec![],
            status_filter,
            sync_integrations,
            dry: None,
        };
        let mut batches = rows.batches();
        while let Some(batch) = batches.recv().await {
            if let Err(e) = self.write_roster_batch(&mut import, &mut batcher, batch).await {
                self.fail_import(&mut import, &e).await;
                return Err(e);
            }
            progress(import.rows_total);
        }
        self.complete_import(&mut import).await?;
        if import.notify {
            self.queue_claim_emails(&import, &batcher.imported).await?;
        }
        let mut tx = self.store().read().await?;
        let import = tx.get_import(import.org_id, import.id).await?.unwrap_or(import);
        detail(tx.as_mut(), import).await
    }

    async fn write_roster_batch(
        &self,
        import: &mut Import,
        batcher: &mut Batcher,
        batch: Vec<Parsed<RosterRow>>,
    ) -> AppResult<()> {
        let mut tx = self.store().write().await?;
        let (imported, skips) = self.roster_batch(tx.as_mut(), Some(import), batcher, batch).await?;
        tx.insert_import_skips(import.id, &skips).await?;
        import.tally(imported, &count_reasons(&skips));
        import.updated_at = OffsetDateTime::now_utc();
        tx.update_import(import).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Decides each row of a batch and, unless this is a dry run (`import` is None), writes
    /// the new affiliates and memberships. Answers the imported count and the skipped rows.
    async fn roster_batch(
        &self,
        tx: &mut dyn Tx,
        import: Option<&Import>,
        batcher: &mut Batcher,
        batch: Vec<Parsed<RosterRow>>,
    ) -> AppResult<(i64, Vec<(i64, &'static str)>)> {
        let org = batcher.campaign.org_id;
        let import_id = import.map(|i| i.id);
        let mut skips = vec![];
        let mut rows = Vec::with_capacity(batch.len());
        let mut seen = HashSet::new();
        for item in batch {
            match item {
                Parsed::Skip(skip) => note_skip(import_id, &skip, &mut skips),
                Parsed::Row(row) => {
                    if let Some(filter) = &batcher.status_filter
                        && !filter.contains(&row.status)
                    {
                        skips.push((row.line as i64, "status_filtered"));
                        continue;
                    }
                    let key = row.email.key();
                    let earlier = batcher.dry.as_ref().is_some_and(|d| d.emails.contains(&key));
                    if earlier || !seen.insert(key) {
                        skips.push((row.line as i64, SkipReason::AlreadyExists.code()));
                        continue;
                    }
                    rows.push(row);
                }
            }
        }
        let keys: Vec<String> = rows.iter().map(|r| r.email.key()).collect();
        let existing: HashMap<String, Affiliate> = tx
            .affiliates_by_email(org, &keys)
            .await?
            .into_iter()
            .map(|a| (a.email.key(), a))
            .collect();
        let known: Vec<AffiliateId> = existing.values().map(|a| a.id).collect();
        let members: HashSet<AffiliateId> = tx
            .campaign_members(batcher.campaign.id, &known)
            .await?
            .into_iter()
            .collect();
        let wanted: Vec<String> = rows.iter().filter_map(|r| r.slug.as_ref().map(Slug::key)).collect();
        let mut taken: HashSet<String> = tx.taken_slugs(&wanted).await?.into_iter().collect();
        let now = OffsetDateTime::now_utc();
        let mut affiliates = vec![];
        let mut memberships = vec![];
        for row in rows {
            let key = row.email.key();
            let affiliate_id = match existing.get(&key) {
                Some(a) if members.contains(&a.id) => {
                    skips.push((row.line as i64, SkipReason::AlreadyExists.code()));
                    continue;
                }
                Some(a) => a.id,
                None => {
                    let slug = match row.slug {
                        Some(s)
                            if !taken.contains(&s.key())
                                && !batcher.dry.as_ref().is_some_and(|d| d.slugs.contains(&s.key())) =>
                        {
                            if let Some(d) = batcher.dry.as_mut() {
                                d.preserved += 1;
                            }
                            s
                        }
                        _ => Slug::generate(),
                    };
                    taken.insert(slug.key());
                    if let Some(d) = batcher.dry.as_mut() {
                        d.slugs.insert(slug.key());
                    }
                    let affiliate = Affiliate {
                        id: AffiliateId::new(),
                        org_id: org,
                        email: row.email,
                        name: row.name,
                        paypal_email: row.paypal_email,
                        stripe_account_id: None,
                        slug,
                        created_at: now,
                    };
                    let id = affiliate.id;
                    affiliates.push(affiliate);
                    id
                }
            };
            if let Some(d) = batcher.dry.as_mut() {
                d.emails.insert(key);
            }
            memberships.push(Membership {
                id: MembershipId::new(),
                org_id: org,
                affiliate_id,
                campaign_id: batcher.campaign.id,
                status: row.status,
                commission_override: None,
                recruited_by: None,
                status_reason: None,
                created_at: now,
                status_changed_at: now,
            });
        }
        let imported = memberships.len() as i64;
        if let Some(import) = import {
            tx.insert_imported_roster(import.id, &affiliates, &memberships).await?;
            for m in memberships.iter().filter(|m| m.status == AffiliateStatus::Approved) {
                for integration in &batcher.sync_integrations {
                    self.schedule_crm_sync(tx, org, *integration, m.affiliate_id).await?;
                }
            }
            if import.notify {
                batcher.imported.extend(memberships.iter().map(|m| m.affiliate_id));
            }
        }
        Ok((imported, skips))
    }
}

pub(super) fn check_row_count(n: usize) -> AppResult<()> {
    if n == 0 || n > MAX_API_ROWS {
        return Err(AppError::Validation(afflux_domain::ValidationError::with_code(
            "rows",
            "invalid_row_count",
            format!("send 1 to {MAX_API_ROWS} rows per request"),
        )));
    }
    Ok(())
}
