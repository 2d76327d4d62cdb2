use afflux_app::AppError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An API failure, rendered as `{"error": code, "message": …, "field": …}` with its status.
/// Codes are stable: never renamed once published.
#[derive(Debug)]
pub enum ApiError {
    App(AppError),
    BadRequest {
        field: Option<String>,
        message: String,
    },
    PayloadTooLarge,
    UnsupportedMediaType,
    NotFound,
    /// A signed request refused: 401 `invalid_signature` or `signature_expired`.
    Signature(afflux_app::conversions::SignatureError),
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError::App(e)
    }
}

impl From<afflux_domain::ValidationError> for ApiError {
    fn from(e: afflux_domain::ValidationError) -> Self {
        ApiError::App(e.into())
    }
}

fn body(status: StatusCode, code: &str, message: String, field: Option<String>) -> Response {
    let mut value = json!({ "error": code, "message": message });
    if let Some(field) = field {
        value["field"] = json!(field);
    }
    (status, axum::Json(value)).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::BadRequest { field, message } => {
                body(StatusCode::BAD_REQUEST, "validation_failed", message, field)
            }
            ApiError::PayloadTooLarge => body(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is too large".into(),
                None,
            ),
            ApiError::UnsupportedMediaType => body(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send a JSON body with Content-Type: application/json".into(),
                None,
            ),
            ApiError::NotFound => body(StatusCode::NOT_FOUND, "not_found", "no such resource".into(), None),
            ApiError::Signature(e) => body(StatusCode::UNAUTHORIZED, e.code(), e.message().into(), None),
            ApiError::App(e) => app_error(e),
        }
    }
}

fn app_error(e: AppError) -> Response {
    match e {
        AppError::Validation(v) => body(
            StatusCode::BAD_REQUEST,
            v.code,
            format!("{} {}", v.field, v.message),
            Some(v.field),
        ),
        AppError::Unauthorized(m) => body(StatusCode::UNAUTHORIZED, "unauthorized", m, None),
        AppError::Forbidden(m) => body(StatusCode::FORBIDDEN, "forbidden", m, None),
        AppError::NotFound(what) => body(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"), None),
        AppError::Conflict { code, message, field } => body(StatusCode::CONFLICT, code, message, field),
        AppError::PlanRequired { required, status } => {
            let value = json!({
                "error": "plan_tier_required",
                "message": format!("this needs the {required} plan or higher"),
                "required": required,
                "subscriptionStatus": status,
            });
            (StatusCode::PAYMENT_REQUIRED, axum::Json(value)).into_response()
        }
        AppError::PaidPlanRequired { required, status } => {
            let value = json!({
                "error": "paid_plan_required",
                "message": format!("this needs an active {required} subscription or higher"),
                "required": required,
                "subscriptionStatus": status,
                "trialing": status == afflux_domain::SubscriptionStatus::Trialing,
            });
            (StatusCode::PAYMENT_REQUIRED, axum::Json(value)).into_response()
        }
        AppError::RateLimited { retry_after_secs } => {
            let mut r = body(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("too many requests; retry in {retry_after_secs} s"),
                None,
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            r
        }
        AppError::Integration(e) => integration_error(e),
        AppError::Internal(e) => {
            // Opaque to the client; the whole cause chain goes to the log, once.
            tracing::error!(error = format!("{e:#}"), "internal error");
            body(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "something went wrong on our side".into(),
                None,
            )
        }
    }
}

/// A vendor call of the connect flow or a picker: missing input is the caller's (400), a
/// refusal is the vendor's verdict on what was sent (422), anything else is the vendor's
/// trouble (502, or 503 with `Retry-After` when it rate-limits us).
fn integration_error(e: afflux_integrations::crm::CrmError) -> Response {
    use afflux_integrations::crm::CrmError;
    let (status, field) = match &e {
        CrmError::MissingCredential(f) => (StatusCode::BAD_REQUEST, Some(format!("credentials.{}", f.key()))),
        CrmError::Rejected(_) | CrmError::Refused(_) => (StatusCode::UNPROCESSABLE_ENTITY, None),
        CrmError::RateLimited { .. } => (StatusCode::SERVICE_UNAVAILABLE, None),
        CrmError::Unavailable(_) | CrmError::Malformed(_) => (StatusCode::BAD_GATEWAY, None),
    };
    let mut response = body(status, e.code(), e.to_string(), field);
    if let CrmError::RateLimited { wait } = e {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs().max(1)));
    }
    response
}
