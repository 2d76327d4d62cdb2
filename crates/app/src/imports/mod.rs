//! Migrations from other platforms: the roster (step 1) and the history and earnings (step 2),
//! from a vendor CSV or canonical JSON rows. Each import is a job of its organization, one at a
//! time, written in batches that each commit with the job's running counts, so a file of any
//! size streams through in flat memory and a crash leaves a Failed import whose landed rows
//! are tagged and can be reverted.

mod history;
mod notify;
mod roster;

use std::collections::BTreeMap;
use std::io::Read;

use afflux_domain::{
    Campaign, CampaignId, Import, ImportId, ImportKind, ImportStatus, OrgId, Organization, PlanTier, SubscriptionStatus,
};
use afflux_importers::{FileError, Parsed, Skip, Source};
use afflux_store::{Page, Tx};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tokio::sync::mpsc;

use crate::{Actor, App, AppError, AppResult, audit};

pub use history::{HistoryInput, HistoryPreview};
pub(crate) use notify::IMPORT_MAIL_JOB;
pub use notify::sanitize_note;
pub use roster::{RosterInput, RosterPreview};

/// Rows per batch: one transaction each, small enough to let the click writer interleave.
const BATCH: usize = 2_000;
/// At most this many JSON rows per API request.
pub const MAX_API_ROWS: usize = 1_000;
/// A Running import untouched this long lost its process.
const STALE_AFTER: time::Duration = time::Duration::minutes(10);

/// An import and the first skipped rows (line and reason, never the row's content).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportDetail {
    #[serde(flatten)]
    pub import: Import,
    pub skipped_rows: Vec<SkippedRow>,
    /// What happens to the source's old links.
    pub link_continuity: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SkippedRow {
    pub line: i64,
    pub reason: String,
}

/// What a file or a JSON request holds, read batch by batch.
pub(crate) enum Rows<T> {
    /// A parser over a file, run on a blocking thread.
    File(Box<dyn Iterator<Item = Parsed<T>> + Send>),
    /// JSON rows of an API request, already parsed.
    Memory(Vec<Parsed<T>>),
}

impl<T: Send + 'static> Rows<T> {
    /// Hands the rows over in batches; a file is parsed on a blocking thread while the
    /// previous batch is written.
    fn batches(self) -> mpsc::Receiver<Vec<Parsed<T>>> {
        let (tx, rx) = mpsc::channel(2);
        match self {
            Rows::File(mut rows) => {
                tokio::task::spawn_blocking(move || {
                    loop {
                        let batch: Vec<Parsed<T>> = rows.by_ref().take(BATCH).collect();
                        if batch.is_empty() || tx.blocking_send(batch).is_err() {
                            return;
                        }
                    }
                });
            }
            Rows::Memory(rows) => {
                tokio::spawn(async move {
                    let mut rows = rows.into_iter().peekable();
                    while rows.peek().is_some() {
                        let batch: Vec<Parsed<T>> = rows.by_ref().take(BATCH).collect();
                        if tx.send(batch).await.is_err() {
                            return;
                        }
                    }
                });
            }
        }
        rx
    }
}

/// The source platform named in a request.
pub(crate) fn source(name: &str) -> AppResult<Source> {
    Source::parse(name).ok_or_else(|| {
        AppError::Validation(afflux_domain::ValidationError::with_code(
            "source",
            "unknown_source",
            "must be one of rewardful, tapfiliate, firstpromoter, partnerstack, dub, tolt, custom",
        ))
    })
}

/// The header of a file is checked before anything is written.
pub(crate) fn file_error(e: FileError) -> AppError {
    AppError::Validation(afflux_domain::ValidationError::with_code(
        e.field.as_deref().unwrap_or("file"),
        e.code,
        e.message,
    ))
}

/// A reader that can move to the parser's thread.
pub type ImportFile = Box<dyn Read + Send>;

/// How the caller learns about progress (rows handled so far).
pub type Progress<'a> = &'a (dyn Fn(i64) + Send + Sync);

/// Records skipped rows for the import and logs why (the detail may quote the row: logs only).
pub(crate) fn note_skip(import: Option<ImportId>, skip: &Skip, skips: &mut Vec<(i64, &'static str)>) {
    tracing::info!(import = ?import, line = skip.line, reason = skip.reason.code(), detail = %skip.detail, "import row skipped");
    skips.push((skip.line as i64, skip.reason.code()));
}

/// Counts of a batch, by reason.
pub(crate) fn count_reasons(skips: &[(i64, &'static str)]) -> Vec<(String, i64)> {
    let mut by: BTreeMap<&str, i64> = BTreeMap::new();
    for (_, reason) in skips {
        *by.entry(reason).or_default() += 1;
    }
    by.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// The importer: Starter or higher, paid or trialing.
fn require_importer(org: &Organization) -> AppResult<()> {
    let standing = matches!(
        org.subscription_status,
        SubscriptionStatus::Active | SubscriptionStatus::Trialing
    );
    if standing && org.plan >= PlanTier::Starter {
        Ok(())
    } else {
        Err(AppError::PlanRequired {
            required: PlanTier::Starter,
            status: org.subscription_status,
        })
    }
}

/// Auto-notify is a bulk send: Growth or higher with an Active subscription.
pub(crate) fn require_notify(org: &Organization) -> AppResult<()> {
    if org.plan >= PlanTier::Growth && org.subscription_status == SubscriptionStatus::Active {
        Ok(())
    } else {
        Err(AppError::PaidPlanRequired {
            required: PlanTier::Growth,
            status: org.subscription_status,
        })
    }
}

/// A fingerprint of an API request, so an Idempotency-Key reused for another body is refused.
pub(crate) fn request_hash(body: &impl Serialize) -> String {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    hex::encode(Sha256::digest(bytes))
}

/// What every import starts with.
pub(crate) struct Start<'a> {
    pub kind: ImportKind,
    pub source: &'a str,
    pub campaign: &'a str,
    pub confirm_unpaid_payout: bool,
    pub note_html: Option<String>,
    pub idempotency: Option<(String, String)>,
}

/// Either a new Running import, or the one an earlier request with the same key created.
pub(crate) enum Started {
    New(Box<(Import, Campaign)>),
    Replay(Box<Import>),
}

impl App {
    /// Creates the Running import after the checks every import shares: permission, plan,
    /// campaign, idempotency and one import at a time.
    pub(crate) async fn start_import(&self, actor: &Actor, start: Start<'_>) -> AppResult<Started> {
        actor.authorize(afflux_domain::Permission::ManageAffiliates, true)?;
        let mut tx = self.store().write().await?;
        let org = tx
            .get_org(actor.org_id)
            .await?
            .ok_or(AppError::NotFound("organization"))?;
        require_importer(&org)?;
        if start.note_html.is_some() {
            require_notify(&org)?;
        }
        if let Some((key, hash)) = &start.idempotency
            && let Some(existing) = tx.get_import_by_idempotency_key(org.id, key).await?
        {
            if existing.request_hash.as_deref() != Some(hash.as_str()) {
                return Err(AppError::conflict(
                    "idempotency_key_reused",
                    Some("Idempotency-Key"),
                    "this Idempotency-Key was used for a different request",
                ));
            }
            return Ok(Started::Replay(Box::new(existing)));
        }
        let campaign = self.campaign_by_ref(tx.as_mut(), org.id, start.campaign).await?;
        let now = OffsetDateTime::now_utc();
        let import = Import {
            id: ImportId::new(),
            org_id: org.id,
            kind: start.kind,
            source: start.source.to_owned(),
            campaign_id: campaign.id,
            status: ImportStatus::Running,
            actor: actor.audit_name(),
            rows_total: 0,
            rows_imported: 0,
            rows_skipped: 0,
            skips: BTreeMap::new(),
            payable: BTreeMap::new(),
            settled: BTreeMap::new(),
            confirm_unpaid_payout: start.confirm_unpaid_payout,
            notify: start.note_html.is_some(),
            note_html: start.note_html,
            notify_sent: 0,
            notify_failed: 0,
            notify_skipped: 0,
            idempotency_key: start.idempotency.as_ref().map(|(k, _)| k.clone()),
            request_hash: start.idempotency.map(|(_, h)| h),
            error: None,
            created_at: now,
            updated_at: now,
            finished_at: None,
        };
        match tx.insert_import(&import).await {
            Ok(()) => {}
            Err(e) if e.is_conflict_on("idempotency") => {
                return Err(AppError::conflict(
                    "idempotency_key_reused",
                    Some("Idempotency-Key"),
                    "a request with this Idempotency-Key is being processed",
                ));
            }
            Err(afflux_store::StoreError::Conflict { .. }) => {
                return Err(AppError::conflict(
                    "import_in_progress",
                    None,
                    "another import of this organization is running; wait for it to finish",
                ));
            }
            Err(e) => return Err(e.into()),
        }
        tx.commit().await?;
        Ok(Started::New(Box::new((import, campaign))))
    }

    /// A campaign named by id or slug, of this organization.
    pub(crate) async fn campaign_by_ref(&self, tx: &mut dyn Tx, org: OrgId, reference: &str) -> AppResult<Campaign> {
        let found = match reference.parse::<CampaignId>() {
            Ok(id) => tx.get_campaign(org, id).await?,
            Err(_) => tx.get_campaign_by_slug(org, &reference.trim().to_lowercase()).await?,
        };
        found.ok_or(AppError::NotFound("campaign"))
    }

    /// Marks the import finished and writes `migration.completed`.
    pub(crate) async fn complete_import(&self, import: &mut Import) -> AppResult<()> {
        let mut tx = self.store().write().await?;
        let now = OffsetDateTime::now_utc();
        import.status = ImportStatus::Completed;
        import.updated_at = now;
        import.finished_at = Some(now);
        tx.update_import(import).await?;
        audit::record(
            tx.as_mut(),
            import.org_id,
            &import.actor,
            "migration.completed",
            ("import", &import.id),
            None::<&()>,
            Some(&*import),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks the import Failed and tells the Owners and Admins; the cause goes to the log.
    pub(crate) async fn fail_import(&self, import: &mut Import, cause: &AppError) {
        tracing::error!(import = %import.id, error = %cause, "import failed");
        let result: AppResult<()> = async {
            let mut tx = self.store().write().await?;
            let now = OffsetDateTime::now_utc();
            import.status = ImportStatus::Failed;
            import.error =
                Some("the import stopped on an internal error; the rows already imported can be reverted".into());
            import.updated_at = now;
            import.finished_at = Some(now);
            tx.update_import(import).await?;
            audit::record(
                tx.as_mut(),
                import.org_id,
                &import.actor,
                "migration.failed",
                ("import", &import.id),
                None::<&()>,
                Some(&*import),
            )
            .await?;
            self.enqueue_import_failed_mail(tx.as_mut(), import).await?;
            tx.commit().await?;
            Ok(())
        }
        .await;
        if let Err(e) = result {
            tracing::error!(import = %import.id, error = %e, "recording an import failure failed");
        }
    }

    /// Imports left Running by a process that died are Failed (worker sweep).
    pub async fn fail_stale_imports(&self) -> AppResult<usize> {
        let stale = {
            let mut tx = self.store().read().await?;
            tx.stale_running_imports(OffsetDateTime::now_utc() - STALE_AFTER)
                .await?
        };
        let n = stale.len();
        for mut import in stale {
            let cause = AppError::Internal(anyhow::anyhow!("the process running the import stopped"));
            self.fail_import(&mut import, &cause).await;
        }
        Ok(n)
    }

    pub async fn list_imports(&self, actor: &Actor, page: Page) -> AppResult<Vec<Import>> {
        actor.authorize(afflux_domain::Permission::ViewData, false)?;
        let mut tx = self.store().read().await?;
        Ok(tx.list_imports(actor.org_id, page).await?)
    }

    pub async fn import_detail(&self, actor: &Actor, id: ImportId) -> AppResult<ImportDetail> {
        actor.authorize(afflux_domain::Permission::ViewData, false)?;
        let mut tx = self.store().read().await?;
        let import = tx
            .get_import(actor.org_id, id)
            .await?
            .ok_or(AppError::NotFound("import"))?;
        detail(tx.as_mut(), import).await
    }

    /// Undoes an import. A roster import removes the memberships it created that have no
    /// activity yet (and the affiliates it created that nothing refers to); a history import
    /// reverses the commissions it recorded that are not in a payout, on the ledger.
    pub async fn revert_import(&self, actor: &Actor, id: ImportId) -> AppResult<ImportDetail> {
        actor.authorize(afflux_domain::Permission::ManageAffiliates, true)?;
        let mut tx = self.store().write().await?;
        let mut import = tx
            .get_import(actor.org_id, id)
            .await?
            .ok_or(AppError::NotFound("import"))?;
        match import.status {
            ImportStatus::Running => {
                return Err(AppError::conflict(
                    "import_in_progress",
                    None,
                    "this import is still running",
                ));
            }
            ImportStatus::Reverted => {
                return Err(AppError::conflict(
                    "already_reverted",
                    None,
                    "this import was reverted already",
                ));
            }
            ImportStatus::Completed | ImportStatus::Failed => {}
        }
        let summary = match import.kind {
            ImportKind::Roster => {
                let counts = tx.revert_roster_import(actor.org_id, id).await?;
                serde_json::json!({
                    "membershipsRemoved": counts.memberships_removed,
                    "affiliatesRemoved": counts.affiliates_removed,
                    "membershipsKeptWithActivity": counts.memberships_kept,
                })
            }
            ImportKind::History => history::revert(tx.as_mut(), &import).await?,
        };
        let now = OffsetDateTime::now_utc();
        import.status = ImportStatus::Reverted;
        import.updated_at = now;
        tx.update_import(&import).await?;
        audit::record(
            tx.as_mut(),
            import.org_id,
            &actor.audit_name(),
            "migration.reverted",
            ("import", &import.id),
            None::<&()>,
            Some(&summary),
        )
        .await?;
        // Pending claim emails of a reverted import are dropped at send time (the import is
        // no longer Completed).
        let detail = detail(tx.as_mut(), import).await?;
        tx.commit().await?;
        Ok(detail)
    }
}

async fn detail(tx: &mut dyn Tx, import: Import) -> AppResult<ImportDetail> {
    let skipped_rows = tx
        .list_import_skips(import.id, 1_000)
        .await?
        .into_iter()
        .map(|(line, reason)| SkippedRow { line, reason })
        .collect();
    let link_continuity = afflux_importers::Source::parse(&import.source)
        .filter(|_| import.kind == ImportKind::Roster)
        .map(|s| s.continuity_note());
    Ok(ImportDetail {
        import,
        skipped_rows,
        link_continuity,
    })
}
