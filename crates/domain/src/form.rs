//! The application form of a campaign: the brand-edited definition (fields of 13 types) and the
//! server-side validation of what an applicant submitted.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::named::named_enum;
use crate::{Email, Slug, ValidationError, countries, web_url};

named_enum!(
    /// What a form field asks for.
    FieldType { Text, LongText, Email, Url, Number, Date, Dropdown, Checkboxes, Radio, Consent, Phone, Country, Address }
);

impl FieldType {
    /// Dropdowns, checkboxes and radios offer the brand's choices.
    pub fn has_options(self) -> bool {
        matches!(self, FieldType::Dropdown | FieldType::Checkboxes | FieldType::Radio)
    }

    pub fn label(self) -> &'static str {
        match self {
            FieldType::Text => "Text",
            FieldType::LongText => "Long text",
            FieldType::Email => "Email",
            FieldType::Url => "URL",
            FieldType::Number => "Number",
            FieldType::Date => "Date",
            FieldType::Dropdown => "Dropdown",
            FieldType::Checkboxes => "Checkboxes",
            FieldType::Radio => "Radio buttons",
            FieldType::Consent => "Consent checkbox",
            FieldType::Phone => "Phone",
            FieldType::Country => "Country",
            FieldType::Address => "Address",
        }
    }
}

/// The applicant's email: every form has it, required. Becomes the affiliate's email.
pub const EMAIL_KEY: &str = "email";
/// Becomes the affiliate's name.
pub const NAME_KEY: &str = "name";
/// A custom alias: becomes the affiliate's referral slug when free.
pub const ALIAS_KEY: &str = "alias";
/// The parts of an address answer, submitted as `{key}.{part}`.
pub const ADDRESS_PARTS: &[(&str, &str)] = &[
    ("line1", "Street address"),
    ("line2", "Apartment, suite (optional)"),
    ("city", "City"),
    ("region", "State or region"),
    ("postal", "Postal code"),
    ("country", "Country"),
];

const MAX_FIELDS: usize = 30;
const MAX_OPTIONS: usize = 50;
const MAX_ANSWER_CHARS: usize = 500;
const MAX_LONG_ANSWER_CHARS: usize = 5_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FormField {
    /// Stable name of the answer: lower-case letters, digits and underscores.
    pub key: String,
    pub label: String,
    pub field_type: FieldType,
    pub required: bool,
    /// The choices of a dropdown, checkboxes or radio field (empty for other types).
    #[serde(default)]
    pub options: Vec<String>,
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationForm {
    pub fields: Vec<FormField>,
}

/// One validated answer. Stored as JSON: a string, a list of strings, a boolean or an address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AnswerValue {
    Text(String),
    Many(Vec<String>),
    Bool(bool),
    Address(BTreeMap<String, String>),
}

impl AnswerValue {
    /// The answer as one line for people.
    pub fn display(&self) -> String {
        match self {
            AnswerValue::Text(s) => s.clone(),
            AnswerValue::Many(v) => v.join(", "),
            AnswerValue::Bool(b) => if *b { "Yes" } else { "No" }.to_owned(),
            AnswerValue::Address(parts) => ADDRESS_PARTS
                .iter()
                .filter_map(|(p, _)| parts.get(*p))
                .filter(|s| !s.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// Validated answers by field key (blank optional fields are left out).
pub type Answers = BTreeMap<String, AnswerValue>;

/// Why one answer was refused: `code` is stable snake_case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub key: String,
    pub code: &'static str,
    pub message: String,
}

fn field_error(key: &str, code: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        key: key.to_owned(),
        code,
        message: message.into(),
    }
}

impl Default for ApplicationForm {
    /// Email (required), full name, website, how they will promote, optional custom alias.
    fn default() -> Self {
        let field = |key: &str, label: &str, field_type, required, help: Option<&str>| FormField {
            key: key.into(),
            label: label.into(),
            field_type,
            required,
            options: Vec::new(),
            help: help.map(str::to_owned),
        };
        Self {
            fields: vec![
                field(EMAIL_KEY, "Email", FieldType::Email, true, None),
                field(NAME_KEY, "Full name", FieldType::Text, false, None),
                field("website", "Website or channel", FieldType::Url, false, None),
                field(
                    "promotion",
                    "How will you promote us?",
                    FieldType::LongText,
                    false,
                    None,
                ),
                field(
                    ALIAS_KEY,
                    "Custom alias",
                    FieldType::Text,
                    false,
                    Some("Your referral code: 3–64 letters, digits or hyphens. Leave blank for a generated one."),
                ),
            ],
        }
    }
}

/// A field definition as the brand typed it.
#[derive(Debug, Clone, Default)]
pub struct FieldInput {
    pub label: String,
    pub field_type: Option<FieldType>,
    pub required: bool,
    /// One choice per line.
    pub options: String,
    pub help: String,
}

impl ApplicationForm {
    pub fn field(&self, key: &str) -> Option<&FormField> {
        self.fields.iter().find(|f| f.key == key)
    }

    fn position(&self, key: &str) -> Result<usize, ValidationError> {
        self.fields
            .iter()
            .position(|f| f.key == key)
            .ok_or_else(|| ValidationError::with_code("key", "unknown_field", "no such field"))
    }

    /// Adds a field at the end; its key comes from the label, made unique.
    pub fn add(&mut self, input: &FieldInput) -> Result<String, ValidationError> {
        let field_type = input
            .field_type
            .ok_or_else(|| ValidationError::with_code("fieldType", "field_type_required", "choose a field type"))?;
        let base = key_from_label(&input.label);
        let mut key = base.clone();
        let mut n = 2;
        while self.field(&key).is_some() {
            key = format!("{base}_{n}");
            n += 1;
        }
        let field = build_field(&key, field_type, input)?;
        let mut next = self.clone();
        next.fields.push(field);
        *self = next.validated()?;
        Ok(key)
    }

    /// Relabels a field and sets whether it is required, its choices and its help.
    pub fn update(&mut self, key: &str, input: &FieldInput) -> Result<(), ValidationError> {
        let at = self.position(key)?;
        let field_type = self.fields[at].field_type;
        let mut next = self.clone();
        next.fields[at] = build_field(key, field_type, input)?;
        *self = next.validated()?;
        Ok(())
    }

    pub fn remove(&mut self, key: &str) -> Result<(), ValidationError> {
        let at = self.position(key)?;
        let mut next = self.clone();
        next.fields.remove(at);
        *self = next.validated()?;
        Ok(())
    }

    /// Moves a field one place up (`up`) or down; at either end nothing changes.
    pub fn shift(&mut self, key: &str, up: bool) -> Result<(), ValidationError> {
        let at = self.position(key)?;
        let to = if up { at.checked_sub(1) } else { Some(at + 1) };
        if let Some(to) = to.filter(|to| *to < self.fields.len()) {
            self.fields.swap(at, to);
        }
        Ok(())
    }

    /// Checks the definition itself: unique keys, labels present, choices for choice types,
    /// and the email field present and required.
    pub fn validated(self) -> Result<Self, ValidationError> {
        if self.fields.len() > MAX_FIELDS {
            return Err(ValidationError::with_code(
                "fields",
                "too_many_fields",
                format!("a form has at most {MAX_FIELDS} fields"),
            ));
        }
        let mut keys = std::collections::BTreeSet::new();
        for f in &self.fields {
            if !valid_key(&f.key) {
                return Err(ValidationError::with_code(
                    "key",
                    "invalid_key",
                    "a field key is 1–40 lower-case letters, digits or underscores",
                ));
            }
            if !keys.insert(f.key.as_str()) {
                return Err(ValidationError::with_code(
                    "key",
                    "duplicate_key",
                    format!("two fields share the key {}", f.key),
                ));
            }
            crate::bounded_text("label", &f.label, 120)?;
            if f.field_type.has_options() && f.options.is_empty() {
                return Err(ValidationError::with_code(
                    "options",
                    "options_required",
                    "a dropdown, checkboxes or radio field needs at least one choice",
                ));
            }
        }
        match self.field(EMAIL_KEY) {
            Some(f) if f.field_type == FieldType::Email && f.required => Ok(self),
            _ => Err(ValidationError::with_code(
                "email",
                "email_field_required",
                "the email field cannot be removed or made optional",
            )),
        }
    }

    /// Validates submitted answers (form pairs; several for checkboxes, `{key}.{part}` for
    /// addresses) field by field: the answers, or every field's error.
    pub fn validate_answers(&self, raw: &[(String, String)]) -> Result<Answers, Vec<FieldError>> {
        let values = |key: &str| -> Vec<&str> {
            raw.iter()
                .filter(|(k, _)| k == key)
                .map(|(_, v)| v.trim())
                .filter(|v| !v.is_empty())
                .collect()
        };
        let mut answers = Answers::new();
        let mut errors = Vec::new();
        for f in &self.fields {
            let result = match f.field_type {
                FieldType::Checkboxes => checkboxes(f, &values(&f.key)),
                FieldType::Consent => match values(&f.key).first() {
                    Some(_) => Ok(Some(AnswerValue::Bool(true))),
                    None if f.required => Err(field_error(&f.key, "consent_required", "please tick this box")),
                    None => Ok(Some(AnswerValue::Bool(false))),
                },
                FieldType::Address => address(f, &|part| {
                    values(&format!("{}.{part}", f.key)).first().map(|v| (*v).to_owned())
                }),
                _ => match values(&f.key).first() {
                    None if f.required => Err(field_error(&f.key, "required", "this field is required")),
                    None => Ok(None),
                    Some(v) => single(f, v).map(|v| Some(AnswerValue::Text(v))),
                },
            };
            match result {
                Ok(Some(value)) => {
                    answers.insert(f.key.clone(), value);
                }
                Ok(None) => {}
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() { Ok(answers) } else { Err(errors) }
    }
}

fn build_field(key: &str, field_type: FieldType, input: &FieldInput) -> Result<FormField, ValidationError> {
    let label = crate::bounded_text("label", &input.label, 120)?;
    let help = crate::optional_text("help", Some(&input.help), 300)?;
    let mut options: Vec<String> = Vec::new();
    if field_type.has_options() {
        for line in input.options.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let option = crate::bounded_text("options", line, 120)?;
            if !options.contains(&option) {
                options.push(option);
            }
        }
        if options.len() > MAX_OPTIONS {
            return Err(ValidationError::with_code(
                "options",
                "too_many_options",
                format!("at most {MAX_OPTIONS} choices"),
            ));
        }
    }
    Ok(FormField {
        key: key.to_owned(),
        label,
        field_type,
        required: input.required,
        options,
        help,
    })
}

fn valid_key(key: &str) -> bool {
    (1..=40).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// `"How did you hear?"` → `how_did_you_hear` (at most 32 characters; `field` when nothing is left).
fn key_from_label(label: &str) -> String {
    let mut key = String::new();
    for c in label.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            key.push(c);
        } else if !key.ends_with('_') && !key.is_empty() {
            key.push('_');
        }
    }
    let key: String = key.trim_end_matches('_').chars().take(32).collect();
    let key = key.trim_end_matches('_');
    if key.is_empty() { "field".into() } else { key.to_owned() }
}

fn too_long(key: &str, v: &str, max: usize) -> Result<(), FieldError> {
    if v.chars().count() > max {
        return Err(field_error(key, "too_long", format!("at most {max} characters")));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(field_error(key, "invalid_text", "contains control characters"));
    }
    Ok(())
}

/// A one-value answer of a field that is not checkboxes, consent or address.
fn single(f: &FormField, v: &str) -> Result<String, FieldError> {
    let key = f.key.as_str();
    let max = if f.field_type == FieldType::LongText {
        MAX_LONG_ANSWER_CHARS
    } else {
        MAX_ANSWER_CHARS
    };
    too_long(key, v, max)?;
    match f.field_type {
        FieldType::Text if key == ALIAS_KEY => Slug::parse(v)
            .map(|s| s.to_string())
            .map_err(|_| field_error(key, "invalid_alias", "3–64 letters, digits or hyphens")),
        FieldType::Text | FieldType::LongText => Ok(v.to_owned()),
        FieldType::Email => Email::parse(v)
            .map(|e| e.to_string())
            .map_err(|_| field_error(key, "invalid_email", "enter an email address like name@example.com")),
        FieldType::Url => web_url(key, v)
            .map(|u| u.to_string())
            .map_err(|_| field_error(key, "invalid_url", "enter a web address starting with https://")),
        FieldType::Number => v
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(|_| v.to_owned())
            .ok_or_else(|| field_error(key, "invalid_number", "enter a number")),
        FieldType::Date => parse_date(v)
            .map(|_| v.to_owned())
            .ok_or_else(|| field_error(key, "invalid_date", "enter a date as YYYY-MM-DD")),
        FieldType::Dropdown | FieldType::Radio => f
            .options
            .iter()
            .find(|o| o.as_str() == v)
            .cloned()
            .ok_or_else(|| field_error(key, "invalid_choice", "choose one of the options")),
        FieldType::Phone => phone(v).ok_or_else(|| {
            field_error(
                key,
                "invalid_phone",
                "enter a phone number with its country code, like +1 555 123 4567",
            )
        }),
        FieldType::Country => country(v).ok_or_else(|| field_error(key, "invalid_country", "choose a country")),
        FieldType::Checkboxes | FieldType::Consent | FieldType::Address => {
            unreachable!("multi-part types are validated on their own")
        }
    }
}

fn checkboxes(f: &FormField, picked: &[&str]) -> Result<Option<AnswerValue>, FieldError> {
    let mut chosen = Vec::new();
    for v in picked {
        let option = f
            .options
            .iter()
            .find(|o| o.as_str() == *v)
            .ok_or_else(|| field_error(&f.key, "invalid_choice", "choose among the options"))?;
        if !chosen.contains(option) {
            chosen.push(option.clone());
        }
    }
    match chosen.is_empty() {
        true if f.required => Err(field_error(&f.key, "required", "tick at least one")),
        true => Ok(None),
        false => Ok(Some(AnswerValue::Many(chosen))),
    }
}

fn address(f: &FormField, part: &dyn Fn(&str) -> Option<String>) -> Result<Option<AnswerValue>, FieldError> {
    let mut parts = BTreeMap::new();
    for (name, _) in ADDRESS_PARTS {
        if let Some(v) = part(name) {
            too_long(&f.key, &v, MAX_ANSWER_CHARS)?;
            let v = if *name == "country" {
                country(&v).ok_or_else(|| field_error(&f.key, "invalid_country", "choose a country"))?
            } else {
                v
            };
            parts.insert((*name).to_owned(), v);
        }
    }
    if parts.is_empty() {
        return if f.required {
            Err(field_error(&f.key, "required", "this field is required"))
        } else {
            Ok(None)
        };
    }
    let missing = ["line1", "city", "postal", "country"]
        .iter()
        .any(|p| !parts.contains_key(*p));
    if missing {
        return Err(field_error(
            &f.key,
            "incomplete_address",
            "enter the street, city, postal code and country",
        ));
    }
    Ok(Some(AnswerValue::Address(parts)))
}

fn parse_date(v: &str) -> Option<time::Date> {
    time::Date::parse(v, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// A phone number as typed: digits, spaces, dots, hyphens and parentheses, an optional
/// leading `+`, and 7 to 15 digits (E.164).
fn phone(v: &str) -> Option<String> {
    let body = v.strip_prefix('+').unwrap_or(v);
    let ok = body
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'));
    let digits = body.chars().filter(char::is_ascii_digit).count();
    (ok && (7..=15).contains(&digits)).then(|| v.to_owned())
}

/// An ISO 3166-1 alpha-2 code, upper-cased.
fn country(v: &str) -> Option<String> {
    let code = v.to_ascii_uppercase();
    countries::name(&code).map(|_| code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect()
    }

    fn input(label: &str, t: FieldType, options: &str) -> FieldInput {
        FieldInput {
            label: label.into(),
            field_type: Some(t),
            required: false,
            options: options.into(),
            help: String::new(),
        }
    }

    #[test]
    fn the_default_form_is_valid_and_asks_the_usual() {
        let form = ApplicationForm::default().validated().unwrap();
        let keys: Vec<&str> = form.fields.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, ["email", "name", "website", "promotion", "alias"]);
        assert!(form.field("email").unwrap().required);
        assert!(!form.field("alias").unwrap().required);
    }

    #[test]
    fn the_definition_is_checked() {
        let mut form = ApplicationForm::default();
        assert_eq!(form.remove("email").unwrap_err().code, "email_field_required");
        let optional = FieldInput {
            label: "Email".into(),
            ..Default::default()
        };
        assert_eq!(
            form.update("email", &optional).unwrap_err().code,
            "email_field_required"
        );
        assert_eq!(
            form.add(&input("Size", FieldType::Dropdown, "  \n")).unwrap_err().code,
            "options_required"
        );
        assert_eq!(form.add(&input("", FieldType::Text, "")).unwrap_err().field, "label");
        let mut dup = ApplicationForm::default();
        dup.fields.push(dup.fields[1].clone());
        assert_eq!(dup.validated().unwrap_err().code, "duplicate_key");
        assert_eq!(form.fields.len(), 5, "a refused edit changes nothing");
    }

    #[test]
    fn fields_are_added_relabeled_reordered_and_removed() {
        let mut form = ApplicationForm::default();
        let key = form.add(&input("Full name", FieldType::Text, "")).unwrap();
        assert_eq!(key, "full_name");
        let key2 = form.add(&input("Full name!", FieldType::Text, "")).unwrap();
        assert_eq!(key2, "full_name_2");
        form.shift(&key2, true).unwrap();
        assert_eq!(form.fields[5].key, "full_name_2");
        form.shift("email", true).unwrap();
        assert_eq!(form.fields[0].key, "email", "the first stays first");
        let relabel = FieldInput {
            label: "Your name".into(),
            required: true,
            ..Default::default()
        };
        form.update("name", &relabel).unwrap();
        assert_eq!(form.field("name").unwrap().label, "Your name");
        assert!(form.field("name").unwrap().required);
        form.remove(&key).unwrap();
        assert!(form.field(&key).is_none());
        assert_eq!(form.remove("nope").unwrap_err().code, "unknown_field");
    }

    #[test]
    fn answers_are_validated_by_type() {
        let mut form = ApplicationForm::default();
        for (label, t, options) in [
            ("Followers", FieldType::Number, ""),
            ("Started", FieldType::Date, ""),
            ("Platform", FieldType::Dropdown, "Blog\nYouTube"),
            ("Channels", FieldType::Checkboxes, "Email\nSocial"),
            ("Size", FieldType::Radio, "Small\nLarge"),
            ("Phone", FieldType::Phone, ""),
            ("Country", FieldType::Country, ""),
            ("Address", FieldType::Address, ""),
            ("Terms", FieldType::Consent, ""),
        ] {
            form.add(&input(label, t, options)).unwrap();
        }
        form.fields.last_mut().unwrap().required = true;
        let bad = form
            .validate_answers(&pairs(&[
                ("email", "nope"),
                ("website", "ftp://x"),
                ("alias", "a b"),
                ("followers", "many"),
                ("started", "2024-13-01"),
                ("platform", "TikTok"),
                ("channels", "Fax"),
                ("size", "Huge"),
                ("phone", "12"),
                ("country", "XX"),
                ("address.line1", "1 Main St"),
            ]))
            .unwrap_err();
        let codes: Vec<(&str, &str)> = bad.iter().map(|e| (e.key.as_str(), e.code)).collect();
        assert_eq!(
            codes,
            [
                ("email", "invalid_email"),
                ("website", "invalid_url"),
                ("alias", "invalid_alias"),
                ("followers", "invalid_number"),
                ("started", "invalid_date"),
                ("platform", "invalid_choice"),
                ("channels", "invalid_choice"),
                ("size", "invalid_choice"),
                ("phone", "invalid_phone"),
                ("country", "invalid_country"),
                ("address", "incomplete_address"),
                ("terms", "consent_required"),
            ]
        );
        let good = form
            .validate_answers(&pairs(&[
                ("email", " Jane@Example.com "),
                ("name", "Jane"),
                ("website", "https://jane.blog"),
                ("alias", "jane-b"),
                ("followers", "1200"),
                ("started", "2024-02-29"),
                ("platform", "YouTube"),
                ("channels", "Email"),
                ("channels", "Social"),
                ("size", "Small"),
                ("phone", "+44 20 7946 0958"),
                ("country", "gb"),
                ("address.line1", "1 Main St"),
                ("address.city", "Leeds"),
                ("address.postal", "LS1 1AA"),
                ("address.country", "GB"),
                ("terms", "on"),
            ]))
            .unwrap();
        assert_eq!(good["email"], AnswerValue::Text("Jane@Example.com".into()));
        assert_eq!(
            good["channels"],
            AnswerValue::Many(vec!["Email".into(), "Social".into()])
        );
        assert_eq!(good["country"], AnswerValue::Text("GB".into()));
        assert_eq!(good["terms"], AnswerValue::Bool(true));
        assert_eq!(good["address"].display(), "1 Main St, Leeds, LS1 1AA, GB");
        assert!(!good.contains_key("promotion"), "blank optional answers are left out");
    }

    #[test]
    fn required_fields_must_be_answered() {
        let errors = ApplicationForm::default()
            .validate_answers(&pairs(&[("name", "x")]))
            .unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].key.as_str(), errors[0].code), ("email", "required"));
    }

    #[test]
    fn answers_round_trip_through_json() {
        let mut answers = Answers::new();
        answers.insert("a".into(), AnswerValue::Text("x".into()));
        answers.insert("b".into(), AnswerValue::Many(vec!["y".into()]));
        answers.insert("c".into(), AnswerValue::Bool(true));
        answers.insert(
            "d".into(),
            AnswerValue::Address([("city".into(), "Leeds".into())].into()),
        );
        let json = serde_json::to_string(&answers).unwrap();
        assert_eq!(serde_json::from_str::<Answers>(&json).unwrap(), answers);
    }
}
