//! Applications: organizations' public profiles, application forms and their answers, team
//! notification preferences and welcome sequences, each scoped to its organization.

use afflux_domain::{
    AnswerValue, Answers, ApplicationForm, FieldInput, FieldType, OrgProfile, WelcomeSequence, WelcomeStep,
};

use crate::fixtures::*;

fn profile(org: OrgId, handle: &str, primary: Option<CampaignId>) -> OrgProfile {
    OrgProfile {
        org_id: org,
        handle: handle.into(),
        brand_color: "#112233".into(),
        primary_campaign_id: primary,
        updated_at: tick(),
    }
}

#[tokio::test]
async fn profiles_are_found_by_org_and_handle_and_handles_are_unique() -> StoreResult<()> {
    let db = TestDb::new().await;
    let mut tx = db.store().write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let globex = add_org(tx.as_mut(), "Globex").await?;
    let spring = add_campaign(tx.as_mut(), acme.id, "spring").await?;
    let theirs = add_campaign(tx.as_mut(), globex.id, "theirs").await?;
    assert_eq!(tx.get_org_profile(acme.id).await?, None);

    let mut p = profile(acme.id, "acme", Some(spring.id));
    tx.put_org_profile(&p).await?;
    assert_eq!(tx.get_org_profile(acme.id).await?, Some(p.clone()));
    assert_eq!(tx.get_org_profile_by_handle("acme").await?, Some(p.clone()));
    assert_eq!(tx.get_org_profile_by_handle("globex").await?, None);

    // Rewritten in place; another organization's campaign is never its primary.
    p.handle = "acme-co".into();
    p.brand_color = "#ffffff".into();
    p.primary_campaign_id = Some(theirs.id);
    p.updated_at = tick();
    tx.put_org_profile(&p).await?;
    let stored = tx.get_org_profile(acme.id).await?.unwrap();
    assert_eq!(stored.primary_campaign_id, None);
    assert_eq!(
        (stored.handle.as_str(), stored.brand_color.as_str()),
        ("acme-co", "#ffffff")
    );
    assert_eq!(
        tx.get_org_profile_by_handle("acme").await?,
        None,
        "the old handle is free"
    );
    tx.put_org_profile(&profile(globex.id, "acme", None)).await?;
    tx.commit().await?;

    let mut tx = db.store().write().await?;
    let taken = tx.put_org_profile(&profile(globex.id, "acme-co", None)).await;
    assert_conflict_on(taken, "handle");
    drop(tx);
    let mut tx = db.store().read().await?;
    assert_eq!(tx.get_org_profile(globex.id).await?.unwrap().handle, "acme");
    Ok(())
}

#[tokio::test]
async fn forms_and_welcome_sequences_are_kept_per_campaign_of_their_org() -> StoreResult<()> {
    let db = TestDb::new().await;
    let mut tx = db.store().write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let globex = add_org(tx.as_mut(), "Globex").await?;
    let spring = add_campaign(tx.as_mut(), acme.id, "spring").await?;
    let theirs = add_campaign(tx.as_mut(), globex.id, "theirs").await?;
    assert_eq!(tx.get_application_form(acme.id, spring.id).await?, None);

    let mut form = ApplicationForm::default();
    form.add(&FieldInput {
        label: "Platform".into(),
        field_type: Some(FieldType::Dropdown),
        required: true,
        options: "Blog\nYouTube".into(),
        help: "Where you publish".into(),
    })
    .unwrap();
    assert!(tx.put_application_form(acme.id, spring.id, &form, tick()).await?);
    assert_eq!(tx.get_application_form(acme.id, spring.id).await?, Some(form.clone()));
    form.remove("platform").unwrap();
    assert!(tx.put_application_form(acme.id, spring.id, &form, tick()).await?);
    assert_eq!(tx.get_application_form(acme.id, spring.id).await?, Some(form.clone()));
    // Another organization's campaign: nothing written, nothing seen.
    assert!(!tx.put_application_form(acme.id, theirs.id, &form, tick()).await?);
    assert!(
        !tx.put_application_form(acme.id, CampaignId::new(), &form, tick())
            .await?
    );
    assert_eq!(tx.get_application_form(globex.id, spring.id).await?, None);
    assert_eq!(tx.get_application_form(globex.id, theirs.id).await?, None);

    let mut seq = WelcomeSequence::default();
    seq.put(1, WelcomeStep::parse(1, 3, "Tips", "Hi {{affiliate.name}}").unwrap())
        .unwrap();
    assert_eq!(tx.get_welcome_sequence(acme.id, spring.id).await?, None);
    assert!(tx.put_welcome_sequence(acme.id, spring.id, &seq, tick()).await?);
    assert_eq!(tx.get_welcome_sequence(acme.id, spring.id).await?, Some(seq.clone()));
    seq.remove(1).unwrap();
    assert!(tx.put_welcome_sequence(acme.id, spring.id, &seq, tick()).await?);
    assert_eq!(tx.get_welcome_sequence(acme.id, spring.id).await?, Some(seq.clone()));
    assert!(!tx.put_welcome_sequence(acme.id, theirs.id, &seq, tick()).await?);
    assert_eq!(tx.get_welcome_sequence(globex.id, spring.id).await?, None);
    assert_eq!(tx.get_welcome_sequence(globex.id, theirs.id).await?, None);
    tx.commit().await?;
    Ok(())
}

#[tokio::test]
async fn answers_are_kept_with_their_membership() -> StoreResult<()> {
    let db = TestDb::new().await;
    let mut tx = db.store().write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let globex = add_org(tx.as_mut(), "Globex").await?;
    let spring = add_campaign(tx.as_mut(), acme.id, "spring").await?;
    let jane = add_affiliate(tx.as_mut(), acme.id, "jane@acme.test", None, "jane-acme").await?;
    let m = add_membership(tx.as_mut(), &jane, &spring, AffiliateStatus::Pending).await?;
    assert_eq!(tx.get_application_answers(acme.id, m.id).await?, None);

    let mut answers = Answers::new();
    answers.insert("email".into(), AnswerValue::Text("jane@acme.test".into()));
    answers.insert(
        "channels".into(),
        AnswerValue::Many(vec!["Blog".into(), "Email".into()]),
    );
    answers.insert("terms".into(), AnswerValue::Bool(true));
    answers.insert(
        "address".into(),
        AnswerValue::Address([("city".into(), "Leeds".into())].into()),
    );
    assert!(tx.put_application_answers(acme.id, m.id, &answers, tick()).await?);
    assert_eq!(tx.get_application_answers(acme.id, m.id).await?, Some(answers.clone()));
    assert_eq!(tx.get_application_answers(globex.id, m.id).await?, None);
    assert!(
        !tx.put_application_answers(globex.id, m.id, &Answers::new(), tick())
            .await?
    );
    assert!(
        !tx.put_application_answers(acme.id, MembershipId::new(), &answers, tick())
            .await?
    );
    assert_eq!(tx.get_application_answers(acme.id, m.id).await?, Some(answers));
    tx.commit().await?;
    Ok(())
}

#[tokio::test]
async fn notification_preferences_are_per_member_and_org() -> StoreResult<()> {
    let db = TestDb::new().await;
    let mut tx = db.store().write().await?;
    let acme = add_org(tx.as_mut(), "Acme").await?;
    let globex = add_org(tx.as_mut(), "Globex").await?;
    let ann = add_user(tx.as_mut(), "ann@acme.test").await?;
    let bob = add_user(tx.as_mut(), "bob@acme.test").await?;
    add_member(tx.as_mut(), acme.id, ann.id, Role::Owner).await?;
    add_member(tx.as_mut(), acme.id, bob.id, Role::Manager).await?;
    add_member(tx.as_mut(), globex.id, ann.id, Role::Admin).await?;

    assert_eq!(
        tx.get_notification_pref(acme.id, ann.id, "new_application").await?,
        None
    );
    tx.set_notification_pref(acme.id, ann.id, "new_application", false)
        .await?;
    tx.set_notification_pref(acme.id, bob.id, "new_application", true)
        .await?;
    assert_eq!(
        tx.get_notification_pref(acme.id, ann.id, "new_application").await?,
        Some(false)
    );
    assert_eq!(
        tx.get_notification_pref(acme.id, bob.id, "new_application").await?,
        Some(true)
    );
    assert_eq!(
        tx.get_notification_pref(globex.id, ann.id, "new_application").await?,
        None
    );
    assert_eq!(tx.get_notification_pref(acme.id, ann.id, "other_event").await?, None);
    tx.set_notification_pref(acme.id, ann.id, "new_application", true)
        .await?;
    assert_eq!(
        tx.get_notification_pref(acme.id, ann.id, "new_application").await?,
        Some(true)
    );
    tx.commit().await?;
    Ok(())
}
