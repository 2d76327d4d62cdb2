//! The S2S writer: one task that records signed sales and leads in batches (group commit).
//! Each request hands its event over and waits; the task takes whatever has queued, claims the
//! lot, records them through the one conversion verb, stores the answers and commits, all in
//! one transaction, and only then answers every waiter. A thousand concurrent sales cost a
//! handful of transactions of a few statements each, not a thousand.
//!
//! If a batch fails, each of its events is retried alone, so one bad event fails only itself.

use std::collections::HashMap;
use std::sync::Arc;

use afflux_domain::OrgId;
use afflux_store::{ProcessedEvent, Store};
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};

use super::NewConversion;
use super::events::{self, HookReply};
use super::record::record_conversions;
use super::refunds::recorded_reply;
use crate::{AppError, AppResult};

/// The most events one transaction holds.
const MAX_BATCH: usize = 256;
/// Events waiting for the writer; past this, requests wait to hand theirs over.
const QUEUE: usize = 4_096;
const PROVIDER: &str = "s2s";

/// One verified S2S sale or lead.
pub(super) struct Item {
    pub org: OrgId,
    pub event_id: String,
    /// SHA-256 of the canonical event: a replay must carry the same payload.
    pub hash: Vec<u8>,
    pub input: NewConversion,
}

struct Pending {
    item: Item,
    reply: oneshot::Sender<AppResult<HookReply>>,
}

/// The handle requests submit through.
pub(crate) struct Ingest {
    sender: mpsc::Sender<Pending>,
}

impl Ingest {
    /// Starts the writer task (inside a Tokio runtime); it ends when the handle is dropped.
    pub(crate) fn new(store: Arc<dyn Store>) -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE);
        tokio::spawn(run(store, receiver));
        Self { sender }
    }

    pub(super) async fn submit(&self, item: Item) -> AppResult<HookReply> {
        let (reply, answer) = oneshot::channel();
        let gone = || AppError::Internal(anyhow::anyhow!("the S2S writer has stopped"));
        self.sender.send(Pending { item, reply }).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

async fn run(store: Arc<dyn Store>, mut receiver: mpsc::Receiver<Pending>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let pending: Vec<Pending> = std::mem::take(&mut batch);
        let items: Vec<&Item> = pending.iter().map(|p| &p.item).collect();
        match process(store.as_ref(), &items).await {
            Ok(answers) => {
                for (p, answer) in pending.into_iter().zip(answers) {
                    let _ = p.reply.send(answer);
                }
            }
            Err(e) if pending.len() == 1 => {
                let p = pending.into_iter().next().expect("one");
                let _ = p.reply.send(Err(e));
            }
            Err(e) => {
                tracing::warn!(
                    error = format!("{e:#}"),
                    events = pending.len(),
                    "an S2S batch failed; retrying its events one by one"
                );
                for p in pending {
                    let answer = match process(store.as_ref(), &[&p.item]).await {
                        Ok(mut answers) => answers.remove(0),
                        Err(e) => Err(e),
                    };
                    let _ = p.reply.send(answer);
                }
            }
        }
    }
}

/// How an event of the batch is answered.
enum Answer {
    Reply(HookReply),
    /// Its id was used before with another payload.
    Conflict,
    /// Answered as the first event of the batch with the same id.
    SameAs(usize),
}

/// Records a batch in one transaction; per event, its answer. An error here fails the batch.
async fn process(store: &dyn Store, items: &[&Item]) -> AppResult<Vec<AppResult<HookReply>>> {
    let now = OffsetDateTime::now_utc();
    let mut tx = store.write().await?;
    let mut first: HashMap<(OrgId, &str), usize> = HashMap::new();
    let mut answers: Vec<Option<Answer>> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match first.get(&(item.org, item.event_id.as_str())) {
            Some(&f) => answers.push(Some(Answer::SameAs(f))),
            None => {
                first.insert((item.org, item.event_id.as_str()), i);
                answers.push(None);
            }
        }
    }
    // Claimed in one order by every transaction (see `record_conversions`).
    let mut leaders: Vec<usize> = first.into_values().collect();
    leaders.sort_by(|&a, &b| (items[a].org, &items[a].event_id).cmp(&(items[b].org, &items[b].event_id)));
    let event = |i: usize| ProcessedEvent {
        org_id: items[i].org,
        provider: PROVIDER.into(),
        event_id: items[i].event_id.clone(),
        request_hash: Some(items[i].hash.clone()),
        result: None,
        created_at: now,
    };
    let claims: Vec<ProcessedEvent> = leaders.iter().map(|&i| event(i)).collect();
    let taken = tx.claim_events(&claims).await?;
    let mut fresh = vec![];
    for (&i, taken) in leaders.iter().zip(taken) {
        if taken {
            fresh.push(i);
            continue;
        }
        let stored = tx
            .get_event(items[i].org, PROVIDER, &items[i].event_id)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a claimed event vanished")))?;
        answers[i] = Some(match events::replay(stored, Some(&items[i].hash)) {
            Ok(reply) => Answer::Reply(reply),
            Err(AppError::Conflict { .. }) => Answer::Conflict,
            Err(e) => return Err(e),
        });
    }
    fresh.sort_unstable();
    let inputs = fresh.iter().map(|&i| items[i].input.clone()).collect();
    let recorded = record_conversions(tx.as_mut(), inputs, "system").await?;
    let mut results = Vec::with_capacity(fresh.len());
    for (&i, r) in fresh.iter().zip(&recorded) {
        let reply = recorded_reply(r);
        let mut done = event(i);
        done.result = Some(events::stored_result(&reply));
        results.push(done);
        answers[i] = Some(Answer::Reply(reply));
    }
    results.sort_by(|a, b| (a.org_id, &a.event_id).cmp(&(b.org_id, &b.event_id)));
    tx.finish_events(&results).await?;
    tx.commit().await?;

    let answers: Vec<Answer> = answers.into_iter().map(|a| a.expect("every event answered")).collect();
    Ok((0..items.len())
        .map(|i| match &answers[i] {
            Answer::Reply(reply) => Ok(reply.clone()),
            Answer::Conflict => Err(events::conflict()),
            // A repeat within the batch: the first's answer, as a replay.
            Answer::SameAs(f) => match &answers[*f] {
                Answer::Reply(reply) if items[i].hash == items[*f].hash => Ok(HookReply {
                    replayed: true,
                    ..reply.clone()
                }),
                _ => Err(events::conflict()),
            },
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use afflux_domain::{
        AttributionModel, CommissionType, ConversionProvider, ConversionSource, ConversionType, Money,
    };
    use afflux_integrations::email::FileTransport;
    use afflux_store::test_db::TestDb;

    use super::*;
    use crate::conversions::{Customer, ExternalRefs, Referral};
    use crate::{Actor, AffiliateInvite, App, AppConfig, Decimal, NewCampaign, NewOrg};

    fn sale(org: OrgId, id: &str, slug: &str, customer: &str, hash: u8) -> Item {
        Item {
            org,
            event_id: id.into(),
            hash: vec![hash; 32],
            input: NewConversion {
                org_id: org,
                provider: ConversionProvider::Server,
                external_id: id.into(),
                event_id: id.into(),
                kind: ConversionType::Sale,
                amount: Money::new(10_000, afflux_domain::Currency::USD),
                occurred_at: OffsetDateTime::now_utc(),
                referral: Referral {
                    slug: (!slug.is_empty()).then(|| (slug.to_owned(), ConversionSource::Server)),
                    ..Default::default()
                },
                customer: Customer::new("ext", Some(customer.into()), None, None),
                refs: ExternalRefs::default(),
            },
        }
    }

    /// One batch holding a repeat, a conflicting repeat, a customer bound by an earlier sale
    /// of the same batch, and a replay of an event committed before.
    #[tokio::test]
    async fn a_batch_answers_each_event_as_if_it_came_alone() {
        let db = TestDb::new().await;
        let mail = tempfile::tempdir().unwrap();
        let app = App::new(
            db.store(),
            AppConfig::default(),
            Arc::new(FileTransport::new(mail.path())),
        )
        .await
        .unwrap();
        let org = app
            .create_org(NewOrg {
                name: "Batch".into(),
                owner_email: "owner@batch.test".into(),
                plan: None,
                status: None,
            })
            .await
            .unwrap()
            .org
            .id;
        let actor = Actor::operator(org);
        let campaign = app
            .create_campaign(
                &actor,
                NewCampaign {
                    name: "Pro".into(),
                    slug: None,
                    destination_url: "https://batch.test".into(),
                    default_commission_type: CommissionType::Percentage,
                    default_commission_value: Decimal("10".into()),
                    currency: None,
                    default_commission_model: None,
                    cookie_window_days: None,
                    attribution_model: Some(AttributionModel::LastTouch),
                    auto_approve: None,
                    description: None,
                    terms_url: None,
                    rules: None,
                },
            )
            .await
            .unwrap();
        let invite = AffiliateInvite {
            program_id: campaign.id,
            email: "jane@batch.test".into(),
            name: None,
        };
        let (jane, _) = app.invite_affiliate(&actor, invite).await.unwrap();
        let slug = jane.slug.as_str();
        let store = db.store();

        let before = sale(org, "e0", slug, "c0", 0);
        let first = process(store.as_ref(), &[&before]).await.unwrap();
        assert_eq!(first[0].as_ref().unwrap().status, 201);

        let a = sale(org, "e1", slug, "c1", 1);
        let a_again = sale(org, "e1", slug, "c1", 1);
        let a_changed = sale(org, "e1", slug, "c1", 9);
        let by_customer = sale(org, "e2", "", "c1", 2);
        let replay = sale(org, "e0", slug, "c0", 0);
        let answers = process(store.as_ref(), &[&a, &a_again, &a_changed, &by_customer, &replay])
            .await
            .unwrap();
        let a_reply = answers[0].as_ref().unwrap();
        assert_eq!((a_reply.status, a_reply.replayed), (201, false));
        let again = answers[1].as_ref().unwrap();
        assert_eq!((again.status, again.replayed, &again.body), (201, true, &a_reply.body));
        assert!(matches!(
            &answers[2],
            Err(AppError::Conflict {
                code: "idempotency_conflict",
                ..
            })
        ));
        let matched = answers[3].as_ref().unwrap();
        assert_eq!(matched.body["source"], "CustomerMatch", "{:?}", matched.body);
        assert_eq!(matched.body["affiliateId"], serde_json::json!(jane.id));
        let replayed = answers[4].as_ref().unwrap();
        assert_eq!(
            (replayed.replayed, &replayed.body),
            (true, &first[0].as_ref().unwrap().body)
        );

        let mut tx = store.read().await.unwrap();
        let all = tx
            .list_conversions(org, &Default::default(), afflux_store::Page::ALL)
            .await
            .unwrap();
        assert_eq!(all.len(), 3, "e0, e1 and e2, once each");
        let e2 = tx.get_event(org, PROVIDER, "e2").await.unwrap().unwrap();
        assert_eq!(
            e2.result.unwrap()["body"],
            matched.body,
            "the answer is stored for replays"
        );
    }
}
