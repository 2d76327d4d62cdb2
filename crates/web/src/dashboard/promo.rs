//! The Promo tools tab of a campaign: upload banners, write email swipes and text links, put
//! them in order, delete them. Affiliates see them, in this order, in the portal.

use afflux_app::{AppError, SessionUser};
use afflux_domain::{
    CampaignId, MAX_PROMO_IMAGE_BYTES, Permission, PromoAsset, PromoAssetId, PromoKind, PromoMove, ValidationError,
    render_promo,
};
use askama::Template;
use axum::Form;
use axum::extract::multipart::{Multipart, MultipartError};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::page::{self, FormErrors, PageError, Shell};
use super::session::DashboardUser;
use crate::AppState;

/// An upload may be this much larger than the image: the multipart framing and the title.
pub const UPLOAD_BODY_LIMIT: usize = MAX_PROMO_IMAGE_BYTES + 64 * 1024;

const FIELDS: &[&str] = &["title", "body", "image"];

/// What the preview fills merge fields with.
const SAMPLE_LINK: &str = "https://your-site.example/?ref=jane";
const SAMPLE_NAME: &str = "Jane Doe";

struct AssetView {
    id: String,
    kind: &'static str,
    title: String,
    /// Banners: the image's size; swipes and links: the body with sample merge fields.
    detail: String,
    is_banner: bool,
    /// A banner's preview size: at most 240 px wide, in proportion.
    thumb_width: i32,
    thumb_height: i32,
    first: bool,
    last: bool,
}

fn kind_label(kind: PromoKind) -> &'static str {
    match kind {
        PromoKind::Banner => "Banner",
        PromoKind::EmailSwipe => "Email swipe",
        PromoKind::TextLink => "Text link",
    }
}

fn views(assets: Vec<PromoAsset>) -> Vec<AssetView> {
    let count = assets.len();
    assets
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            let detail = match (a.width, a.height, &a.body) {
                (Some(w), Some(h), _) => format!("{w} × {h} px"),
                (_, _, Some(body)) => render_promo(body, SAMPLE_LINK, SAMPLE_NAME),
                _ => String::new(),
            };
            let (w, h) = (a.width.unwrap_or(0), a.height.unwrap_or(0));
            let thumb_width = w.min(240);
            let thumb_height = match i64::from(w) {
                0 => h,
                w64 => i32::try_from(i64::from(h) * i64::from(thumb_width) / w64).unwrap_or(h),
            };
            AssetView {
                id: a.id.to_string(),
                kind: kind_label(a.kind),
                title: a.title,
                detail,
                is_banner: a.kind == PromoKind::Banner,
                thumb_width,
                thumb_height,
                first: i == 0,
                last: i + 1 == count,
            }
        })
        .collect()
}

/// A text form as posted: whatever was typed comes back on an error.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TextForm {
    kind: String,
    title: String,
    body: String,
}

/// Which form an error belongs to, so it shows next to that form's fields.
#[derive(Default)]
struct Errors {
    banner: FormErrors,
    banner_title: String,
    swipe: FormErrors,
    swipe_form: TextForm,
    link: FormErrors,
    link_form: TextForm,
}

#[derive(Template)]
#[template(path = "promo.html")]
struct PromoPage {
    shell: Shell,
    campaign_id: String,
    campaign_name: String,
    assets: Vec<AssetView>,
    can_manage: bool,
    e: Errors,
}

fn campaign_id(raw: &str) -> Result<CampaignId, PageError> {
    raw.parse().map_err(|_| PageError(AppError::NotFound("campaign")))
}

fn asset_id(raw: &str) -> Result<PromoAssetId, PageError> {
    raw.parse().map_err(|_| PageError(AppError::NotFound("promo asset")))
}

async fn render(
    s: &AppState,
    user: &SessionUser,
    campaign: CampaignId,
    status: StatusCode,
    e: Errors,
) -> Result<Response, PageError> {
    let actor = user.actor();
    let c = s.app.campaign(&actor, campaign).await?;
    let assets = s.app.campaign_promo_assets(&actor, campaign).await?;
    Ok(page::render(
        status,
        &PromoPage {
            shell: Shell::new(user, "campaigns"),
            campaign_id: c.id.to_string(),
            campaign_name: c.name,
            assets: views(assets),
            can_manage: user.role.can(Permission::ManageCampaigns),
            e,
        },
    ))
}

fn back(campaign: CampaignId) -> Response {
    Redirect::to(&format!("/dashboard/campaigns/{campaign}/promo")).into_response()
}

pub async fn show(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    render(&s, &user, campaign_id(&id)?, StatusCode::OK, Errors::default()).await
}

/// A multipart field read fully; a body past the limit is an image too large.
fn upload_error(e: &MultipartError) -> ValidationError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ValidationError::with_code("image", "image_too_large", "the image must be at most 2 MiB")
    } else {
        ValidationError::new("image", "the upload could not be read; try again")
    }
}

/// Reads the title and the image; the file's name and declared type are ignored.
async fn read_upload(mut multipart: Multipart) -> Result<(String, Vec<u8>), (String, ValidationError)> {
    let (mut title, mut image) = (String::new(), Vec::new());
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Ok((title, image)),
            Err(e) => return Err((title, upload_error(&e))),
        };
        match field.name() {
            Some("title") => title = field.text().await.map_err(|e| (String::new(), upload_error(&e)))?,
            Some("image") => {
                image = field
                    .bytes()
                    .await
                    .map_err(|e| (title.clone(), upload_error(&e)))?
                    .to_vec()
            }
            _ => {}
        }
    }
}

pub async fn upload(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let campaign = campaign_id(&id)?;
    let (title, result) = match read_upload(multipart).await {
        Ok((title, image)) => {
            let result = s.app.add_promo_banner(&user.actor(), campaign, &title, &image).await;
            (title, result)
        }
        Err((title, e)) => (title, Err(e.into())),
    };
    match result {
        Ok(_) => Ok(back(campaign)),
        Err(e) => {
            let (status, banner) = FormErrors::from_app(e, FIELDS)?;
            let e = Errors {
                banner,
                banner_title: title,
                ..Errors::default()
            };
            render(&s, &user, campaign, status, e).await
        }
    }
}

pub async fn add_text(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path(id): Path<String>,
    Form(form): Form<TextForm>,
) -> Result<Response, PageError> {
    let campaign = campaign_id(&id)?;
    let kind = PromoKind::parse("kind", &form.kind).map_err(AppError::from)?;
    let result = s
        .app
        .add_promo_text(&user.actor(), campaign, kind, &form.title, &form.body)
        .await;
    let errors = match result {
        Ok(_) => return Ok(back(campaign)),
        Err(e) => FormErrors::from_app(e, FIELDS)?,
    };
    let (status, errors) = errors;
    let e = if kind == PromoKind::EmailSwipe {
        Errors {
            swipe: errors,
            swipe_form: form,
            ..Errors::default()
        }
    } else {
        Errors {
            link: errors,
            link_form: form,
            ..Errors::default()
        }
    };
    render(&s, &user, campaign, status, e).await
}

#[derive(Debug, Deserialize)]
pub struct MoveForm {
    direction: String,
}

pub async fn move_asset(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path((campaign, asset)): Path<(String, String)>,
    Form(form): Form<MoveForm>,
) -> Result<Response, PageError> {
    let campaign = campaign_id(&campaign)?;
    let direction = PromoMove::parse("direction", &form.direction).map_err(AppError::from)?;
    s.app
        .move_promo_asset(&user.actor(), asset_id(&asset)?, direction)
        .await?;
    Ok(back(campaign))
}

pub async fn delete(
    State(s): State<AppState>,
    DashboardUser(user): DashboardUser,
    Path((campaign, asset)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let campaign = campaign_id(&campaign)?;
    s.app.delete_promo_asset(&user.actor(), asset_id(&asset)?).await?;
    Ok(back(campaign))
}
