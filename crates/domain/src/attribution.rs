//! The attribution decision: which affiliate, if any, a conversion is credited to, given every
//! signal that names one. Pure: the app gathers the signals, this decides.
//!
//! Precedence, highest first: a coupon that overrides click attribution (the default); a
//! referral (tracked click, cookie, processor metadata or an S2S call naming the affiliate); a
//! coupon that does not override clicks; a customer match (the customer was attributed before).
//! A renewal stays with the affiliate its customer is bound to, whatever else it carries.

use time::{Duration, OffsetDateTime};

use crate::{AffiliateId, AffiliateStatus, AttributionModel, CampaignId, ConversionSource};

/// What names a candidate affiliate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignalKind {
    /// A coupon or promotion code the affiliate owns.
    Coupon { overrides_click: bool },
    /// A referral. `at` is the time of the tracked click; None when the referral is stated at
    /// conversion time (an S2S call or processor metadata naming the affiliate), which no
    /// cookie window can have outlived.
    Referral {
        source: ConversionSource,
        at: Option<OffsetDateTime>,
    },
    /// The customer was bound to the affiliate by an earlier conversion.
    Customer,
}

/// One candidate: the affiliate, the campaign the signal belongs to, and what the decision
/// needs to know about both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signal {
    pub kind: SignalKind,
    pub affiliate_id: AffiliateId,
    pub affiliate_email_key: String,
    pub campaign_id: CampaignId,
    /// The affiliate's standing in that campaign.
    pub status: AffiliateStatus,
    pub cookie_window_days: i32,
    pub attribution_model: AttributionModel,
}

/// The conversion being attributed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributionContext<'a> {
    pub now: OffsetDateTime,
    /// The customer's lower-cased email, when known.
    pub customer_email_key: Option<&'a str>,
    /// A renewal of a subscription: the customer binding decides.
    pub renewal: bool,
}

/// The winner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribution {
    /// The index of the winning signal in the input.
    pub signal: usize,
    pub affiliate_id: AffiliateId,
    pub campaign_id: CampaignId,
    pub source: ConversionSource,
    /// The customer is the affiliate: flagged, and it earns nothing.
    pub self_referral: bool,
}

/// Why nobody is credited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unattributed {
    /// Nothing named an affiliate.
    NoReferral,
    /// Every referral was older than its campaign's cookie window.
    ReferralExpired,
    /// Every named affiliate is paused, rejected, banned or not yet approved there.
    AffiliateNotEarning,
}

impl Unattributed {
    pub fn code(self) -> &'static str {
        match self {
            Unattributed::NoReferral => "no_referral",
            Unattributed::ReferralExpired => "referral_expired",
            Unattributed::AffiliateNotEarning => "affiliate_not_earning",
        }
    }
}

fn tier(kind: &SignalKind) -> u8 {
    match kind {
        SignalKind::Coupon { overrides_click: true } => 0,
        SignalKind::Referral { .. } => 1,
        SignalKind::Coupon { overrides_click: false } => 2,
        SignalKind::Customer => 3,
    }
}

fn source(kind: &SignalKind) -> ConversionSource {
    match kind {
        SignalKind::Coupon { .. } => ConversionSource::Coupon,
        SignalKind::Referral { source, .. } => *source,
        SignalKind::Customer => ConversionSource::CustomerMatch,
    }
}

fn within_window(signal: &Signal, now: OffsetDateTime) -> bool {
    match signal.kind {
        SignalKind::Referral { at: Some(at), .. } => now - at <= Duration::days(i64::from(signal.cookie_window_days)),
        _ => true,
    }
}

/// Among referrals: the campaign of the earliest one decides the model. FirstTouch keeps that
/// earliest referral; LastTouch takes the newest. A referral stated at conversion time counts
/// as the newest touch.
fn pick_referral<'a>(referrals: &[(usize, &'a Signal)], now: OffsetDateTime) -> (usize, &'a Signal) {
    let at = |(_, s): &(usize, &Signal)| match s.kind {
        SignalKind::Referral { at: Some(at), .. } => at,
        _ => now,
    };
    // Ties keep the first given, so callers control the order of equals.
    let mut first = referrals[0];
    let mut last = referrals[0];
    for s in &referrals[1..] {
        if at(s) < at(&first) {
            first = *s;
        }
        if at(s) > at(&last) {
            last = *s;
        }
    }
    match first.1.attribution_model {
        AttributionModel::FirstTouch => first,
        AttributionModel::LastTouch => last,
    }
}

/// Decides the attribution of one conversion from its candidate signals.
pub fn attribute(signals: &[Signal], ctx: AttributionContext<'_>) -> Result<Attribution, Unattributed> {
    if signals.is_empty() {
        return Err(Unattributed::NoReferral);
    }
    let fresh: Vec<(usize, &Signal)> = signals
        .iter()
        .enumerate()
        .filter(|(_, s)| within_window(s, ctx.now))
        .collect();
    let eligible: Vec<(usize, &Signal)> = fresh.iter().copied().filter(|(_, s)| s.status.earns()).collect();
    if eligible.is_empty() {
        return Err(if fresh.is_empty() {
            Unattributed::ReferralExpired
        } else {
            Unattributed::AffiliateNotEarning
        });
    }
    let bound = eligible.iter().copied().find(|(_, s)| s.kind == SignalKind::Customer);
    let (index, winner) = match bound {
        Some(customer) if ctx.renewal => customer,
        _ => {
            let best = eligible
                .iter()
                .map(|(_, s)| tier(&s.kind))
                .min()
                .expect("eligible is not empty");
            let top: Vec<(usize, &Signal)> = eligible
                .iter()
                .copied()
                .filter(|(_, s)| tier(&s.kind) == best)
                .collect();
            if best == 1 {
                pick_referral(&top, ctx.now)
            } else {
                top[0]
            }
        }
    };
    let self_referral = ctx
        .customer_email_key
        .is_some_and(|email| email == winner.affiliate_email_key);
    Ok(Attribution {
        signal: index,
        affiliate_id: winner.affiliate_id,
        campaign_id: winner.campaign_id,
        source: source(&winner.kind),
        self_referral,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-21 12:00 UTC);

    fn signal(kind: SignalKind, n: u128) -> Signal {
        Signal {
            kind,
            affiliate_id: AffiliateId(uuid::Uuid::from_u128(n)),
            affiliate_email_key: format!("a{n}@example.com"),
            campaign_id: CampaignId(uuid::Uuid::from_u128(100 + n)),
            status: AffiliateStatus::Approved,
            cookie_window_days: 30,
            attribution_model: AttributionModel::LastTouch,
        }
    }

    fn ctx() -> AttributionContext<'static> {
        AttributionContext {
            now: NOW,
            customer_email_key: None,
            renewal: false,
        }
    }

    fn click(days_ago: i64) -> SignalKind {
        SignalKind::Referral {
            source: ConversionSource::Link,
            at: Some(NOW - Duration::days(days_ago)),
        }
    }

    fn winner(signals: &[Signal]) -> u128 {
        attribute(signals, ctx()).unwrap().affiliate_id.0.as_u128()
    }

    #[test]
    fn nothing_names_nobody() {
        assert_eq!(attribute(&[], ctx()), Err(Unattributed::NoReferral));
    }

    #[test]
    fn overriding_coupon_beats_click_beats_plain_coupon_beats_customer() {
        let coupon = signal(SignalKind::Coupon { overrides_click: true }, 1);
        let referral = signal(click(1), 2);
        let weak_coupon = signal(SignalKind::Coupon { overrides_click: false }, 3);
        let customer = signal(SignalKind::Customer, 4);
        let all = [customer.clone(), weak_coupon.clone(), referral.clone(), coupon.clone()];
        assert_eq!(winner(&all), 1);
        assert_eq!(attribute(&all, ctx()).unwrap().source, ConversionSource::Coupon);
        assert_eq!(winner(&[customer.clone(), weak_coupon.clone(), referral.clone()]), 2);
        assert_eq!(winner(&[customer.clone(), weak_coupon]), 3);
        let matched = attribute(&[customer], ctx()).unwrap();
        assert_eq!(matched.source, ConversionSource::CustomerMatch);
    }

    #[test]
    fn cookie_window_is_respected() {
        let old = signal(click(31), 1);
        assert_eq!(
            attribute(std::slice::from_ref(&old), ctx()),
            Err(Unattributed::ReferralExpired)
        );
        let edge = signal(click(30), 1);
        assert_eq!(winner(&[edge]), 1);
        // An expired click falls through to the customer match.
        assert_eq!(winner(&[old, signal(SignalKind::Customer, 2)]), 2);
        // A referral stated at conversion time has no window.
        let stated = signal(
            SignalKind::Referral {
                source: ConversionSource::Server,
                at: None,
            },
            3,
        );
        assert_eq!(winner(&[stated]), 3);
    }

    #[test]
    fn first_and_last_touch() {
        let early = signal(click(10), 1);
        let late = signal(click(2), 2);
        assert_eq!(winner(&[early.clone(), late.clone()]), 2);
        assert_eq!(winner(&[late.clone(), early.clone()]), 2);
        let mut early_first = early.clone();
        early_first.attribution_model = AttributionModel::FirstTouch;
        assert_eq!(winner(&[late.clone(), early_first.clone()]), 1);
        // The earliest referral's campaign decides: a FirstTouch campaign touched later does not.
        let mut late_first = late;
        late_first.attribution_model = AttributionModel::FirstTouch;
        assert_eq!(winner(&[early, late_first]), 2);
    }

    #[test]
    fn affiliates_who_do_not_earn_are_skipped() {
        for status in [
            AffiliateStatus::Paused,
            AffiliateStatus::Rejected,
            AffiliateStatus::Banned,
            AffiliateStatus::Pending,
        ] {
            let mut paused = signal(SignalKind::Coupon { overrides_click: true }, 1);
            paused.status = status;
            assert_eq!(
                attribute(&[paused.clone()], ctx()),
                Err(Unattributed::AffiliateNotEarning)
            );
            assert_eq!(winner(&[paused, signal(click(1), 2)]), 2);
        }
    }

    #[test]
    fn renewals_stay_with_the_bound_affiliate() {
        let customer = signal(SignalKind::Customer, 1);
        let coupon = signal(SignalKind::Coupon { overrides_click: true }, 2);
        let renewal = AttributionContext { renewal: true, ..ctx() };
        let got = attribute(&[coupon.clone(), customer.clone()], renewal).unwrap();
        assert_eq!(got.affiliate_id.0.as_u128(), 1);
        assert_eq!(got.source, ConversionSource::CustomerMatch);
        assert_eq!(winner(&[coupon, customer]), 2);
    }

    #[test]
    fn self_referral_is_flagged() {
        let s = signal(click(1), 7);
        let own = AttributionContext {
            customer_email_key: Some("a7@example.com"),
            ..ctx()
        };
        assert!(attribute(std::slice::from_ref(&s), own).unwrap().self_referral);
        let other = AttributionContext {
            customer_email_key: Some("buyer@example.com"),
            ..ctx()
        };
        assert!(!attribute(&[s], other).unwrap().self_referral);
    }

    fn any_kind() -> impl Strategy<Value = SignalKind> {
        prop_oneof![
            any::<bool>().prop_map(|o| SignalKind::Coupon { overrides_click: o }),
            (0i64..90).prop_map(click),
            Just(SignalKind::Customer),
        ]
    }

    proptest! {
        #[test]
        fn the_winner_is_an_eligible_signal_of_the_best_tier(
            kinds in proptest::collection::vec((any_kind(), any::<bool>()), 0..8)
        ) {
            let signals: Vec<Signal> = kinds
                .iter()
                .enumerate()
                .map(|(i, (k, earns))| {
                    let mut s = signal(k.clone(), i as u128);
                    if !earns { s.status = AffiliateStatus::Paused; }
                    s
                })
                .collect();
            let eligible: Vec<&Signal> = signals
                .iter()
                .filter(|s| s.status.earns() && within_window(s, NOW))
                .collect();
            match attribute(&signals, ctx()) {
                Err(_) => prop_assert!(eligible.is_empty()),
                Ok(a) => {
                    let w = &signals[a.signal];
                    prop_assert_eq!(w.affiliate_id, a.affiliate_id);
                    prop_assert!(eligible.iter().any(|s| s.affiliate_id == a.affiliate_id));
                    let best = eligible.iter().map(|s| tier(&s.kind)).min().unwrap();
                    prop_assert_eq!(tier(&w.kind), best);
                }
            }
        }
    }
}
