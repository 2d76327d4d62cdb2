use afflux_store::Page;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;

/// `page` (from 1) and `perPage` (1–100, default 25).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    pub page: Option<String>,
    pub per_page: Option<String>,
}

impl PageParams {
    /// The page to fetch: one row more than asked, to tell whether another page follows.
    pub fn resolve(&self) -> Result<(u32, u32, Page), ApiError> {
        let bad = |field: &str, message: &str| ApiError::BadRequest {
            field: Some(field.into()),
            message: message.into(),
        };
        let page: u32 = match &self.page {
            None => 1,
            Some(p) => p
                .parse()
                .ok()
                .filter(|p| *p >= 1)
                .ok_or_else(|| bad("page", "page must be a whole number from 1"))?,
        };
        let per_page: u32 = match &self.per_page {
            None => 25,
            Some(p) => p
                .parse()
                .ok()
                .filter(|p| (1..=100).contains(p))
                .ok_or_else(|| bad("perPage", "perPage must be between 1 and 100"))?,
        };
        let offset = i64::from(page - 1) * i64::from(per_page);
        Ok((
            page,
            per_page,
            Page {
                limit: i64::from(per_page) + 1,
                offset,
            },
        ))
    }
}

pub fn paginate<T, V: utoipa::ToSchema>(
    mut rows: Vec<T>,
    page: u32,
    per_page: u32,
    view: impl Fn(T) -> V,
) -> super::views::Paginated<V> {
    let has_more = rows.len() > per_page as usize;
    rows.truncate(per_page as usize);
    super::views::Paginated {
        data: rows.into_iter().map(view).collect(),
        page,
        per_page,
        has_more,
    }
}
