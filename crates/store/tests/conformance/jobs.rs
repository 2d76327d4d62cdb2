//! The job queue.

use crate::fixtures::*;

#[tokio::test]
async fn job_lifecycle() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let t0 = tick();
    let lease = Duration::seconds(30);

    let mut tx = store.write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let mail = NewJob {
        org_id: Some(acme.id),
        payload: json!({ "to": "jane@example.com", "template": "welcome", "vars": { "n": [1, 2, 3] } }),
        max_attempts: 3,
        ..job("email.send", Some("welcome:jane"), t0 - Duration::seconds(2))
    };
    let report = job("report", None, t0 - Duration::seconds(1));
    let later = job("report", None, t0 + Duration::hours(1));
    for j in [&mail, &report, &later] {
        assert!(tx.enqueue_job(j).await?);
    }
    tx.commit().await?;

    let mut tx = store.write().await?;
    let got = tx.get_job(mail.id).await?.expect("mail job");
    assert_eq!(
        (got.kind.as_str(), got.org_id, &got.payload, got.dedupe_key.as_deref()),
        ("email.send", Some(acme.id), &mail.payload, Some("welcome:jane"))
    );
    assert_eq!(
        (got.state, got.run_at, got.attempts, got.max_attempts),
        (JobState::Queued, mail.run_at, 0, 3)
    );
    assert_eq!((got.locked_until, got.last_error), (None, None));
    assert!(
        (got.created_at - t0).abs() < Duration::minutes(1),
        "created_at {} is now",
        got.created_at
    );
    assert_eq!(tx.get_job(report.id).await?.expect("report").org_id, None);
    assert_eq!(tx.get_job(JobId::new()).await?, None);
    assert_eq!(
        tx.job_counts().await?,
        JobCounts {
            queued: 3,
            running: 0,
            dead: 0
        }
    );

    // Only due jobs are claimed; each becomes Running under a lease, with one more attempt.
    let claimed = tx.claim_jobs(t0, t0 + lease, 10).await?;
    assert_eq!(job_ids(&claimed), HashSet::from([mail.id, report.id]));
    for j in &claimed {
        assert_eq!(
            (j.state, j.attempts, j.locked_until),
            (JobState::Running, 1, Some(t0 + lease)),
            "{j:?}"
        );
    }
    let claimed_mail = claimed.iter().find(|j| j.id == mail.id).unwrap();
    assert_eq!(
        (&claimed_mail.payload, claimed_mail.org_id),
        (&mail.payload, Some(acme.id))
    );
    assert_eq!(
        tx.get_job(mail.id).await?.as_ref(),
        Some(claimed_mail),
        "the claim is what is stored"
    );
    assert_eq!(
        tx.job_counts().await?,
        JobCounts {
            queued: 1,
            running: 2,
            dead: 0
        }
    );
    tx.commit().await?;

    // Nothing is due while the leases hold.
    let mut tx = store.write().await?;
    assert_eq!(
        tx.claim_jobs(t0 + Duration::seconds(10), t0 + Duration::seconds(40), 10)
            .await?,
        vec![]
    );
    // An expired lease is claimed again.
    let t1 = t0 + lease + Duration::seconds(1);
    let reclaimed = tx.claim_jobs(t1, t1 + lease, 10).await?;
    assert_eq!(job_ids(&reclaimed), HashSet::from([mail.id, report.id]));
    assert!(
        reclaimed
            .iter()
            .all(|j| j.attempts == 2 && j.locked_until == Some(t1 + lease)),
        "{reclaimed:?}"
    );
    tx.commit().await?;

    // A retry requeues with the error, for later.
    let mut tx = store.write().await?;
    let retry_at = t1 + Duration::minutes(5);
    assert!(tx.retry_job(report.id, retry_at, "smtp: timeout").await?);
    let got = tx.get_job(report.id).await?.expect("report");
    assert_eq!((got.state, got.run_at, got.attempts), (JobState::Queued, retry_at, 2));
    assert_eq!(
        (got.locked_until, got.last_error.as_deref()),
        (None, Some("smtp: timeout"))
    );
    // A dead job is never claimed again.
    assert!(tx.bury_job(mail.id, "permanent: bad address").await?);
    let got = tx.get_job(mail.id).await?.expect("mail");
    assert_eq!(
        (got.state, got.last_error.as_deref()),
        (JobState::Dead, Some("permanent: bad address"))
    );
    assert_eq!(
        tx.claim_jobs(retry_at - Duration::seconds(1), retry_at + lease, 10)
            .await?,
        vec![]
    );
    assert_eq!(
        tx.job_counts().await?,
        JobCounts {
            queued: 2,
            running: 0,
            dead: 1
        }
    );
    tx.commit().await?;

    let mut tx = store.write().await?;
    let far = t0 + Duration::days(1);
    let claimed = tx.claim_jobs(far, far + lease, 10).await?;
    assert_eq!(job_ids(&claimed), HashSet::from([report.id, later.id]));
    let report_again = claimed.iter().find(|j| j.id == report.id).unwrap();
    assert_eq!(report_again.attempts, 3);
    assert_eq!(
        tx.list_dead_jobs(10)
            .await?
            .iter()
            .map(|j| (j.id, j.state))
            .collect::<Vec<_>>(),
        vec![(mail.id, JobState::Dead)]
    );
    assert_eq!(
        tx.job_counts().await?,
        JobCounts {
            queued: 0,
            running: 2,
            dead: 1
        }
    );

    // Finished jobs are deleted.
    assert!(tx.complete_job(report.id).await?);
    assert!(!tx.complete_job(report.id).await?);
    assert_eq!(tx.get_job(report.id).await?, None);
    assert!(!tx.retry_job(report.id, far, "gone").await?);
    assert!(!tx.bury_job(report.id, "gone").await?);
    assert!(tx.complete_job(mail.id).await?, "a dead job can be discarded");
    tx.commit().await?;

    let mut tx = store.read().await?;
    assert_eq!(
        tx.job_counts().await?,
        JobCounts {
            queued: 0,
            running: 1,
            dead: 0
        }
    );
    assert_eq!(tx.list_dead_jobs(10).await?, vec![]);
    Ok(())
}

#[tokio::test]
async fn job_dedupe_keys() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let t0 = tick();
    let due = t0 - Duration::seconds(1);

    let mut tx = store.write().await?;
    let first = job("payout.sync", Some("sync:acme"), due);
    assert!(tx.enqueue_job(&first).await?);
    let twin = job("payout.sync", Some("sync:acme"), due);
    assert!(!tx.enqueue_job(&twin).await?, "refused while the first is queued");
    assert_eq!(tx.get_job(twin.id).await?, None);
    assert!(
        tx.enqueue_job(&job("payout.sync", Some("sync:globex"), due)).await?,
        "another key is another job"
    );
    assert!(tx.enqueue_job(&job("report", None, t0 + Duration::hours(1))).await?);
    assert!(
        tx.enqueue_job(&job("report", None, t0 + Duration::hours(1))).await?,
        "jobs without a key never collide"
    );
    tx.commit().await?;

    let mut tx = store.write().await?;
    let claimed = tx.claim_jobs(t0, t0 + Duration::minutes(1), 1).await?;
    assert_eq!(
        job_ids(&claimed),
        HashSet::from([first.id]),
        "the earliest due job first"
    );
    assert!(
        !tx.enqueue_job(&job("payout.sync", Some("sync:acme"), due)).await?,
        "refused while running"
    );
    assert!(tx.complete_job(first.id).await?);
    let second = job("payout.sync", Some("sync:acme"), due);
    assert!(
        tx.enqueue_job(&second).await?,
        "accepted again once the first completed"
    );
    tx.commit().await?;

    let mut tx = store.write().await?;
    assert!(tx.bury_job(second.id, "failed for good").await?);
    assert!(
        !tx.enqueue_job(&job("payout.sync", Some("sync:acme"), due)).await?,
        "refused while dead"
    );
    assert_eq!(
        tx.job_counts().await?,
        JobCounts {
            queued: 3,
            running: 0,
            dead: 1
        }
    );
    tx.commit().await?;
    Ok(())
}

#[tokio::test]
async fn claims_respect_the_limit_and_the_due_time() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let t0 = tick();

    let mut tx = store.write().await?;
    let jobs: Vec<NewJob> = (0..5)
        .map(|i| job("tick", None, t0 - Duration::seconds(10 - i)))
        .collect();
    for j in &jobs {
        assert!(tx.enqueue_job(j).await?);
    }
    let exactly_now = job("tick", None, t0);
    let soon = job("tick", None, t0 + Duration::microseconds(1));
    assert!(tx.enqueue_job(&exactly_now).await?);
    assert!(tx.enqueue_job(&soon).await?);
    tx.commit().await?;

    let lease_until = t0 + Duration::minutes(1);
    let mut tx = store.write().await?;
    let first = tx.claim_jobs(t0, lease_until, 2).await?;
    assert_eq!(
        job_ids(&first),
        HashSet::from([jobs[0].id, jobs[1].id]),
        "the earliest due jobs first"
    );
    let rest = tx.claim_jobs(t0, lease_until, 10).await?;
    assert_eq!(
        job_ids(&rest),
        HashSet::from([jobs[2].id, jobs[3].id, jobs[4].id, exactly_now.id]),
        "due at now is due"
    );
    assert_eq!(tx.claim_jobs(t0, lease_until, 10).await?, vec![]);
    assert_eq!(tx.get_job(soon.id).await?.expect("soon").state, JobState::Queued);
    assert_eq!(
        job_ids(&tx.claim_jobs(t0 + Duration::microseconds(1), lease_until, 10).await?),
        HashSet::from([soon.id])
    );
    tx.commit().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claims_take_each_job_once() -> StoreResult<()> {
    const JOBS: usize = 40;
    const WORKERS: usize = 4;
    let db = TestDb::new().await;
    let store = db.store();
    let now = tick();

    let mut tx = store.write().await?;
    let mut queued = HashSet::new();
    for i in 0..JOBS {
        let j = NewJob {
            payload: json!({ "i": i }),
            ..job("work", None, now - Duration::seconds(1))
        };
        assert!(tx.enqueue_job(&j).await?);
        queued.insert(j.id);
    }
    tx.commit().await?;

    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(WORKERS));
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (store, barrier) = (store.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                let mut mine = Vec::new();
                loop {
                    let mut tx = store.write().await?;
                    let claimed = tx.claim_jobs(now, now + Duration::minutes(5), 2).await?;
                    tx.commit().await?;
                    if claimed.is_empty() {
                        return Ok::<_, StoreError>(mine);
                    }
                    mine.extend(claimed.into_iter().map(|j| j.id));
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();

    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.expect("worker")?);
    }
    let distinct: HashSet<JobId> = all.iter().copied().collect();
    assert_eq!(all.len(), JOBS, "claims: {all:?}");
    assert_eq!(distinct, queued, "every job claimed exactly once");

    let mut tx = store.read().await?;
    assert_eq!(
        tx.job_counts().await?,
        JobCounts {
            queued: 0,
            running: JOBS as i64,
            dead: 0
        }
    );
    for id in &queued {
        assert_eq!(tx.get_job(*id).await?.expect("job").attempts, 1);
    }
    Ok(())
}

#[tokio::test]
async fn jobs_are_found_by_dedupe_key_and_rescheduled() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let t0 = tick();
    let lease = Duration::seconds(30);

    let mut tx = store.write().await?;
    let sync = job("crm.sync", Some("crm:i1:jane"), t0 - Duration::seconds(1));
    assert!(tx.enqueue_job(&sync).await?);
    let waiting = job("crm.sync", Some("crm:i1:joe"), t0 + Duration::hours(1));
    assert!(tx.enqueue_job(&waiting).await?);
    let got = tx.get_job_by_dedupe_key("crm:i1:jane").await?.expect("by key");
    assert_eq!(Some(&got), tx.get_job(sync.id).await?.as_ref());
    assert_eq!(got.id, sync.id);
    assert_eq!(
        tx.get_job_by_dedupe_key("crm:i1").await?,
        None,
        "the whole key, not a prefix"
    );
    assert_eq!(tx.get_job_by_dedupe_key("nope").await?, None);

    // A running job is not rescheduled.
    let claimed = tx.claim_jobs(t0, t0 + lease, 10).await?;
    assert_eq!(job_ids(&claimed), HashSet::from([sync.id]));
    assert!(!tx.reschedule_job("crm:i1:jane", t0).await?);
    assert_eq!(tx.get_job(sync.id).await?.expect("running").state, JobState::Running);
    assert!(!tx.reschedule_job("crm:missing", t0).await?);

    // A dead job is: queued again, due when asked, with its attempts reset.
    assert!(tx.retry_job(sync.id, t0, "503").await?);
    let claimed = tx.claim_jobs(t0, t0 + lease, 10).await?;
    assert_eq!(claimed[0].attempts, 2);
    assert!(tx.bury_job(sync.id, "gave up").await?);
    let now = t0 + Duration::minutes(1);
    assert!(tx.reschedule_job("crm:i1:jane", now).await?);
    let got = tx.get_job(sync.id).await?.expect("rescheduled");
    assert_eq!(
        (got.state, got.run_at, got.attempts, got.locked_until),
        (JobState::Queued, now, 0, None)
    );
    assert_eq!(got.last_error.as_deref(), Some("gave up"), "the last error is kept");

    // A queued job is made due now.
    assert!(tx.reschedule_job("crm:i1:joe", now).await?);
    let got = tx.get_job(waiting.id).await?.expect("queued");
    assert_eq!((got.state, got.run_at, got.attempts), (JobState::Queued, now, 0));
    assert_eq!(
        job_ids(&tx.claim_jobs(now, now + lease, 10).await?),
        HashSet::from([sync.id, waiting.id])
    );
    assert_eq!(tx.get_job(sync.id).await?.expect("claimed").attempts, 1);
    tx.commit().await?;
    Ok(())
}

#[tokio::test]
async fn a_deferred_job_keeps_its_attempts() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let t0 = tick();
    let lease = Duration::seconds(30);

    let mut tx = store.write().await?;
    let j = job("crm.sync", Some("crm:i1:jane"), t0);
    assert!(tx.enqueue_job(&j).await?);
    assert_eq!(tx.claim_jobs(t0, t0 + lease, 10).await?[0].attempts, 1);
    assert!(tx.retry_job(j.id, t0, "timeout").await?);
    assert_eq!(tx.claim_jobs(t0, t0 + lease, 10).await?[0].attempts, 2);

    // The vendor asks us to wait: the claim is given back.
    let later = t0 + Duration::minutes(2);
    assert!(tx.defer_job(j.id, later, "429: retry after 120s").await?);
    let got = tx.get_job(j.id).await?.expect("deferred");
    assert_eq!(
        (got.state, got.run_at, got.attempts, got.locked_until),
        (JobState::Queued, later, 1, None)
    );
    assert_eq!(got.last_error.as_deref(), Some("429: retry after 120s"));
    assert_eq!(tx.claim_jobs(t0, t0 + lease, 10).await?, vec![], "not due before");
    assert_eq!(tx.claim_jobs(later, later + lease, 10).await?[0].attempts, 2);

    // Never below zero.
    let fresh = job("crm.sync", None, t0);
    assert!(tx.enqueue_job(&fresh).await?);
    assert!(tx.defer_job(fresh.id, later, "wait").await?);
    assert!(tx.defer_job(fresh.id, later, "wait").await?);
    assert_eq!(tx.get_job(fresh.id).await?.expect("fresh").attempts, 0);
    assert!(!tx.defer_job(JobId::new(), later, "gone").await?);
    tx.commit().await?;
    Ok(())
}

#[tokio::test]
async fn jobs_are_cancelled_by_dedupe_key_prefix() -> StoreResult<()> {
    let db = TestDb::new().await;
    let store = db.store();
    let t0 = tick();
    let later = t0 + Duration::hours(1);

    let mut tx = store.write().await?;
    let running = job("crm.sync", Some("crm:i1:ann"), t0);
    assert!(tx.enqueue_job(&running).await?);
    assert_eq!(
        job_ids(&tx.claim_jobs(t0, later, 10).await?),
        HashSet::from([running.id])
    );
    let queued = job("crm.sync", Some("crm:i1:jane"), later);
    let dead = job("crm.sync", Some("crm:i1:joe"), later);
    let other_integration = job("crm.sync", Some("crm:i2:jane"), later);
    let longer_id = job("crm.sync", Some("crm:i10:jane"), later);
    let lookalike = job("crm.sync", Some("crmXi1:jane"), later);
    let percent = job("report", Some("100%:done"), later);
    let keyless = job("crm.sync", None, later);
    for j in [
        &queued,
        &dead,
        &other_integration,
        &longer_id,
        &lookalike,
        &percent,
        &keyless,
    ] {
        assert!(tx.enqueue_job(j).await?);
    }
    assert!(tx.bury_job(dead.id, "failed").await?);

    assert_eq!(tx.cancel_jobs("crm:i1:").await?, 2, "the queued and the dead");
    assert_eq!(tx.get_job(queued.id).await?, None);
    assert_eq!(tx.get_job(dead.id).await?, None);
    assert_eq!(
        tx.get_job(running.id).await?.expect("running").state,
        JobState::Running,
        "a running job is left alone"
    );
    for j in [&other_integration, &longer_id, &lookalike, &percent, &keyless] {
        assert!(tx.get_job(j.id).await?.is_some(), "{:?} is kept", j.dedupe_key);
    }

    // Wildcards match only themselves.
    assert_eq!(tx.cancel_jobs("crm_").await?, 0);
    assert_eq!(tx.cancel_jobs("%").await?, 0);
    assert_eq!(tx.cancel_jobs("100_").await?, 0);
    assert_eq!(tx.cancel_jobs("100%").await?, 1);
    assert_eq!(tx.get_job(percent.id).await?, None);
    assert_eq!(tx.cancel_jobs("nothing:").await?, 0);
    assert_eq!(tx.cancel_jobs("crm:i2:jane").await?, 1, "a whole key is a prefix");
    assert_eq!(
        tx.job_counts().await?,
        JobCounts {
            queued: 3,
            running: 1,
            dead: 0
        }
    );
    tx.commit().await?;
    Ok(())
}
