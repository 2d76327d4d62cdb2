use std::fmt;

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// A URL-safe identifier of 3 to 64 letters, digits or hyphens, kept as written and compared
/// by its lower-cased form ([`Slug::key`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, utoipa::ToSchema)]
#[schema(value_type = String)]
pub struct Slug(String);

/// Lower-case letters and digits that cannot be mistaken for each other (no 0/o, 1/l/i).
const UNAMBIGUOUS: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";

impl Slug {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let s = input.trim();
        if !(3..=64).contains(&s.len()) {
            return Err(ValidationError::new("slug", "must be 3 to 64 characters"));
        }
        if !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(ValidationError::new(
                "slug",
                "may contain only letters, digits and hyphens",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// A fresh slug of 12 random characters from an unambiguous alphabet.
    pub fn generate() -> Self {
        let mut rng = rand::thread_rng();
        Self(
            (0..12)
                .map(|_| UNAMBIGUOUS[rng.gen_range(0..UNAMBIGUOUS.len())] as char)
                .collect(),
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Slug {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Slug {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Slug {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Slug::parse(&s).map_err(|e| serde::de::Error::custom(e.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_and_refuses() {
        assert_eq!(Slug::parse(" jane-Recommends ").unwrap().key(), "jane-recommends");
        for bad in ["ab", "has space", "under_score", "ünï", &"x".repeat(65)] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn generated_slugs_are_twelve_unambiguous_characters() {
        for _ in 0..200 {
            let s = Slug::generate();
            assert_eq!(s.as_str().len(), 12);
            assert!(s.as_str().bytes().all(|b| UNAMBIGUOUS.contains(&b)));
            assert!(Slug::parse(s.as_str()).is_ok());
        }
    }

    proptest! {
        #[test]
        fn any_valid_slug_round_trips(s in "[A-Za-z0-9-]{3,64}") {
            let parsed = Slug::parse(&s).unwrap();
            prop_assert_eq!(parsed.as_str(), s.as_str());
        }
    }
}
