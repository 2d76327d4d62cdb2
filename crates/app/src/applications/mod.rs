//! Applications (issue 7): the organization's public profile, each campaign's application form
//! and welcome sequence, submitting the public form, the team's "new application" emails and
//! their per-member preference.

mod answers;
mod form;
mod prefs;
mod profile;
mod submit;
mod welcome;

pub use answers::{AffiliateApplications, ApplicationAnswers};
pub use form::FormEdit;
pub use prefs::NotificationPref;
pub use profile::{ProfileInput, PublicCampaign};
pub use submit::{RECRUITER_KEY, Submission, SubmitError};
pub use welcome::StepInput;

pub(crate) use prefs::wants;
pub(crate) use submit::json_answers;
pub use welcome::follow_up_key;
pub(crate) use welcome::sequence_of;
