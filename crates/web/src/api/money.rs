//! Money in the API: commissions (list, one, deny), balances and the ledger, adjustments,
//! payout runs and their items, and the exchange-rate table's state.

use afflux_app::money::{DenyCommission, NewAdjustment, NewPayoutRun, PayoutRunDetail};
use afflux_domain::{
    AffiliateId, Commission, CommissionId, CommissionKind, CommissionStatus, ConversionId, Currency, LedgerEntry,
    LedgerKind, PayoutItem, PayoutItemId, PayoutRail, PayoutRun, PayoutRunId, PayoutStatus,
};
use afflux_store::{Balance, CommissionFilter};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::pagination::{PageParams, paginate};
use super::views::{Paginated, rfc3339};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiActor, ApiJson, parse_id};

/// An amount: minor units and the decimal people read, with its currency.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AmountView {
    minor: i64,
    value: String,
    currency: Currency,
}

impl From<afflux_domain::Money> for AmountView {
    fn from(m: afflux_domain::Money) -> Self {
        Self {
            minor: m.minor,
            value: m.major_string(),
            currency: m.currency,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommissionView {
    id: CommissionId,
    conversion_id: ConversionId,
    affiliate_id: AffiliateId,
    program_id: afflux_domain::CampaignId,
    /// Direct (the affiliate credited with the sale) or Override (their recruiter's share).
    kind: CommissionKind,
    status: CommissionStatus,
    amount: AmountView,
    /// As first earned, before refunds.
    initial_minor: i64,
    /// When it becomes payable (Pending until then).
    hold_until: String,
    payout_item_id: Option<PayoutItemId>,
    denied_reason: Option<String>,
    created_at: String,
    updated_at: String,
}

impl From<Commission> for CommissionView {
    fn from(c: Commission) -> Self {
        Self {
            id: c.id,
            conversion_id: c.conversion_id,
            affiliate_id: c.affiliate_id,
            program_id: c.campaign_id,
            kind: c.kind,
            status: c.status,
            amount: c.amount.into(),
            initial_minor: c.initial_minor,
            hold_until: rfc3339(c.hold_until),
            payout_item_id: c.payout_item_id,
            denied_reason: c.denied_reason,
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct CommissionQuery {
    affiliate_id: Option<String>,
    program_id: Option<String>,
    conversion_id: Option<String>,
    /// Pending, Approved, Paid, Refunded or Denied.
    status: Option<String>,
    currency: Option<String>,
}

fn bad(field: &str, message: &str) -> ApiError {
    ApiError::BadRequest {
        field: Some(field.into()),
        message: message.into(),
    }
}

fn id_param<T: std::str::FromStr>(field: &str, raw: &Option<String>) -> Result<Option<T>, ApiError> {
    raw.as_deref()
        .map(|v| v.parse().map_err(|_| bad(field, &format!("{field} is not a valid id"))))
        .transpose()
}

/// Commissions, newest first.
#[utoipa::path(get, path = "/api/v1/commissions", tag = "money", params(PageParams, CommissionQuery),
    responses((status = 200, body = Paginated<CommissionView>)), security(("bearer" = [])))]
pub async fn list_commissions(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(pages): Query<PageParams>,
    Query(q): Query<CommissionQuery>,
) -> Result<Json<Paginated<CommissionView>>, ApiError> {
    let (page, per_page, window) = pages.resolve()?;
    let filter = CommissionFilter {
        affiliate_id: id_param("affiliateId", &q.affiliate_id)?,
        campaign_id: id_param("programId", &q.program_id)?,
        conversion_id: id_param("conversionId", &q.conversion_id)?,
        status: q
            .status
            .as_deref()
            .map(|v| CommissionStatus::parse("status", v))
            .transpose()?,
        currency: q.currency.as_deref().map(Currency::parse).transpose()?,
    };
    let rows = s.app.commissions(&actor, filter, window).await?;
    Ok(Json(paginate(rows, page, per_page, CommissionView::from)))
}

#[utoipa::path(get, path = "/api/v1/commissions/{id}", tag = "money", params(("id" = String, Path)),
    responses((status = 200, body = CommissionView), (status = 404)), security(("bearer" = [])))]
pub async fn get_commission(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<CommissionView>, ApiError> {
    Ok(Json(s.app.commission(&actor, parse_id(&id)?).await?.into()))
}

/// Deny a commission not yet in a payout, with a reason; what it earned is reversed
/// (409 `commission_not_deniable` otherwise).
#[utoipa::path(post, path = "/api/v1/commissions/{id}/deny", tag = "money", params(("id" = String, Path)), request_body = DenyCommission,
    responses((status = 200, body = CommissionView), (status = 404), (status = 409)), security(("bearer" = [])))]
pub async fn deny_commission(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<DenyCommission>,
) -> Result<Json<CommissionView>, ApiError> {
    Ok(Json(s.app.deny_commission(&actor, parse_id(&id)?, input).await?.into()))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BalanceView {
    affiliate_id: Option<AffiliateId>,
    currency: Option<Currency>,
    /// Sums of the ledger by kind, minor units (reversals, clawbacks and payouts negative).
    earned: i64,
    reversed: i64,
    clawback: i64,
    payout: i64,
    adjustment: i64,
    /// What the affiliate is owed now.
    net: i64,
    /// `net` in the organization's home currency at the newest loaded exchange rates; absent
    /// when a rate is missing.
    net_in_home_currency: Option<AmountView>,
}

impl From<(Balance, Option<afflux_domain::Money>)> for BalanceView {
    fn from((b, home): (Balance, Option<afflux_domain::Money>)) -> Self {
        Self {
            net: b.net(),
            net_in_home_currency: home.map(AmountView::from),
            affiliate_id: b.affiliate_id,
            currency: b.currency,
            earned: b.earned,
            reversed: b.reversed,
            clawback: b.clawback,
            payout: b.payout,
            adjustment: b.adjustment,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct BalanceQuery {
    affiliate_id: Option<String>,
}

/// Balances per affiliate and currency, summed from the ledger.
#[utoipa::path(get, path = "/api/v1/balances", tag = "money", params(BalanceQuery),
    responses((status = 200, body = Vec<BalanceView>)), security(("bearer" = [])))]
pub async fn balances(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<BalanceQuery>,
) -> Result<Json<Vec<BalanceView>>, ApiError> {
    let affiliate = id_param("affiliateId", &q.affiliate_id)?;
    let rows = s.app.balances(&actor, affiliate).await?;
    Ok(Json(rows.into_iter().map(BalanceView::from).collect()))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEntryView {
    id: afflux_domain::LedgerEntryId,
    affiliate_id: AffiliateId,
    kind: LedgerKind,
    amount: AmountView,
    commission_id: Option<CommissionId>,
    payout_item_id: Option<PayoutItemId>,
    memo: Option<String>,
    created_at: String,
}

impl From<LedgerEntry> for LedgerEntryView {
    fn from(e: LedgerEntry) -> Self {
        Self {
            id: e.id,
            affiliate_id: e.affiliate_id,
            kind: e.kind,
            amount: e.amount.into(),
            commission_id: e.commission_id,
            payout_item_id: e.payout_item_id,
            memo: e.memo,
            created_at: rfc3339(e.created_at),
        }
    }
}

/// An affiliate's ledger, newest first: every movement of their money.
#[utoipa::path(get, path = "/api/v1/affiliates/{id}/ledger", tag = "money", params(("id" = String, Path), PageParams),
    responses((status = 200, body = Paginated<LedgerEntryView>), (status = 404)), security(("bearer" = [])))]
pub async fn ledger(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    Query(pages): Query<PageParams>,
) -> Result<Json<Paginated<LedgerEntryView>>, ApiError> {
    let (page, per_page, window) = pages.resolve()?;
    let rows = s.app.ledger(&actor, parse_id(&id)?, window).await?;
    Ok(Json(paginate(rows, page, per_page, LedgerEntryView::from)))
}

/// Add (positive) or take (negative) money from an affiliate's balance, with the reason
/// (Admin or Owner).
#[utoipa::path(post, path = "/api/v1/affiliates/{id}/adjustments", tag = "money", params(("id" = String, Path)), request_body = NewAdjustment,
    responses((status = 201, body = LedgerEntryView), (status = 404)), security(("bearer" = [])))]
pub async fn adjust(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<NewAdjustment>,
) -> Result<(StatusCode, Json<LedgerEntryView>), ApiError> {
    let entry = s.app.adjust_balance(&actor, parse_id(&id)?, input).await?;
    Ok((StatusCode::CREATED, Json(entry.into())))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PayoutItemView {
    id: PayoutItemId,
    run_id: PayoutRunId,
    affiliate_id: AffiliateId,
    amount: AmountView,
    status: PayoutStatus,
    reference: Option<String>,
    failure_reason: Option<String>,
    attempts: i32,
    created_at: String,
    updated_at: String,
}

impl From<PayoutItem> for PayoutItemView {
    fn from(i: PayoutItem) -> Self {
        Self {
            id: i.id,
            run_id: i.run_id,
            affiliate_id: i.affiliate_id,
            amount: i.amount.into(),
            status: i.status,
            reference: i.reference,
            failure_reason: i.failure_reason,
            attempts: i.attempts,
            created_at: rfc3339(i.created_at),
            updated_at: rfc3339(i.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PayoutRunView {
    id: PayoutRunId,
    rail: PayoutRail,
    currency: Option<Currency>,
    created_by: Option<afflux_domain::UserId>,
    created_at: String,
    /// Present on a single run.
    #[serde(skip_serializing_if = "Option::is_none")]
    items: Option<Vec<PayoutItemView>>,
}

impl From<PayoutRun> for PayoutRunView {
    fn from(r: PayoutRun) -> Self {
        Self {
            id: r.id,
            rail: r.rail,
            currency: r.currency,
            created_by: r.created_by,
            created_at: rfc3339(r.created_at),
            items: None,
        }
    }
}

impl From<PayoutRunDetail> for PayoutRunView {
    fn from(d: PayoutRunDetail) -> Self {
        Self {
            items: Some(d.items.into_iter().map(PayoutItemView::from).collect()),
            ..d.run.into()
        }
    }
}

/// Start a payout run (Manager or above): per affiliate and currency, the approved unpaid
/// commissions net of clawbacks that reach the minimum payout become items. 409
/// `nothing_payable` when there is nothing to pay.
#[utoipa::path(post, path = "/api/v1/payouts/runs", tag = "money", request_body = NewPayoutRun,
    responses((status = 201, body = PayoutRunView), (status = 409)), security(("bearer" = [])))]
pub async fn start_run(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<NewPayoutRun>,
) -> Result<(StatusCode, Json<PayoutRunView>), ApiError> {
    let detail = s.app.start_payout_run(&actor, input).await?;
    Ok((StatusCode::CREATED, Json(detail.into())))
}

/// Payout runs, newest first.
#[utoipa::path(get, path = "/api/v1/payouts/runs", tag = "money", params(PageParams),
    responses((status = 200, body = Paginated<PayoutRunView>)), security(("bearer" = [])))]
pub async fn list_runs(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(pages): Query<PageParams>,
) -> Result<Json<Paginated<PayoutRunView>>, ApiError> {
    let (page, per_page, window) = pages.resolve()?;
    let rows = s.app.payout_runs(&actor, window).await?;
    Ok(Json(paginate(rows, page, per_page, PayoutRunView::from)))
}

#[utoipa::path(get, path = "/api/v1/payouts/runs/{id}", tag = "money", params(("id" = String, Path)),
    responses((status = 200, body = PayoutRunView), (status = 404)), security(("bearer" = [])))]
pub async fn get_run(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<PayoutRunView>, ApiError> {
    Ok(Json(s.app.payout_run(&actor, parse_id(&id)?).await?.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CsvQuery {
    /// The file's one currency (PayPal takes one per file).
    currency: String,
}

/// PayPal's mass-payment file of the run's pending items in one currency: seven columns, no
/// header row, to upload at PayPal.
#[utoipa::path(get, path = "/api/v1/payouts/runs/{id}/paypal.csv", tag = "money", params(("id" = String, Path), CsvQuery),
    responses((status = 200, content_type = "text/csv"), (status = 404)), security(("bearer" = [])))]
pub async fn paypal_csv(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    Query(q): Query<CsvQuery>,
) -> Result<Response, ApiError> {
    let csv = s.app.paypal_payout_file(&actor, parse_id(&id)?, &q.currency).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"paypal-payout-{id}-{}.csv\"",
                    q.currency.to_ascii_uppercase()
                ),
            ),
        ],
        csv,
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MarkPaid {
    /// The rail's reference: PayPal transaction id, bank reference, a note.
    reference: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MarkFailed {
    reason: String,
}

/// Mark a pending item paid: its commissions become Paid and the ledger records the payout.
#[utoipa::path(post, path = "/api/v1/payouts/items/{id}/mark-paid", tag = "money", params(("id" = String, Path)), request_body = MarkPaid,
    responses((status = 200, body = PayoutItemView), (status = 404), (status = 409)), security(("bearer" = [])))]
pub async fn mark_paid(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<MarkPaid>,
) -> Result<Json<PayoutItemView>, ApiError> {
    let item = s.app.mark_payout_paid(&actor, parse_id(&id)?, &input.reference).await?;
    Ok(Json(item.into()))
}

/// Mark a pending item failed, with the reason; retry it later.
#[utoipa::path(post, path = "/api/v1/payouts/items/{id}/mark-failed", tag = "money", params(("id" = String, Path)), request_body = MarkFailed,
    responses((status = 200, body = PayoutItemView), (status = 404), (status = 409)), security(("bearer" = [])))]
pub async fn mark_failed(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<MarkFailed>,
) -> Result<Json<PayoutItemView>, ApiError> {
    let item = s.app.mark_payout_failed(&actor, parse_id(&id)?, &input.reason).await?;
    Ok(Json(item.into()))
}

/// Put a failed item back to Pending.
#[utoipa::path(post, path = "/api/v1/payouts/items/{id}/retry", tag = "money", params(("id" = String, Path)),
    responses((status = 200, body = PayoutItemView), (status = 404), (status = 409)), security(("bearer" = [])))]
pub async fn retry_item(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<PayoutItemView>, ApiError> {
    Ok(Json(s.app.retry_payout_item(&actor, parse_id(&id)?).await?.into()))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FxStatusView {
    /// The newest date with ECB reference rates loaded (`afflux fx import`), if any.
    latest_date: Option<String>,
    currencies: i64,
}

/// Which exchange rates reports can use: the newest date loaded and how many currencies it has.
#[utoipa::path(get, path = "/api/v1/fx/rates", tag = "money",
    responses((status = 200, body = FxStatusView)), security(("bearer" = [])))]
pub async fn fx_status(State(s): State<AppState>, ApiActor(_actor): ApiActor) -> Result<Json<FxStatusView>, ApiError> {
    let latest = s.app.latest_fx_date().await?;
    Ok(Json(FxStatusView {
        latest_date: latest.map(|(d, _)| d.to_string()),
        currencies: latest.map_or(0, |(_, n)| n),
    }))
}
