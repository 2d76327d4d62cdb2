//! Submitting an application: the answers are validated against the campaign's form, the
//! affiliate is added (Pending, or Approved when the campaign auto-approves), the answers are
//! kept with the membership and the team is told.

use afflux_domain::{
    ALIAS_KEY, Affiliate, AnswerValue, Answers, ApplicationForm, Campaign, CampaignId, EMAIL_KEY, FieldError,
    Membership, NAME_KEY, OrgId, ValidationError,
};
use afflux_store::Tx;
use time::OffsetDateTime;

use crate::{App, AppError, AppResult, Application};

#[derive(Debug, Clone)]
pub struct Submission {
    pub affiliate: Affiliate,
    pub membership: Membership,
}

/// Why a submission was refused: answers to show next to their fields, or anything else.
#[derive(Debug)]
pub enum SubmitError {
    Fields(Vec<FieldError>),
    App(AppError),
}

impl<E: Into<AppError>> From<E> for SubmitError {
    fn from(e: E) -> Self {
        SubmitError::App(e.into())
    }
}

fn text(answers: &Answers, key: &str) -> Option<String> {
    match answers.get(key) {
        Some(AnswerValue::Text(s)) => Some(s.clone()),
        _ => None,
    }
}

/// The answer a refusal of `add_member` is about, when it is about one.
fn as_field_error(e: AppError) -> SubmitError {
    let field = |key: &str, code, message: String| {
        SubmitError::Fields(vec![FieldError {
            key: key.into(),
            code,
            message,
        }])
    };
    match e {
        AppError::Validation(v) if v.field == "slug" => field(ALIAS_KEY, "invalid_alias", v.message),
        AppError::Validation(v) if v.field == "email" || v.field == "name" => {
            field(if v.field == "email" { EMAIL_KEY } else { NAME_KEY }, v.code, v.message)
        }
        AppError::Conflict { code: "slug_taken", .. } => {
            field(ALIAS_KEY, "alias_taken", "this alias is taken; choose another".into())
        }
        AppError::Conflict {
            code: "already_applied",
            ..
        } => field(
            EMAIL_KEY,
            "already_applied",
            "you have already applied to this program".into(),
        ),
        other => SubmitError::App(other),
    }
}

/// The field the public page adds when a recruitment link (`?recruiter={slug}`) brought the
/// applicant to a two-tier program.
pub const RECRUITER_KEY: &str = "recruiter";

impl App {
    /// The public form: answers as posted (`key=value` pairs).
    pub async fn submit_application(
        &self,
        org: OrgId,
        campaign: CampaignId,
        raw: &[(String, String)],
    ) -> Result<Submission, SubmitError> {
        let mut tx = self.store().write().await?;
        let campaign = tx
            .get_campaign(org, campaign)
            .await?
            .filter(Campaign::accepts_applications)
            .ok_or(AppError::NotFound("program"))?;
        let form = self.form_of(tx.as_mut(), &campaign).await?;
        let answers = form.validate_answers(raw).map_err(SubmitError::Fields)?;
        let input = Application {
            email: text(&answers, EMAIL_KEY).unwrap_or_default(),
            name: text(&answers, NAME_KEY),
            paypal_email: None,
            slug: text(&answers, ALIAS_KEY),
            recruiter: raw.iter().find(|(k, _)| k == RECRUITER_KEY).map(|(_, v)| v.clone()),
        };
        let (affiliate, membership) = self
            .add_member(tx.as_mut(), &campaign, input, None, "public")
            .await
            .map_err(as_field_error)?;
        self.after_application(tx.as_mut(), &affiliate, &membership, &answers)
            .await?;
        tx.commit().await?;
        self.links_changed();
        self.wake_worker();
        Ok(Submission { affiliate, membership })
    }

    /// Keeps the answers with the new membership and tells the team.
    pub(crate) async fn after_application(
        &self,
        tx: &mut dyn Tx,
        affiliate: &Affiliate,
        membership: &Membership,
        answers: &Answers,
    ) -> AppResult<()> {
        tx.put_application_answers(membership.org_id, membership.id, answers, OffsetDateTime::now_utc())
            .await?;
        self.notify_new_application(tx, membership.org_id, affiliate.id, membership.campaign_id)
            .await
    }
}

/// A JSON application checked against the form: its email, name and alias answer the fields
/// of those keys, and a required field the JSON cannot answer is refused by key.
pub(crate) fn json_answers(form: &ApplicationForm, input: &Application) -> AppResult<Answers> {
    let mut raw = vec![(EMAIL_KEY.to_owned(), input.email.clone())];
    for (key, value) in [(NAME_KEY, &input.name), (ALIAS_KEY, &input.slug)] {
        if let Some(v) = value {
            raw.push((key.to_owned(), v.clone()));
        }
    }
    form.validate_answers(&raw).map_err(|errors| {
        let e = &errors[0];
        let field = if e.key == ALIAS_KEY { "slug" } else { e.key.as_str() };
        AppError::Validation(ValidationError::with_code(field, e.code, e.message.clone()))
    })
}
