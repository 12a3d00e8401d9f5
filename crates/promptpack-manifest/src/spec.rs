//! Pack names and `NAME@VERSION` specs as typed values: parsed and checked
//! once where they enter (a command-line argument, through clap's value
//! parser), never re-checked as strings further in.

use std::fmt;
use std::str::FromStr;

use crate::pack::is_valid_pack_name;

/// Why a pack name or spec cannot be used; [`hint`](Self::hint) says how to
/// write one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    message: String,
    hint: &'static str,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SpecError {}

impl SpecError {
    /// What the user can do about it.
    #[must_use]
    pub fn hint(&self) -> &'static str {
        self.hint
    }
}

/// A valid pack name: 1 to 64 lowercase ASCII letters, digits and `-`, not
/// starting with `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackName(String);

impl PackName {
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for PackName {
    type Err = SpecError;

    fn from_str(name: &str) -> Result<Self, SpecError> {
        if is_valid_pack_name(name) {
            Ok(Self(name.to_owned()))
        } else {
            Err(SpecError {
                message: format!("invalid pack name `{name}`"),
                hint: "pack names are 1 to 64 lowercase letters, digits and `-`, e.g. `code-review`",
            })
        }
    }
}

impl fmt::Display for PackName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for PackName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// One published version of a pack: `NAME@VERSION`, the version exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackSpec {
    pub name: PackName,
    pub version: semver::Version,
}

impl FromStr for PackSpec {
    type Err = SpecError;

    fn from_str(spec: &str) -> Result<Self, SpecError> {
        let (name, version) = spec.split_once('@').ok_or_else(|| SpecError {
            message: format!("`{spec}` is not NAME@VERSION"),
            hint: "write NAME@VERSION, e.g. `threats-next-steps@1.0.1`",
        })?;
        let version = semver::Version::parse(version).map_err(|err| SpecError {
            message: format!("`{version}` in `{spec}` is not a version: {err}"),
            hint: "write NAME@VERSION with an exact version, e.g. `threats-next-steps@1.0.1`",
        })?;
        Ok(Self { name: name.parse()?, version })
    }
}

impl fmt::Display for PackSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.name, self.version)
    }
}

/// `NAME` or `NAME@REQUIREMENT` (cargo's requirement syntax), as `add` takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackRequirementSpec {
    pub name: PackName,
    /// The requirement as written (it goes into `promptpack.toml` as is),
    /// already checked to parse.
    pub requirement: Option<String>,
}

impl FromStr for PackRequirementSpec {
    type Err = SpecError;

    fn from_str(spec: &str) -> Result<Self, SpecError> {
        let (name, requirement) = match spec.split_once('@') {
            Some((name, requirement)) => (name, Some(requirement)),
            None => (spec, None),
        };
        if let Some(requirement) = requirement {
            semver::VersionReq::parse(requirement).map_err(|err| SpecError {
                message: format!("invalid version requirement `{requirement}`: {err}"),
                hint: "e.g. `^1`, `~1.2`, `=1.0.3` or `>=1, <3`",
            })?;
        }
        Ok(Self { name: name.parse()?, requirement: requirement.map(str::to_owned) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_once_with_a_hint_for_each_mistake() {
        let spec: PackSpec = "threats-next-steps@1.0.1".parse().unwrap();
        assert_eq!((spec.name.as_str(), spec.version.to_string().as_str()), ("threats-next-steps", "1.0.1"));
        assert_eq!(spec.to_string(), "threats-next-steps@1.0.1");
        for bad in ["threats-next-steps", "Threats@1.0.0", "threats@^1", "@1.0.0"] {
            let err = bad.parse::<PackSpec>().unwrap_err();
            assert!(!err.hint().is_empty(), "{bad}: {err}");
        }
        let add: PackRequirementSpec = "threats-next-steps@>=1, <3".parse().unwrap();
        assert_eq!(add.requirement.as_deref(), Some(">=1, <3"), "kept as written");
        assert_eq!("x".parse::<PackRequirementSpec>().unwrap().requirement, None);
        assert!("x@one".parse::<PackRequirementSpec>().is_err());
        assert!("-x".parse::<PackName>().is_err());
    }
}
