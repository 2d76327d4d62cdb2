use serde::{Deserialize, Serialize};

use crate::FileError;

/// Which header of a custom CSV holds which roster field, as the brand chose it. Headers are
/// matched forgivingly (case, spaces, underscores, hyphens and dots do not matter).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ColumnMapping {
    pub email: String,
    pub name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub status: Option<String>,
    pub slug: Option<String>,
    pub paypal_email: Option<String>,
}

/// A roster field a custom column can be mapped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Email,
    Name,
    FirstName,
    LastName,
    Status,
    Slug,
    PaypalEmail,
}

impl Field {
    /// The camelCase name errors report.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Field::Email => "email",
            Field::Name => "name",
            Field::FirstName => "firstName",
            Field::LastName => "lastName",
            Field::Status => "status",
            Field::Slug => "slug",
            Field::PaypalEmail => "paypalEmail",
        }
    }
}

impl ColumnMapping {
    /// The mapping's (field, header) pairs, blanks left out; refuses a mapping without an
    /// email column or mapping one header to two fields.
    pub(crate) fn pairs(&self) -> Result<Vec<(Field, &str)>, FileError> {
        let invalid = |m: String| FileError {
            code: "invalid_mapping",
            message: m,
            field: None,
        };
        if self.email.trim().is_empty() {
            return Err(FileError {
                field: Some("email".into()),
                ..invalid("the mapping must name the email column".into())
            });
        }
        let optional = [
            (Field::Name, &self.name),
            (Field::FirstName, &self.first_name),
            (Field::LastName, &self.last_name),
            (Field::Status, &self.status),
            (Field::Slug, &self.slug),
            (Field::PaypalEmail, &self.paypal_email),
        ];
        let mut pairs = vec![(Field::Email, self.email.trim())];
        for (field, header) in optional {
            if let Some(h) = header.as_deref().map(str::trim).filter(|h| !h.is_empty()) {
                pairs.push((field, h));
            }
        }
        let key = |h: &str| crate::header::normalize(h);
        for (i, (field, header)) in pairs.iter().enumerate() {
            if let Some((other, _)) = pairs[..i].iter().find(|(_, h)| key(h) == key(header)) {
                return Err(FileError {
                    field: Some(field.name().into()),
                    ..invalid(format!(
                        "the column {header:?} is mapped to both {} and {}",
                        other.name(),
                        field.name()
                    ))
                });
            }
        }
        Ok(pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deserializes_camel_case_and_checks_itself() {
        let m: ColumnMapping =
            serde_json::from_str(r#"{"email":"E-mail","firstName":"Given","lastName":"Family","paypalEmail":" "}"#)
                .unwrap();
        assert_eq!(
            m.pairs().unwrap(),
            vec![
                (Field::Email, "E-mail"),
                (Field::FirstName, "Given"),
                (Field::LastName, "Family")
            ]
        );
        let blank = ColumnMapping::default();
        assert_eq!(blank.pairs().unwrap_err().code, "invalid_mapping");
        let twice = ColumnMapping {
            email: "Email".into(),
            paypal_email: Some("e_mail".into()),
            ..Default::default()
        };
        let err = twice.pairs().unwrap_err();
        assert_eq!(
            (err.code, err.field.as_deref()),
            ("invalid_mapping", Some("paypalEmail"))
        );
    }
}
