//! Reports of an organization, optionally of one campaign: the summary of the last 30 or 90 days,
//! its daily series, the top-10 leaderboard and traffic sources. Everything is read from the
//! store's daily rollups, so a report costs the same at ten clicks as at ten million.
//!
//! Windows are whole UTC days ending today: "30 days" is today and the 29 before it. Amounts
//! keep their currency; the summary and the leaderboard also give them in the organization's
//! home currency at the newest loaded exchange rates, leaving out (and naming) any currency
//! without a rate.

use afflux_domain::{Affiliate, CampaignId, Currency, Money, Permission, ValidationError, round_div};
use afflux_store::{CurrencyTotals, LeaderboardRow, ReportDay, ReportScope, SourceRow};
use time::{Date, Duration, OffsetDateTime};

use crate::{Actor, App, AppError, AppResult};

/// How many affiliates the leaderboard ranks.
pub const LEADERBOARD_SIZE: i64 = 10;

/// Which window a report covers: the last 30 or 90 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportWindow {
    pub days: u32,
    pub from: Date,
    pub to: Date,
}

impl ReportWindow {
    /// The last `days` UTC days up to `today`; only 30 and 90 are offered.
    pub fn last(days: u32, today: Date) -> AppResult<Self> {
        if !matches!(days, 30 | 90) {
            return Err(ValidationError::new("days", "must be 30 or 90").into());
        }
        Ok(Self {
            days,
            from: today - Duration::days(i64::from(days) - 1),
            to: today,
        })
    }
}

/// Amounts in the home currency, summed from every currency with a loaded rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HomeAmounts {
    pub revenue: Money,
    pub earnings: Money,
    /// Currencies left out for want of an exchange rate (the sums are then incomplete).
    pub missing_rates: Vec<Currency>,
}

/// The summary of a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSummary {
    pub window: ReportWindow,
    pub program_id: Option<CampaignId>,
    pub clicks: i64,
    /// First sales (type Sale); renewals add revenue and earnings, not sales.
    pub sales: i64,
    pub leads: i64,
    /// Sales per click in basis points (1 % = 100), rounded half away from zero; `None`
    /// without clicks.
    pub conversion_rate_bps: Option<i64>,
    /// Affiliates with a click, a sale, a lead or a commission in the window.
    pub active_affiliates: i64,
    /// Per currency, by code; currencies whose amounts all net to zero are left out.
    pub currencies: Vec<CurrencyTotals>,
    pub home: HomeAmounts,
}

/// Every day of a window, oldest first, days without activity included (as zeros).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyReport {
    pub window: ReportWindow,
    pub program_id: Option<CampaignId>,
    pub days: Vec<ReportDay>,
}

/// One affiliate on the leaderboard, with what the API shows of them.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaderboardEntry {
    pub rank: u32,
    pub affiliate: Affiliate,
    pub totals: LeaderboardRow,
    pub conversion_rate_bps: Option<i64>,
    pub home: HomeAmounts,
}

/// The leaderboard: ranked by sales, then revenue (see [`afflux_store::Tx::report_leaderboard`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Leaderboard {
    pub window: ReportWindow,
    pub program_id: Option<CampaignId>,
    pub entries: Vec<LeaderboardEntry>,
}

/// Clicks by referring site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcesReport {
    pub window: ReportWindow,
    pub program_id: Option<CampaignId>,
    pub sources: Vec<SourceRow>,
}

/// `sales` per `clicks` in basis points.
pub fn conversion_rate_bps(sales: i64, clicks: i64) -> Option<i64> {
    (clicks > 0).then(|| {
        let bps = round_div(i128::from(sales) * 10_000, i128::from(clicks));
        i64::try_from(bps).unwrap_or(i64::MAX)
    })
}

fn nonzero(t: &CurrencyTotals) -> bool {
    t.sales != 0 || t.leads != 0 || t.revenue_minor != 0 || t.commission_minor != 0
}

impl App {
    /// Checks the actor may read reports and the program is the organization's; answers the
    /// store scope of the window.
    async fn report_scope(
        &self,
        actor: &Actor,
        days: u32,
        program: Option<CampaignId>,
    ) -> AppResult<(ReportWindow, ReportScope)> {
        actor.authorize(Permission::ViewData, false)?;
        let window = ReportWindow::last(days, OffsetDateTime::now_utc().date())?;
        if let Some(program) = program {
            self.store()
                .read()
                .await?
                .get_campaign(actor.org_id, program)
                .await?
                .ok_or(AppError::NotFound("program"))?;
        }
        let scope = ReportScope {
            org_id: actor.org_id,
            campaign_id: program,
            from: window.from,
            to: window.to,
        };
        Ok((window, scope))
    }

    /// Revenue and earnings of `totals` in the home currency, through [`App::convert_money`]
    /// at today's (newest) rates.
    async fn in_home_currency(&self, totals: &[CurrencyTotals], home: Currency) -> AppResult<HomeAmounts> {
        let today = OffsetDateTime::now_utc().date();
        let mut out = HomeAmounts {
            revenue: Money::zero(home),
            earnings: Money::zero(home),
            missing_rates: vec![],
        };
        for t in totals {
            let converted = async {
                let revenue = self
                    .convert_money(Money::new(t.revenue_minor, t.currency), home, today)
                    .await?;
                let earnings = self
                    .convert_money(Money::new(t.commission_minor, t.currency), home, today)
                    .await?;
                Ok::<_, AppError>((revenue, earnings))
            };
            match converted.await {
                Ok((revenue, earnings)) => {
                    out.revenue.minor += revenue.minor;
                    out.earnings.minor += earnings.minor;
                }
                Err(AppError::Conflict {
                    code: "fx_rate_missing",
                    ..
                }) => out.missing_rates.push(t.currency),
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    async fn home_currency(&self, actor: &Actor) -> AppResult<Currency> {
        Ok(self
            .store()
            .read()
            .await?
            .get_org(actor.org_id)
            .await?
            .ok_or(AppError::NotFound("organization"))?
            .home_currency)
    }

    /// Clicks, sales, leads, conversion rate, earnings and active affiliates of the last `days`
    /// (30 or 90), of one program or all.
    pub async fn report_summary(
        &self,
        actor: &Actor,
        days: u32,
        program: Option<CampaignId>,
    ) -> AppResult<ReportSummary> {
        let (window, scope) = self.report_scope(actor, days, program).await?;
        let totals = self.store().read().await?.report_totals(&scope).await?;
        let currencies: Vec<CurrencyTotals> = totals.currencies.into_iter().filter(nonzero).collect();
        let sales = currencies.iter().map(|c| c.sales).sum();
        let leads = currencies.iter().map(|c| c.leads).sum();
        let home = self.home_currency(actor).await?;
        Ok(ReportSummary {
            window,
            program_id: program,
            clicks: totals.clicks,
            sales,
            leads,
            conversion_rate_bps: conversion_rate_bps(sales, totals.clicks),
            active_affiliates: totals.active_affiliates,
            home: self.in_home_currency(&currencies, home).await?,
            currencies,
        })
    }

    /// The window day by day.
    pub async fn report_daily(&self, actor: &Actor, days: u32, program: Option<CampaignId>) -> AppResult<DailyReport> {
        let (window, scope) = self.report_scope(actor, days, program).await?;
        let mut stored = self
            .store()
            .read()
            .await?
            .report_daily(&scope)
            .await?
            .into_iter()
            .peekable();
        let mut out = Vec::with_capacity(window.days as usize);
        let mut day = window.from;
        while day <= window.to {
            match stored.next_if(|d| d.day == day) {
                Some(mut d) => {
                    d.currencies.retain(nonzero);
                    out.push(d);
                }
                None => out.push(ReportDay {
                    day,
                    clicks: 0,
                    currencies: vec![],
                }),
            }
            day = day.next_day().expect("report days are far from the end of time");
        }
        Ok(DailyReport {
            window,
            program_id: program,
            days: out,
        })
    }

    /// The top ten affiliates of the window by sales, then revenue.
    pub async fn report_leaderboard(
        &self,
        actor: &Actor,
        days: u32,
        program: Option<CampaignId>,
    ) -> AppResult<Leaderboard> {
        let (window, scope) = self.report_scope(actor, days, program).await?;
        let home = self.home_currency(actor).await?;
        let (rows, affiliates) = {
            let mut tx = self.store().read().await?;
            let rows = tx.report_leaderboard(&scope, LEADERBOARD_SIZE).await?;
            let mut affiliates = Vec::with_capacity(rows.len());
            for row in &rows {
                affiliates.push(tx.get_affiliate(actor.org_id, row.affiliate_id).await?);
            }
            (rows, affiliates)
        };
        let mut entries = Vec::with_capacity(rows.len());
        for (mut row, affiliate) in rows.into_iter().zip(affiliates) {
            let Some(affiliate) = affiliate else { continue };
            row.currencies.retain(nonzero);
            entries.push(LeaderboardEntry {
                rank: u32::try_from(entries.len() + 1).unwrap_or(u32::MAX),
                conversion_rate_bps: conversion_rate_bps(row.sales(), row.clicks),
                home: self.in_home_currency(&row.currencies, home).await?,
                affiliate,
                totals: row,
            });
        }
        Ok(Leaderboard {
            window,
            program_id: program,
            entries,
        })
    }

    /// Clicks by referring site, most first: at most `limit` (1–100) sites.
    pub async fn report_sources(
        &self,
        actor: &Actor,
        days: u32,
        program: Option<CampaignId>,
        limit: i64,
    ) -> AppResult<SourcesReport> {
        if !(1..=100).contains(&limit) {
            return Err(ValidationError::new("limit", "must be between 1 and 100").into());
        }
        let (window, scope) = self.report_scope(actor, days, program).await?;
        let sources = self.store().read().await?.report_sources(&scope, limit).await?;
        Ok(SourcesReport {
            window,
            program_id: program,
            sources,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn windows_are_30_or_90_days_ending_today() {
        let w = ReportWindow::last(30, date!(2030 - 03 - 31)).unwrap();
        assert_eq!((w.from, w.to), (date!(2030 - 03 - 02), date!(2030 - 03 - 31)));
        let w = ReportWindow::last(90, date!(2030 - 03 - 31)).unwrap();
        assert_eq!(w.from, date!(2030 - 01 - 01));
        for bad in [0, 7, 31, 365] {
            assert!(ReportWindow::last(bad, date!(2030 - 03 - 31)).is_err());
        }
    }

    #[test]
    fn conversion_rates_are_basis_points() {
        assert_eq!(conversion_rate_bps(1, 3), Some(3_333));
        assert_eq!(conversion_rate_bps(2, 3), Some(6_667));
        assert_eq!(conversion_rate_bps(0, 10), Some(0));
        assert_eq!(conversion_rate_bps(5, 0), None);
        assert_eq!(
            conversion_rate_bps(3, 2),
            Some(15_000),
            "coupon sales can outnumber clicks"
        );
    }
}
