//! The Integrations page's forms: as posted and what they become for the app (all text, so
//! that what was typed, secrets excepted, can come back next to its error), and as shown (the
//! connect fields, the live destination picker, the program overrides).

use afflux_app::{ConnectIntegration, IntegrationPatch, OverrideInput};
use afflux_domain::{
    Campaign, CampaignId, CredentialField, CrmVendor, Destination, IntegrationId, IntegrationSettings, OrttoRegion,
    ValidationError,
};
use afflux_integrations::crm::Credentials;
use serde::Deserialize;

use super::page::{FormErrors, sentence};

/// The connect form: the vendor and its credential fields (named by `CredentialField::key`).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ConnectForm {
    pub vendor: String,
    pub api_key: String,
    pub app_id: String,
    pub region: String,
    pub account_url: String,
    pub site_id: String,
    pub publication_id: String,
}

fn given(value: &str) -> Option<String> {
    Some(value.trim().to_owned()).filter(|v| !v.is_empty())
}

impl ConnectForm {
    pub fn to_input(&self) -> ConnectIntegration {
        ConnectIntegration {
            vendor: self.vendor.clone(),
            credentials: Credentials {
                api_key: given(&self.api_key),
                app_id: given(&self.app_id),
                region: given(&self.region),
                account_url: given(&self.account_url),
                site_id: given(&self.site_id),
                publication_id: given(&self.publication_id),
            },
        }
    }

    /// What may be shown again in the field after an error: never a key, an App ID or a Site ID.
    pub fn shown_value(&self, field: CredentialField) -> &str {
        match field {
            CredentialField::Region => &self.region,
            CredentialField::AccountUrl => &self.account_url,
            CredentialField::PublicationId => &self.publication_id,
            CredentialField::ApiKey | CredentialField::AppId | CredentialField::SiteId => "",
        }
    }
}

/// The input of a credential field: secrets are password inputs the browser does not fill in.
pub fn field_kind(field: CredentialField) -> &'static str {
    match field {
        CredentialField::ApiKey | CredentialField::AppId => "password",
        CredentialField::AccountUrl => "url",
        CredentialField::Region => "region",
        CredentialField::SiteId | CredentialField::PublicationId => "text",
    }
}

/// A destination travels in an `<option value>` as JSON, so that its name (which the vendor
/// only tells through the live picker) arrives with its id.
pub fn destination_value(d: &Destination) -> String {
    serde_json::to_string(d).unwrap_or_default()
}

fn parse_destination(raw: &str) -> Result<Option<Destination>, ValidationError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    serde_json::from_str(raw)
        .map(Some)
        .map_err(|_| ValidationError::new("destination", "is not one of the choices offered"))
}

/// Tags typed as one comma-separated line.
pub fn split_tags(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

pub fn join_tags(tags: &[String]) -> String {
    tags.join(", ")
}

/// The settings form of a connected integration.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SettingsForm {
    pub destination: String,
    pub system_tag: String,
    pub default_tags: String,
    /// A checkbox: present when ticked.
    pub sync_on_import: Option<String>,
}

pub const SETTINGS_FIELDS: &[&str] = &["destination", "systemTag", "defaultTags"];

impl SettingsForm {
    pub fn to_patch(&self) -> Result<IntegrationPatch, ValidationError> {
        Ok(IntegrationPatch {
            destination: Some(parse_destination(&self.destination)?),
            system_tag: Some(self.system_tag.clone()),
            default_tags: Some(split_tags(&self.default_tags)),
            sync_on_import: Some(self.sync_on_import.is_some()),
        })
    }
}

/// A program's override: saved with its destination and extra tags, or cleared.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OverrideForm {
    pub destination: String,
    pub tags: String,
    /// `clear` (the Clear button) or anything else for Save.
    pub action: String,
}

impl OverrideForm {
    pub fn clearing(&self) -> bool {
        self.action == "clear"
    }

    pub fn to_input(&self) -> Result<OverrideInput, ValidationError> {
        Ok(OverrideInput {
            destination: parse_destination(&self.destination)?,
            tags: split_tags(&self.tags),
        })
    }
}

/// "Retry now": the status filter to return to.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RetryForm {
    pub status: String,
}

/// A form that was posted and refused: the page is shown again with it as typed.
pub enum Submitted {
    Nothing,
    Connect {
        vendor: CrmVendor,
        form: ConnectForm,
        errors: FormErrors,
    },
    Settings {
        id: IntegrationId,
        form: SettingsForm,
        errors: FormErrors,
    },
    Override {
        id: IntegrationId,
        program: String,
        form: OverrideForm,
        errors: FormErrors,
    },
}

/// What the picker offers for each vendor, in the vendor's words.
pub fn destination_noun(vendor: CrmVendor) -> &'static str {
    match vendor {
        CrmVendor::Ontraport => "tag",
        CrmVendor::Ortto | CrmVendor::Mailchimp => "audience",
        CrmVendor::ActiveCampaign | CrmVendor::Klaviyo => "list",
        CrmVendor::Beehiiv => "publication",
        CrmVendor::CustomerIo => "destination",
    }
}

/// One `<option>`.
pub struct OptionView {
    pub(super) value: String,
    pub(super) label: String,
    pub(super) selected: bool,
}

/// A destination `<select>`: in the page first (the saved choice only, loading the vendor's
/// list through htmx), then as the fragment answered with the live list or the vendor's error.
pub struct PickerView {
    pub(super) select_id: String,
    pub(super) url: String,
    pub(super) vendor: &'static str,
    pub(super) options: Vec<OptionView>,
    pub(super) loading: bool,
    /// When the first load fires: at once for the settings, when its panel opens for a program.
    pub(super) trigger: &'static str,
    pub(super) error: Option<String>,
    /// The live list came back empty.
    pub(super) nothing: bool,
}

impl PickerView {
    pub(super) fn new(c: &Connected, program: Option<CampaignId>, current: Option<&Destination>) -> Self {
        let (select_id, url, none) = match program {
            Some(p) => (
                format!("dest-{}-{p}", c.id),
                format!("/dashboard/integrations/{}/destinations?program={p}", c.id),
                "Same as the integration".to_owned(),
            ),
            None => (
                format!("dest-{}", c.id),
                format!("/dashboard/integrations/{}/destinations", c.id),
                format!("No {}", c.noun),
            ),
        };
        let mut options = vec![OptionView {
            value: String::new(),
            label: none,
            selected: current.is_none(),
        }];
        options.extend(current.map(|d| OptionView {
            value: destination_value(d),
            label: d.name.clone(),
            selected: true,
        }));
        PickerView {
            select_id,
            url,
            vendor: c.vendor.display_name(),
            options,
            loading: true,
            // A program's picker waits for its panel to open: one vendor call per look, not
            // one per program on every page view.
            trigger: if program.is_some() {
                "toggle once from:closest details"
            } else {
                "load"
            },
            error: None,
            nothing: false,
        }
    }

    /// The picker after the vendor answered: its list (keeping a saved choice it no longer
    /// offers, so that saving does not drop it unseen) or its error.
    pub(super) fn answered(mut self, live: Result<Vec<Destination>, String>, current: Option<&Destination>) -> Self {
        self.loading = false;
        match live {
            Err(e) => self.error = Some(e),
            Ok(list) => {
                self.nothing = list.is_empty();
                self.options.truncate(1);
                let missing = current.filter(|c| !list.iter().any(|d| d.id == c.id));
                self.options.extend(list.iter().map(|d| OptionView {
                    value: destination_value(d),
                    label: d.name.clone(),
                    selected: current.is_some_and(|c| c.id == d.id),
                }));
                self.options.extend(missing.map(|d| OptionView {
                    value: destination_value(d),
                    label: format!("{} (no longer offered by {})", d.name, self.vendor),
                    selected: true,
                }));
            }
        }
        self
    }
}

/// What the picker needs to know about its integration.
pub struct Connected {
    pub(super) id: IntegrationId,
    pub(super) vendor: CrmVendor,
    pub(super) noun: &'static str,
}

/// One credential input of a connect form.
pub struct FieldView {
    pub(super) id: String,
    pub(super) key: &'static str,
    pub(super) label: &'static str,
    pub(super) kind: &'static str,
    pub(super) required: bool,
    pub(super) value: String,
    /// Ortto's regions, for the select.
    pub(super) options: Vec<OptionView>,
    pub(super) error: Option<String>,
}

/// A program's override form, with what its override says now.
pub struct ProgramView {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) archived: bool,
    pub(super) overridden: bool,
    /// Its form was just refused: shown open.
    pub(super) open: bool,
    pub(super) summary: String,
    pub(super) picker: PickerView,
    pub(super) tags: String,
    pub(super) errors: FormErrors,
}

/// A vendor in ids and anchors: `vendor-ontraport`, `ontraport-apiKey`.
pub(super) fn slug(vendor: CrmVendor) -> String {
    vendor.as_str().to_ascii_lowercase()
}

/// A connect form's fields: after a refusal, what was typed comes back, secrets excepted.
pub(super) fn connect_fields(vendor: CrmVendor, form: Option<&ConnectForm>, errors: &FormErrors) -> Vec<FieldView> {
    let slug = slug(vendor);
    vendor
        .credential_fields()
        .iter()
        .map(|&f| {
            let value = form
                .map(|form| form.shown_value(f).trim().to_owned())
                .unwrap_or_default();
            let options = if field_kind(f) == "region" {
                let chosen = OrttoRegion::parse("region", &value).unwrap_or(OrttoRegion::Ap3);
                OrttoRegion::ALL
                    .iter()
                    .map(|r| OptionView {
                        value: r.as_str().to_owned(),
                        label: match r {
                            OrttoRegion::Ap3 => "AP3 (default)".to_owned(),
                            other => other.as_str().to_ascii_uppercase(),
                        },
                        selected: *r == chosen,
                    })
                    .collect()
            } else {
                Vec::new()
            };
            FieldView {
                id: format!("{slug}-{}", f.key()),
                key: f.key(),
                label: f.label(),
                kind: field_kind(f),
                required: vendor.required_fields().any(|r| r == f),
                value,
                options,
                error: errors.get(f.key()).map(str::to_owned),
            }
        })
        .collect()
}

pub(super) fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The override form of each program (archived ones only while they have an override).
pub(super) fn program_views(
    c: &Connected,
    settings: &IntegrationSettings,
    campaigns: &[Campaign],
    submitted: &mut Submitted,
) -> Vec<ProgramView> {
    let mut programs = Vec::new();
    for campaign in campaigns {
        let entry = settings.campaign_overrides.get(&campaign.id);
        if campaign.archived && entry.is_none() {
            continue;
        }
        let current = entry.and_then(|o| o.destination.as_ref());
        let mut summary_parts = Vec::new();
        if let Some(d) = current {
            summary_parts.push(format!("{}: {}", capitalized(c.noun), d.name));
        }
        if let Some(o) = entry.filter(|o| !o.tags.is_empty()) {
            summary_parts.push(format!("extra tags: {}", join_tags(&o.tags)));
        }
        let (tags, errors) = match submitted {
            Submitted::Override {
                id,
                program,
                form,
                errors,
            } if *id == c.id && *program == campaign.id.to_string() => (form.tags.clone(), std::mem::take(errors)),
            _ => (
                entry.map(|o| join_tags(&o.tags)).unwrap_or_default(),
                FormErrors::default(),
            ),
        };
        let open = errors.general.is_some() || errors.get("tags").is_some() || errors.get("destination").is_some();
        let mut picker = PickerView::new(c, Some(campaign.id), current);
        if open {
            picker.trigger = "load";
        }
        programs.push(ProgramView {
            id: campaign.id.to_string(),
            name: campaign.name.clone(),
            archived: campaign.archived,
            overridden: entry.is_some(),
            summary: if summary_parts.is_empty() {
                "Uses the integration's settings".to_owned()
            } else {
                sentence(&summary_parts.join(" · "))
            },
            picker,
            open,
            tags,
            errors,
        });
    }
    programs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_split_on_commas_and_destinations_round_trip() {
        assert_eq!(split_tags(" a, ,b ,c,"), ["a", "b", "c"]);
        let d = Destination {
            id: "7".into(),
            name: "VIP \"gold\"".into(),
        };
        assert_eq!(parse_destination(&destination_value(&d)).unwrap(), Some(d));
        assert_eq!(parse_destination(" ").unwrap(), None);
        assert!(parse_destination("7").is_err());
    }

    #[test]
    fn secrets_never_come_back() {
        let form = ConnectForm {
            api_key: "sk-secret".into(),
            app_id: "app".into(),
            site_id: "site".into(),
            account_url: "https://x.api-us1.com".into(),
            ..ConnectForm::default()
        };
        for field in [CredentialField::ApiKey, CredentialField::AppId, CredentialField::SiteId] {
            assert_eq!(form.shown_value(field), "");
        }
        assert_eq!(form.shown_value(CredentialField::AccountUrl), "https://x.api-us1.com");
        assert_eq!(form.to_input().credentials.region, None);
    }
}
