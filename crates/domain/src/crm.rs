//! CRM and email-tool integrations: which vendors, what their connect forms ask for, and the
//! rules of what an affiliate becomes in the brand's CRM (tags, name split, status).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::named::named_enum;
use crate::{AffiliateStatus, CampaignId, IntegrationId, OrgId, ValidationError};

named_enum!(
    /// A CRM or email tool Afflux syncs approved affiliates into.
    CrmVendor { Ontraport, Ortto, Mailchimp, ActiveCampaign, Klaviyo, CustomerIo, Beehiiv }
);

named_enum!(
    /// Where an affiliate's sync to one integration stands.
    SyncStatus { Pending, Succeeded, Retrying, Failed }
);

named_enum!(
    /// Ortto's data regions. Only their three documented hosts are ever contacted.
    OrttoRegion { Ap3, Au, Eu }
);

impl OrttoRegion {
    pub fn host(self) -> &'static str {
        match self {
            OrttoRegion::Ap3 => "api.ap3api.com",
            OrttoRegion::Au => "api.au.ap3api.com",
            OrttoRegion::Eu => "api.eu.ap3api.com",
        }
    }
}

/// One input of a connect form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialField {
    ApiKey,
    AppId,
    Region,
    AccountUrl,
    SiteId,
    PublicationId,
}

impl CredentialField {
    /// The field's name in the API's `credentials` object.
    pub fn key(self) -> &'static str {
        match self {
            CredentialField::ApiKey => "apiKey",
            CredentialField::AppId => "appId",
            CredentialField::Region => "region",
            CredentialField::AccountUrl => "accountUrl",
            CredentialField::SiteId => "siteId",
            CredentialField::PublicationId => "publicationId",
        }
    }

    /// The field's label in the vendor's own words.
    pub fn label(self) -> &'static str {
        match self {
            CredentialField::ApiKey => "API Key",
            CredentialField::AppId => "App ID",
            CredentialField::Region => "Region",
            CredentialField::AccountUrl => "Account URL",
            CredentialField::SiteId => "Site ID",
            CredentialField::PublicationId => "Publication ID",
        }
    }
}

impl CrmVendor {
    /// What the connect form asks for. Ortto's region is optional (AP3 by default).
    pub fn credential_fields(self) -> &'static [CredentialField] {
        use CredentialField::*;
        match self {
            CrmVendor::Ontraport => &[AppId, ApiKey],
            CrmVendor::Ortto => &[ApiKey, Region],
            CrmVendor::Mailchimp | CrmVendor::Klaviyo => &[ApiKey],
            CrmVendor::ActiveCampaign => &[AccountUrl, ApiKey],
            CrmVendor::CustomerIo => &[SiteId, ApiKey],
            CrmVendor::Beehiiv => &[ApiKey, PublicationId],
        }
    }

    pub fn required_fields(self) -> impl Iterator<Item = CredentialField> {
        self.credential_fields()
            .iter()
            .copied()
            .filter(|f| *f != CredentialField::Region)
    }

    /// The vendor's name as people write it.
    pub fn display_name(self) -> &'static str {
        match self {
            CrmVendor::Ontraport => "Ontraport",
            CrmVendor::Ortto => "Ortto",
            CrmVendor::Mailchimp => "Mailchimp",
            CrmVendor::ActiveCampaign => "ActiveCampaign",
            CrmVendor::Klaviyo => "Klaviyo",
            CrmVendor::CustomerIo => "Customer.io",
            CrmVendor::Beehiiv => "beehiiv",
        }
    }

    /// The `AFFLUX_<VENDOR>_BASE_URL` variable an operator may set (tests, staging).
    pub fn base_url_variable(self) -> String {
        format!("AFFLUX_{}_BASE_URL", self.as_str().to_ascii_uppercase())
    }
}

/// A destination picked from the vendor's live picker: a list, audience, tag or publication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Destination {
    pub id: String,
    pub name: String,
}

/// A campaign's own destination and extra tags for one integration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignOverride {
    /// Replaces the integration's destination for affiliates of this campaign.
    pub destination: Option<Destination>,
    /// Added to the system and default tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

pub const DEFAULT_SYSTEM_TAG: &str = "Afflux affiliate";

/// What the brand chose for an integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationSettings {
    pub destination: Option<Destination>,
    pub system_tag: String,
    pub default_tags: Vec<String>,
    /// Imported affiliates sync too (off by default: an import should not flood the CRM).
    pub sync_on_import: bool,
    pub campaign_overrides: BTreeMap<CampaignId, CampaignOverride>,
    /// What the connector learnt at connect time (a detected region, created field ids).
    pub vendor_state: BTreeMap<String, String>,
}

impl Default for IntegrationSettings {
    fn default() -> Self {
        Self {
            destination: None,
            system_tag: DEFAULT_SYSTEM_TAG.to_owned(),
            default_tags: Vec::new(),
            sync_on_import: false,
            campaign_overrides: BTreeMap::new(),
            vendor_state: BTreeMap::new(),
        }
    }
}

/// A connected vendor account of one organization (one per vendor).
#[derive(Debug, Clone, PartialEq)]
pub struct Integration {
    pub id: IntegrationId,
    pub org_id: OrgId,
    pub vendor: CrmVendor,
    /// The credentials as sealed by the app: never stored or returned in plaintext.
    pub sealed_credentials: Vec<u8>,
    /// The last characters of the key, so people can tell which key is connected.
    pub credential_hint: String,
    pub settings: IntegrationSettings,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Longest tag any of the vendors takes everywhere (Ortto's string limit).
const MAX_TAG_LEN: usize = 255;

/// A tag list as entered: trimmed, without empties, at most 255 characters each.
pub fn parse_tags(field: &str, tags: &[String]) -> Result<Vec<String>, ValidationError> {
    let mut out = Vec::new();
    for tag in tags {
        let tag = tag.trim();
        if tag.chars().count() > MAX_TAG_LEN {
            return Err(ValidationError::new(field, "tags are at most 255 characters"));
        }
        if !tag.is_empty() {
            out.push(tag.to_owned());
        }
    }
    Ok(contact_tags(out.iter().map(String::as_str)))
}

/// The tags of a contact: in order of first appearance, without blanks, and without repeats
/// that differ only in case (CRMs treat tag names case-insensitively).
pub fn contact_tags<'a>(tags: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    tags.into_iter()
        .map(str::trim)
        .filter(|t| !t.is_empty() && seen.insert(t.to_lowercase()))
        .map(str::to_owned)
        .collect()
}

/// First and last name from one full-name field: the first word, and the rest.
pub fn split_name(full: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(full) = full.map(str::trim).filter(|f| !f.is_empty()) else {
        return (None, None);
    };
    match full.split_once(char::is_whitespace) {
        Some((first, rest)) => (Some(first.to_owned()), Some(rest.trim().to_owned())),
        None => (Some(full.to_owned()), None),
    }
}

/// The one status a person has in the CRM across their campaigns: Approved when approved in
/// any, else the status that changed last.
pub fn person_status(
    memberships: impl IntoIterator<Item = (AffiliateStatus, OffsetDateTime)>,
) -> Option<AffiliateStatus> {
    let mut latest: Option<(AffiliateStatus, OffsetDateTime)> = None;
    for (status, at) in memberships {
        if status == AffiliateStatus::Approved {
            return Some(status);
        }
        if latest.is_none_or(|(_, t)| at > t) {
            latest = Some((status, at));
        }
    }
    latest.map(|(s, _)| s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn tags_keep_first_spelling_and_drop_blanks_and_repeats() {
        let tags = contact_tags(["Afflux affiliate", " Spring ", "", "afflux AFFILIATE", "spring", "VIP"]);
        assert_eq!(tags, ["Afflux affiliate", "Spring", "VIP"]);
        let long = "x".repeat(256);
        assert!(parse_tags("tags", &[long]).is_err());
        assert_eq!(parse_tags("tags", &[" a ".into(), " ".into()]).unwrap(), ["a"]);
    }

    #[test]
    fn names_split_on_the_first_space() {
        assert_eq!(
            split_name(Some("Jane  van Doe")),
            (Some("Jane".into()), Some("van Doe".into()))
        );
        assert_eq!(split_name(Some(" Cher ")), (Some("Cher".into()), None));
        assert_eq!(split_name(Some("  ")), (None, None));
        assert_eq!(split_name(None), (None, None));
    }

    #[test]
    fn approved_anywhere_wins_else_the_latest_change() {
        use AffiliateStatus::*;
        let t1 = datetime!(2026-01-01 0:00 UTC);
        let t2 = datetime!(2026-02-01 0:00 UTC);
        assert_eq!(person_status([(Paused, t2), (Approved, t1)]), Some(Approved));
        assert_eq!(person_status([(Paused, t1), (Banned, t2)]), Some(Banned));
        assert_eq!(person_status([]), None);
    }

    #[test]
    fn vendors_name_their_override_variable_and_fields() {
        assert_eq!(CrmVendor::Ontraport.base_url_variable(), "AFFLUX_ONTRAPORT_BASE_URL");
        assert_eq!(CrmVendor::CustomerIo.base_url_variable(), "AFFLUX_CUSTOMERIO_BASE_URL");
        let ortto: Vec<_> = CrmVendor::Ortto.required_fields().collect();
        assert_eq!(ortto, [CredentialField::ApiKey]);
        assert_eq!(OrttoRegion::Eu.host(), "api.eu.ap3api.com");
    }
}
