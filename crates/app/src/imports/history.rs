//! Step 2: history and earnings. Each row becomes a conversion (Source Imported) with its
//! commission taken verbatim from the export, matched to an affiliate of the campaign by email
//! or preserved slug. Paid rows are settled history: earned and paid on the ledger at once, in
//! lifetime totals, never payable. Unpaid rows are settled the same way unless the brand
//! confirmed `confirmUnpaidPayout`, when they are Approved and wait for the next payout run the
//! brand starts. Stripe customer ids seed the customer binding so renewals keep crediting.

use std::collections::{BTreeMap, HashMap, HashSet};

use afflux_domain::{
    AffiliateId, Campaign, Commission, CommissionId, CommissionKind, CommissionStatus, Conversion, ConversionId,
    ConversionProvider, ConversionSource, ConversionType, Import, ImportKind, LedgerEntry, LedgerEntryId, LedgerKind,
    Money,
};
use afflux_importers::{CanonicalConversion, HistoryRow, HistoryState, Parsed, SkipReason};
use afflux_store::{CommissionFilter, CustomerBinding, Page, Tx};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::roster::check_row_count;
use super::{
    ImportDetail, ImportFile, Progress, Rows, Start, Started, count_reasons, detail, file_error, note_skip, source,
};
use crate::{Actor, App, AppResult};

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryInput {
    pub source: String,
    /// The campaign whose affiliates the rows belong to, by id or slug.
    pub campaign: String,
    /// Unpaid rows become payable in the next payout run (else settled history).
    pub confirm_unpaid_payout: bool,
}

/// What a history import would do: rows, skips by reason, and the money per currency that
/// would become payable (only with `confirmUnpaidPayout`) or be recorded as settled.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryPreview {
    pub rows_total: i64,
    pub would_import: i64,
    pub skips: BTreeMap<String, i64>,
    pub payable: BTreeMap<String, i64>,
    pub settled: BTreeMap<String, i64>,
    /// Unpaid commissions in the file, per currency, whatever the choice.
    pub unpaid: BTreeMap<String, i64>,
    pub confirm_unpaid_payout: bool,
}

/// Where a run writes: a real import, or a preview accumulating its figures.
enum Sink<'a> {
    Write(&'a mut Import),
    Preview(&'a mut HistoryPreview),
}

impl App {
    pub async fn import_history_file(
        &self,
        actor: &Actor,
        input: HistoryInput,
        file: ImportFile,
        progress: Progress<'_>,
    ) -> AppResult<ImportDetail> {
        let src = source(&input.source)?;
        let reader = afflux_importers::history(src, file).map_err(file_error)?;
        let start = Start {
            kind: ImportKind::History,
            source: src.as_str(),
            campaign: &input.campaign,
            confirm_unpaid_payout: input.confirm_unpaid_payout,
            note_html: None,
            idempotency: None,
        };
        self.run_history(actor, start, Rows::File(Box::new(reader)), progress)
            .await
    }

    pub async fn preview_history_file(
        &self,
        actor: &Actor,
        input: HistoryInput,
        file: ImportFile,
    ) -> AppResult<HistoryPreview> {
        let src = source(&input.source)?;
        let reader = afflux_importers::history(src, file).map_err(file_error)?;
        self.preview_history(actor, &input, src.as_str(), Rows::File(Box::new(reader)))
            .await
    }

    /// `POST /api/v1/conversions/import`: canonical JSON rows, at most 1,000.
    pub async fn import_conversions_json(
        &self,
        actor: &Actor,
        input: HistoryInput,
        rows: Vec<CanonicalConversion>,
        idempotency_key: Option<String>,
    ) -> AppResult<ImportDetail> {
        check_row_count(rows.len())?;
        let hash = super::request_hash(&(&input, &rows));
        let start = Start {
            kind: ImportKind::History,
            source: "api",
            campaign: &input.campaign,
            confirm_unpaid_payout: input.confirm_unpaid_payout,
            note_html: None,
            idempotency: idempotency_key.map(|k| (k, hash)),
        };
        self.run_history(actor, start, Rows::Memory(parse_json(&rows)), &|_| {})
            .await
    }

    /// `POST /api/v1/conversions/import/preview`.
    pub async fn preview_conversions_json(
        &self,
        actor: &Actor,
        input: HistoryInput,
        rows: Vec<CanonicalConversion>,
    ) -> AppResult<HistoryPreview> {
        check_row_count(rows.len())?;
        self.preview_history(actor, &input, "api", Rows::Memory(parse_json(&rows)))
            .await
    }

    async fn preview_history(
        &self,
        actor: &Actor,
        input: &HistoryInput,
        source: &str,
        rows: Rows<HistoryRow>,
    ) -> AppResult<HistoryPreview> {
        actor.authorize(afflux_domain::Permission::ViewData, false)?;
        let campaign = {
            let mut tx = self.store().read().await?;
            self.campaign_by_ref(tx.as_mut(), actor.org_id, &input.campaign).await?
        };
        let mut preview = HistoryPreview {
            confirm_unpaid_payout: input.confirm_unpaid_payout,
            ..HistoryPreview::default()
        };
        let mut seen = HashSet::new();
        let mut batches = rows.batches();
        while let Some(batch) = batches.recv().await {
            let mut tx = self.store().read().await?;
            let ctx = Ctx {
                campaign: &campaign,
                source,
                confirm: input.confirm_unpaid_payout,
            };
            history_batch(tx.as_mut(), &ctx, Sink::Preview(&mut preview), &mut seen, batch).await?;
        }
        Ok(preview)
    }

    async fn run_history(
        &self,
        actor: &Actor,
        start: Start<'_>,
        rows: Rows<HistoryRow>,
        progress: Progress<'_>,
    ) -> AppResult<ImportDetail> {
        let source = start.source.to_owned();
        let (mut import, campaign) = match self.start_import(actor, start).await? {
            Started::Replay(import) => {
                let mut tx = self.store().read().await?;
                return detail(tx.as_mut(), *import).await;
            }
            Started::New(started) => *started,
        };
        let mut batches = rows.batches();
        let mut seen = HashSet::new();
        while let Some(batch) = batches.recv().await {
            let ctx = Ctx {
                campaign: &campaign,
                source: &source,
                confirm: import.confirm_unpaid_payout,
            };
            let written: AppResult<()> = async {
                let mut tx = self.store().write().await?;
                history_batch(tx.as_mut(), &ctx, Sink::Write(&mut import), &mut seen, batch).await?;
                import.updated_at = OffsetDateTime::now_utc();
                tx.update_import(&import).await?;
                tx.commit().await?;
                Ok(())
            }
            .await;
            if let Err(e) = written {
                self.fail_import(&mut import, &e).await;
                return Err(e);
            }
            progress(import.rows_total);
        }
        self.complete_import(&mut import).await?;
        let mut tx = self.store().read().await?;
        detail(tx.as_mut(), import).await
    }
}

fn parse_json(rows: &[CanonicalConversion]) -> Vec<Parsed<HistoryRow>> {
    rows.iter().enumerate().map(|(i, r)| r.parse(i as u64 + 1)).collect()
}

struct Ctx<'a> {
    campaign: &'a Campaign,
    source: &'a str,
    confirm: bool,
}

/// The id that makes a re-run skip the rows it imported before: the source's commission id,
/// else a digest of what identifies the row.
fn external_id(source: &str, row: &HistoryRow) -> String {
    match &row.external_id {
        Some(id) => format!("import:{source}:{id}"),
        None => {
            let who = row
                .affiliate_email
                .as_ref()
                .map(|e| e.key())
                .or_else(|| row.affiliate_slug.clone())
                .unwrap_or_default();
            let digest = Sha256::digest(format!(
                "{who}|{}|{}|{}|{:?}|{:?}",
                row.occurred_at.unix_timestamp(),
                row.commission_minor,
                row.currency.code(),
                row.sale_amount_minor,
                row.stripe_customer_id,
            ));
            format!("import:{source}:h:{}", hex::encode(&digest[..12]))
        }
    }
}

/// Matches each row's affiliate within the campaign.
async fn affiliates_of(
    tx: &mut dyn Tx,
    campaign: &Campaign,
    rows: &[HistoryRow],
) -> AppResult<Vec<Option<AffiliateId>>> {
    let org = campaign.org_id;
    let emails: Vec<String> = rows
        .iter()
        .filter_map(|r| r.affiliate_email.as_ref().map(|e| e.key()))
        .collect();
    let by_email: HashMap<String, AffiliateId> = tx
        .affiliates_by_email(org, &emails)
        .await?
        .into_iter()
        .map(|a| (a.email.key(), a.id))
        .collect();
    let mut by_slug: HashMap<String, Option<AffiliateId>> = HashMap::new();
    let mut found = Vec::with_capacity(rows.len());
    for row in rows {
        let mut id = row
            .affiliate_email
            .as_ref()
            .and_then(|e| by_email.get(&e.key()).copied());
        if id.is_none()
            && let Some(slug) = &row.affiliate_slug
        {
            let key = slug.trim().to_lowercase();
            if !by_slug.contains_key(&key) {
                let a = tx.get_affiliate_by_slug(&key).await?.filter(|a| a.org_id == org);
                by_slug.insert(key.clone(), a.map(|a| a.id));
            }
            id = by_slug[&key];
        }
        found.push(id);
    }
    let candidates: Vec<AffiliateId> = found.iter().flatten().copied().collect();
    let members: HashSet<AffiliateId> = tx
        .campaign_members(campaign.id, &candidates)
        .await?
        .into_iter()
        .collect();
    Ok(found
        .into_iter()
        .map(|id| id.filter(|id| members.contains(id)))
        .collect())
}

async fn history_batch(
    tx: &mut dyn Tx,
    ctx: &Ctx<'_>,
    sink: Sink<'_>,
    seen: &mut HashSet<String>,
    batch: Vec<Parsed<HistoryRow>>,
) -> AppResult<()> {
    let import_id = match &sink {
        Sink::Write(i) => Some(i.id),
        Sink::Preview(_) => None,
    };
    let mut skips = vec![];
    let mut rows = vec![];
    for item in batch {
        match item {
            Parsed::Skip(skip) => note_skip(import_id, &skip, &mut skips),
            Parsed::Row(row) => rows.push(row),
        }
    }
    let affiliates = affiliates_of(tx, ctx.campaign, &rows).await?;
    let now = OffsetDateTime::now_utc();
    let mut conversions = vec![];
    for (row, affiliate) in rows.into_iter().zip(affiliates) {
        let Some(affiliate_id) = affiliate else {
            skips.push((row.line as i64, SkipReason::UnknownAffiliate.code()));
            continue;
        };
        let external_id = external_id(ctx.source, &row);
        if !seen.insert(external_id.clone()) {
            skips.push((row.line as i64, SkipReason::AlreadyExists.code()));
            continue;
        }
        conversions.push((conversion(ctx, &row, affiliate_id, external_id, now), row));
    }
    match sink {
        Sink::Preview(preview) => {
            let mut imported = 0;
            for (c, row) in &conversions {
                let exists = tx
                    .get_conversion_by_external_id(c.org_id, ConversionProvider::Import, &c.external_id)
                    .await?
                    .is_some();
                if exists {
                    skips.push((row.line as i64, SkipReason::AlreadyExists.code()));
                    continue;
                }
                imported += 1;
                let currency = c.commission.currency.code();
                if row.state == HistoryState::Unpaid {
                    Import::add_money(&mut preview.unpaid, currency, c.commission.minor);
                }
                let map = if c.status == CommissionStatus::Approved {
                    &mut preview.payable
                } else {
                    &mut preview.settled
                };
                Import::add_money(map, currency, c.commission.minor);
            }
            preview.would_import += imported;
            preview.rows_total += imported;
            for (reason, n) in count_reasons(&skips) {
                *preview.skips.entry(reason).or_default() += n;
                preview.rows_total += n;
            }
        }
        Sink::Write(import) => {
            let list: Vec<Conversion> = conversions.iter().map(|(c, _)| c.clone()).collect();
            let inserted = tx.insert_conversions(&list).await?;
            let mut commissions = vec![];
            let mut ledger = vec![];
            let mut bindings = vec![];
            let mut tagged = vec![];
            for ((c, row), new) in conversions.iter().zip(inserted) {
                if !new {
                    skips.push((row.line as i64, SkipReason::AlreadyExists.code()));
                    continue;
                }
                tagged.push(c.id);
                let (commission, entries) = money_rows(c, ctx.source, now);
                let currency = c.commission.currency.code();
                if commission.status == CommissionStatus::Approved {
                    Import::add_money(&mut import.payable, currency, c.commission.minor);
                } else {
                    Import::add_money(&mut import.settled, currency, c.commission.minor);
                }
                if c.commission.minor > 0 {
                    commissions.push(commission);
                    ledger.extend(entries);
                }
                if let Some(customer) = &row.stripe_customer_id {
                    bindings.push(CustomerBinding {
                        org_id: c.org_id,
                        customer_key: format!("stripe:{customer}"),
                        affiliate_id: c.affiliate_id,
                        campaign_id: c.campaign_id,
                        conversion_id: Some(c.id),
                        created_at: now,
                    });
                }
            }
            tx.insert_commissions(&commissions).await?;
            tx.insert_ledger_entries(&ledger).await?;
            // The first binding of a customer wins, as for live sales.
            bindings.sort_by(|a, b| a.customer_key.cmp(&b.customer_key));
            bindings.dedup_by(|a, b| a.customer_key == b.customer_key);
            tx.bind_customers(&bindings).await?;
            tx.tag_imported_conversions(import.id, &tagged).await?;
            tx.insert_import_skips(import.id, &skips).await?;
            import.tally(tagged.len() as i64, &count_reasons(&skips));
        }
    }
    Ok(())
}

fn conversion(
    ctx: &Ctx<'_>,
    row: &HistoryRow,
    affiliate_id: AffiliateId,
    external_id: String,
    now: OffsetDateTime,
) -> Conversion {
    let payable = row.state == HistoryState::Unpaid && ctx.confirm;
    let status = if payable {
        CommissionStatus::Approved
    } else {
        CommissionStatus::Paid
    };
    let commission = Money::new(row.commission_minor, row.currency);
    Conversion {
        id: ConversionId::new(),
        org_id: ctx.campaign.org_id,
        campaign_id: ctx.campaign.id,
        affiliate_id,
        kind: ConversionType::Sale,
        source: ConversionSource::Imported,
        status,
        amount: Money::new(row.sale_amount_minor.unwrap_or(0), row.currency),
        refunded_minor: 0,
        commission,
        initial_commission_minor: row.commission_minor,
        provider: ConversionProvider::Import,
        event_id: external_id.clone(),
        external_id,
        customer_id: row.stripe_customer_id.clone(),
        customer_email_key: None,
        customer_name: None,
        subscription_id: row.stripe_subscription_id.clone(),
        invoice_id: None,
        charge_id: None,
        payment_intent_id: None,
        product_id: None,
        coupon_code: None,
        click_id: None,
        self_referral: false,
        occurred_at: row.occurred_at,
        created_at: now,
        updated_at: now,
    }
}

/// The commission and its ledger entries: earned, and for settled history the settlement.
fn money_rows(c: &Conversion, source: &str, now: OffsetDateTime) -> (Commission, Vec<LedgerEntry>) {
    let commission = Commission {
        id: CommissionId::new(),
        org_id: c.org_id,
        conversion_id: c.id,
        affiliate_id: c.affiliate_id,
        campaign_id: c.campaign_id,
        kind: CommissionKind::Direct,
        status: c.status,
        amount: c.commission,
        initial_minor: c.commission.minor,
        hold_until: c.occurred_at,
        payout_item_id: None,
        denied_reason: None,
        created_at: now,
        updated_at: now,
    };
    let entry = |kind, amount: Money, memo: String| LedgerEntry {
        id: LedgerEntryId::new(),
        org_id: c.org_id,
        affiliate_id: c.affiliate_id,
        kind,
        amount,
        commission_id: Some(commission.id),
        payout_item_id: None,
        memo: Some(memo),
        created_at: now,
    };
    let mut entries = vec![entry(
        LedgerKind::Earned,
        c.commission,
        format!("imported from {source}"),
    )];
    if c.status == CommissionStatus::Paid {
        entries.push(entry(
            LedgerKind::Payout,
            Money::new(-c.commission.minor, c.commission.currency),
            format!("settled before the import from {source}; never paid by Afflux"),
        ));
    }
    (commission, entries)
}

/// Reverses what a history import recorded, on the ledger; commissions already in a payout
/// run stay (they are counted).
pub(super) async fn revert(tx: &mut dyn Tx, import: &Import) -> AppResult<serde_json::Value> {
    let now = OffsetDateTime::now_utc();
    let mut reversed = 0;
    let mut kept = 0;
    for conversion in tx.imported_conversions(import.org_id, import.id).await? {
        let filter = CommissionFilter {
            conversion_id: Some(conversion),
            ..CommissionFilter::default()
        };
        for mut commission in tx.list_commissions(import.org_id, &filter, Page::ALL).await? {
            let settled = commission.status == CommissionStatus::Paid;
            if commission.payout_item_id.is_some()
                || !matches!(commission.status, CommissionStatus::Approved | CommissionStatus::Paid)
            {
                kept += 1;
                continue;
            }
            let memo = "import reverted".to_string();
            let mut entries = vec![LedgerEntry {
                id: LedgerEntryId::new(),
                org_id: import.org_id,
                affiliate_id: commission.affiliate_id,
                kind: LedgerKind::Reversed,
                amount: Money::new(-commission.amount.minor, commission.amount.currency),
                commission_id: Some(commission.id),
                payout_item_id: None,
                memo: Some(memo.clone()),
                created_at: now,
            }];
            if settled {
                entries.push(LedgerEntry {
                    id: LedgerEntryId::new(),
                    kind: LedgerKind::Adjustment,
                    amount: commission.amount,
                    memo: Some("import reverted: settlement undone".into()),
                    ..entries[0].clone()
                });
            }
            tx.insert_ledger_entries(&entries).await?;
            commission.status = CommissionStatus::Denied;
            commission.denied_reason = Some(memo);
            commission.updated_at = now;
            tx.update_commission(&commission).await?;
            reversed += 1;
        }
    }
    Ok(serde_json::json!({ "commissionsReversed": reversed, "commissionsKeptInPayouts": kept }))
}
