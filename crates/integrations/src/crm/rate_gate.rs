//! Client-side rate limiting per vendor account, fed by the vendor's own rate-limit headers,
//! so a burst of syncs stays under the limit instead of bouncing off 429s.
//!
//! The vendor's answers say how many requests are left in its window and when that window
//! resets. The gate spends that budget, counting requests still in flight as spent, and once
//! it is gone waits for the reset. Our clock and the vendor's window never line up exactly
//! (requests cross the boundary, the reset is in whole seconds), so each window starts with a
//! single request, a probe, whose answer gives the new window's true budget, the requests that
//! crossed the boundary included.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::CrmError;

/// Until the vendor says otherwise: Ontraport's documented 180 requests a minute.
const ASSUMED_LIMIT: u32 = 180;
const ASSUMED_WINDOW: Duration = Duration::from_secs(60);

/// Longer waits are handed back as `RateLimited` so the job layer defers the sync instead of
/// holding a worker.
const MAX_WAIT: Duration = Duration::from_secs(30);

/// One gate per vendor account (keyed by vendor and account id), shared by every sync of this
/// process.
#[derive(Clone, Default)]
pub struct RateGates {
    gates: Arc<Mutex<HashMap<String, Arc<RateGate>>>>,
}

impl RateGates {
    pub(crate) fn gate(&self, key: &str) -> Arc<RateGate> {
        let mut gates = self.gates.lock().expect("rate gate map poisoned");
        gates.entry(key.to_owned()).or_default().clone()
    }
}

/// What one answer announced about the vendor's window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Announced {
    /// Requests allowed per window.
    pub limit: Option<u32>,
    /// Requests left in the current window.
    pub remaining: Option<u32>,
    /// Time until the window resets.
    pub reset: Option<Duration>,
}

/// The rate budget of one vendor account, and the account's names the vendor gave ids to.
#[derive(Default)]
pub(crate) struct RateGate {
    budget: Mutex<Budget>,
    /// Wakes the requests waiting for a probe's answer.
    probed: Notify,
    /// Ids of names in this account (Ontraport tag ids by lowercased name), so a sync in the
    /// steady state skips the look-ups. An async lock: one sync resolves a missing name while
    /// the others wait for it, instead of each creating the same tag.
    names: tokio::sync::Mutex<HashMap<String, String>>,
}

impl RateGate {
    /// Waits for room in the budget. The permit must be given the answer's headers.
    pub(crate) async fn acquire(&self) -> Result<Permit<'_>, CrmError> {
        loop {
            // Registered before looking, so a probe answering in between still wakes us.
            let probed = self.probed.notified();
            tokio::pin!(probed);
            probed.as_mut().enable();
            let take = self.budget().take(Instant::now());
            let until = match take {
                Take::Granted { epoch, probe } => {
                    return Ok(Permit {
                        gate: self,
                        epoch,
                        probe,
                        settled: false,
                    });
                }
                Take::Defer(wait) => return Err(CrmError::RateLimited { wait }),
                Take::Wait(until) => until,
                Take::AwaitProbe => {
                    probed.await;
                    continue;
                }
            };
            tokio::time::sleep_until(until).await;
        }
    }

    pub(crate) fn names(&self) -> &tokio::sync::Mutex<HashMap<String, String>> {
        &self.names
    }

    fn budget(&self) -> MutexGuard<'_, Budget> {
        // The budget is plain numbers, never left half-updated: a poisoned lock is still sound.
        self.budget.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn settle(&self, epoch: u64, probe: bool, announced: Option<&Announced>) {
        self.budget().settle(Instant::now(), epoch, probe, announced);
        if probe {
            self.probed.notify_waiters();
        }
    }
}

/// Room for one request. Dropped without an answer (transport error, cancelled call), it
/// just stops counting as in flight.
pub(crate) struct Permit<'a> {
    gate: &'a RateGate,
    epoch: u64,
    probe: bool,
    settled: bool,
}

impl Permit<'_> {
    /// Feeds the answer's rate-limit headers back into the budget.
    pub(crate) fn observe(mut self, announced: &Announced) {
        self.settled = true;
        self.gate.settle(self.epoch, self.probe, Some(announced));
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if !self.settled {
            self.gate.settle(self.epoch, self.probe, None);
        }
    }
}

enum Take {
    Granted {
        epoch: u64,
        probe: bool,
    },
    /// Another request is probing the window.
    AwaitProbe,
    Wait(Instant),
    Defer(Duration),
}

struct Budget {
    limit: u32,
    /// Requests we may still send before `resets_at`.
    remaining: u32,
    resets_at: Instant,
    /// Counts windows, so an answer from an earlier window cannot refill the current one.
    epoch: u64,
    /// Whether the current window's probe answered.
    confirmed: bool,
    probing: bool,
    in_flight: u32,
}

impl Default for Budget {
    fn default() -> Self {
        Self {
            limit: ASSUMED_LIMIT,
            remaining: 0,
            resets_at: Instant::now(),
            epoch: 0,
            confirmed: false,
            probing: false,
            in_flight: 0,
        }
    }
}

impl Budget {
    fn take(&mut self, now: Instant) -> Take {
        if self.confirmed && now >= self.resets_at {
            self.epoch += 1;
            self.confirmed = false;
        }
        if !self.confirmed {
            if self.probing {
                return Take::AwaitProbe;
            }
            self.probing = true;
            return self.grant(true);
        }
        if self.remaining > 0 {
            self.remaining -= 1;
            return self.grant(false);
        }
        let wait = self.resets_at - now;
        if wait > MAX_WAIT {
            Take::Defer(wait)
        } else {
            Take::Wait(self.resets_at)
        }
    }

    fn grant(&mut self, probe: bool) -> Take {
        self.in_flight += 1;
        Take::Granted {
            epoch: self.epoch,
            probe,
        }
    }

    fn settle(&mut self, now: Instant, epoch: u64, probe: bool, announced: Option<&Announced>) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if probe {
            self.probing = false;
        }
        let Some(seen) = announced else { return };
        if let Some(limit) = seen.limit.filter(|l| *l > 0) {
            self.limit = limit;
        }
        if epoch != self.epoch {
            return;
        }
        // Requests still in flight may not have been counted by the vendor yet.
        let left = |remaining: u32| remaining.saturating_sub(self.in_flight);
        if probe {
            // Without headers, the probe itself is the only request we know was counted.
            self.remaining = left(seen.remaining.unwrap_or(self.limit.saturating_sub(1)));
            self.resets_at = now + seen.reset.unwrap_or(ASSUMED_WINDOW);
            self.confirmed = true;
            return;
        }
        if let Some(remaining) = seen.remaining {
            // Only ever lowered: a higher count may come from the vendor's next window, which
            // the next probe will measure.
            self.remaining = self.remaining.min(left(remaining));
            if remaining == 0
                && let Some(reset) = seen.reset
            {
                self.resets_at = self.resets_at.max(now + reset);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn announced(remaining: u32, reset_secs: u64) -> Announced {
        Announced {
            limit: Some(10),
            remaining: Some(remaining),
            reset: Some(Duration::from_secs(reset_secs)),
        }
    }

    async fn blocked(gate: &RateGate) -> bool {
        tokio::time::timeout(Duration::from_millis(1), gate.acquire())
            .await
            .is_err()
    }

    #[tokio::test(start_paused = true)]
    async fn one_request_at_a_time_until_the_first_answer() {
        let gate = RateGate::default();
        let probe = gate.acquire().await.unwrap();
        assert!(blocked(&gate).await);
        probe.observe(&announced(2, 5));
        let a = gate.acquire().await.unwrap();
        let b = gate.acquire().await.unwrap();
        assert!(blocked(&gate).await, "two were left in the window");
        drop((a, b));
    }

    #[tokio::test(start_paused = true)]
    async fn the_vendors_count_lowers_the_budget_with_requests_in_flight_as_spent() {
        let gate = RateGate::default();
        gate.acquire().await.unwrap().observe(&announced(5, 5));
        let a = gate.acquire().await.unwrap();
        let b = gate.acquire().await.unwrap();
        // Someone else used the account too: 2 left after `a`, and `b` is still on its way.
        a.observe(&announced(2, 5));
        let c = gate.acquire().await.unwrap();
        assert!(blocked(&gate).await);
        drop((b, c));
    }

    #[tokio::test(start_paused = true)]
    async fn a_spent_window_waits_for_the_reset_then_probes_the_next() {
        let gate = RateGate::default();
        let start = Instant::now();
        gate.acquire().await.unwrap().observe(&announced(1, 5));
        gate.acquire().await.unwrap().observe(&announced(0, 5));
        let probe = gate.acquire().await.unwrap();
        assert!(start.elapsed() >= Duration::from_secs(5));
        assert!(probe.probe);
        assert!(blocked(&gate).await, "the new window is probed first");
        probe.observe(&announced(9, 5));
        assert!(!blocked(&gate).await);
    }

    #[tokio::test(start_paused = true)]
    async fn answers_from_an_earlier_window_do_not_refill_the_current_one() {
        let gate = RateGate::default();
        gate.acquire().await.unwrap().observe(&announced(1, 5));
        let late = gate.acquire().await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
        gate.acquire().await.unwrap().observe(&announced(0, 5));
        late.observe(&announced(9, 1));
        assert!(blocked(&gate).await);
    }

    #[tokio::test(start_paused = true)]
    async fn a_long_wait_is_handed_back_instead_of_slept() {
        let gate = RateGate::default();
        gate.acquire().await.unwrap().observe(&announced(0, 45));
        match gate.acquire().await {
            Err(CrmError::RateLimited { wait }) => assert_eq!(wait, Duration::from_secs(45)),
            other => panic!("expected RateLimited, got {:?}", other.map(|_| ())),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_probe_lost_on_the_way_lets_the_next_request_probe() {
        let gate = RateGate::default();
        let probe = gate.acquire().await.unwrap();
        drop(probe);
        let again = gate.acquire().await.unwrap();
        assert!(again.probe);
    }
}
