use afflux_domain::{PlanGate, PlanTier, SubscriptionStatus, ValidationError};
use afflux_store::StoreError;
use thiserror::Error;

pub type AppResult<T> = Result<T, AppError>;

/// What a verb can answer besides success. Each variant maps to one HTTP status and a stable
/// error code at the web edge.
#[derive(Debug, Error)]
pub enum AppError {
    #[error("{0}")]
    Validation(#[from] ValidationError),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    /// The object does not exist or belongs to another organization: the two are
    /// indistinguishable on purpose.
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    Conflict {
        code: &'static str,
        message: String,
        field: Option<String>,
    },
    #[error("this needs the {required} plan or higher")]
    PlanRequired {
        required: PlanTier,
        status: SubscriptionStatus,
    },
    /// A feature that needs a paying subscription (Active, not trialing) on `required` or higher.
    #[error("this needs an active {required} subscription or higher")]
    PaidPlanRequired {
        required: PlanTier,
        status: SubscriptionStatus,
    },
    #[error("too many attempts; try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// A vendor call of the connect flow or a picker failed.
    #[error("{0}")]
    Integration(afflux_integrations::crm::CrmError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn conflict(code: &'static str, field: Option<&str>, message: impl Into<String>) -> Self {
        AppError::Conflict {
            code,
            message: message.into(),
            field: field.map(str::to_owned),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        AppError::Forbidden(message.into())
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            // A unique violation the verb did not anticipate still means "already exists".
            StoreError::Conflict { .. } => AppError::conflict("conflict", None, "this already exists"),
            other => AppError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<PlanGate> for AppError {
    fn from(g: PlanGate) -> Self {
        AppError::PlanRequired {
            required: g.required,
            status: g.status,
        }
    }
}
