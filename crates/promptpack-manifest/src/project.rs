//! `promptpack.toml`: a consuming project's registries, required packs and
//! its own fixtures for them.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::error::{ManifestError, ManifestErrors};
use crate::pack::is_valid_pack_name;
use crate::value::toml_to_json;

/// The project manifest's file name.
pub const PROJECT_FILE: &str = "promptpack.toml";

/// Where installed packs go when `[install] dir` is not set.
pub const DEFAULT_INSTALL_DIR: &str = "prompts";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProject {
    #[serde(default)]
    registries: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    install: RawInstall,
    #[serde(default)]
    packs: BTreeMap<Spanned<String>, Spanned<RawRequirement>>,
    #[serde(default)]
    fixtures: BTreeMap<String, BTreeMap<String, RawProjectFixture>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInstall {
    dir: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawRequirement {
    Version(String),
    Detailed(RawDetailed),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDetailed {
    version: Option<String>,
    registry: Option<String>,
    git: Option<String>,
    tag: Option<String>,
    branch: Option<String>,
    rev: Option<String>,
    path: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProjectFixture {
    description: Option<String>,
    templates: Option<Vec<String>>,
    #[serde(default)]
    vars: BTreeMap<String, toml::Value>,
}

/// A validated `promptpack.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectManifest {
    /// Registry name -> URL or path.
    pub registries: BTreeMap<String, String>,
    /// Folder (relative to the project) that installed packs go in.
    pub install_dir: String,
    pub packs: BTreeMap<String, PackRequirement>,
    /// The project's own fixtures (its real roles) per installed pack.
    pub fixtures: BTreeMap<String, BTreeMap<String, crate::Fixture>>,
}

/// What the project asks for: a version requirement and where from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackRequirement {
    pub version: Option<semver::VersionReq>,
    pub source: RequirementSource,
    /// Span of the entry in `promptpack.toml`, for errors.
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequirementSource {
    /// A registry by name (`None` is `default`).
    Registry { registry: Option<String> },
    /// A git repository whose versions are tags.
    Git { url: String, reference: GitReference, subdir: Option<String> },
    /// A pack folder on disk, relative to the project.
    Path { path: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitReference {
    /// The newest tag matching the version requirement (or the default branch without one).
    Versions,
    Tag(String),
    Branch(String),
    Rev(String),
}

impl GitReference {
    /// How the lockfile records it, e.g. `tag=v1.2.0`.
    #[must_use]
    pub fn describe(&self) -> Option<String> {
        match self {
            GitReference::Versions => None,
            GitReference::Tag(tag) => Some(format!("tag={tag}")),
            GitReference::Branch(branch) => Some(format!("branch={branch}")),
            GitReference::Rev(rev) => Some(format!("rev={rev}")),
        }
    }
}

impl ProjectManifest {
    pub fn parse(path: &Path, source: &str) -> Result<Self, ManifestErrors> {
        let raw: RawProject = toml::from_str(source).map_err(|err| {
            ManifestErrors::from(
                ManifestError::at(path, source, err.span(), err.message().trim().trim_end_matches('.'))
                    .with_hint("see `promptpack init` for the shape of promptpack.toml"),
            )
        })?;
        let mut errors = Vec::new();
        let mut error = |span: Range<usize>, message: String, hint: &str| {
            errors.push(ManifestError::at(path, source, Some(span), message).with_hint(hint));
        };

        let registries: BTreeMap<String, String> =
            raw.registries.iter().map(|(name, url)| (name.clone(), url.get_ref().clone())).collect();
        let install_dir = match raw.install.dir {
            Some(dir) => {
                let value = dir.get_ref().clone();
                let inside = !value.is_empty()
                    && !value.starts_with('/')
                    && value.split('/').all(|part| !part.is_empty() && part != "." && part != "..");
                if !inside {
                    error(
                        dir.span(),
                        format!("install dir `{value}` must be a folder inside the project"),
                        "e.g. `dir = \"prompts\"`",
                    );
                } else if ["overrides", "snapshots", "packs"].contains(&value.as_str()) {
                    error(
                        dir.span(),
                        format!("install dir `{value}` is a folder promptpack uses for something else"),
                        "e.g. `dir = \"prompts\"`",
                    );
                }
                value
            }
            None => DEFAULT_INSTALL_DIR.to_owned(),
        };

        let mut packs = BTreeMap::new();
        for (name, requirement) in raw.packs {
            let span = requirement.span();
            if !is_valid_pack_name(name.get_ref()) {
                error(
                    name.span(),
                    format!("invalid pack name `{}`", name.get_ref()),
                    "pack names are lowercase letters, digits and `-`",
                );
                continue;
            }
            let parse_req = |text: &str| {
                semver::VersionReq::parse(text).map_err(|err| format!("invalid version requirement `{text}`: {err}"))
            };
            let parsed = match requirement.into_inner() {
                RawRequirement::Version(text) => parse_req(&text).map(|req| PackRequirement {
                    version: Some(req),
                    source: RequirementSource::Registry { registry: None },
                    span: span.clone(),
                }),
                RawRequirement::Detailed(detail) => detailed_requirement(detail, &registries, span.clone(), parse_req),
            };
            match parsed {
                Ok(requirement) => {
                    packs.insert(name.into_inner(), requirement);
                }
                Err(message) => error(
                    span,
                    message,
                    "e.g. `name = \"^1.2\"`, `{ version = \"^1\", registry = \"team\" }`, `{ git = \"https://...\", tag = \"v1.0.0\" }` or `{ path = \"../pack\" }`",
                ),
            }
        }

        let fixtures = project_fixtures(raw.fixtures, source, &mut error);

        if !errors.is_empty() {
            return Err(ManifestErrors(errors));
        }
        Ok(Self { registries, install_dir, packs, fixtures })
    }
}

type ProjectFixtures = BTreeMap<String, BTreeMap<String, crate::Fixture>>;

/// The project's own fixtures per pack. Their names become snapshot file
/// names, so they must be plain names: no separators, no `..`.
fn project_fixtures(
    raw: BTreeMap<String, BTreeMap<String, RawProjectFixture>>,
    source: &str,
    error: &mut impl FnMut(Range<usize>, String, &str),
) -> ProjectFixtures {
    let mut fixtures = BTreeMap::new();
    for (pack, roles) in raw {
        if !is_valid_pack_name(&pack) {
            let span = source.find(&format!("[fixtures.{pack}")).map_or(0..0, |i| i..i + pack.len() + 10);
            error(
                span,
                format!("invalid pack name `{pack}` in [fixtures]"),
                "pack names are lowercase letters, digits and `-`",
            );
            continue;
        }
        let mut converted = BTreeMap::new();
        for (name, fixture) in roles {
            if !crate::is_valid_item_name(&name) {
                let span = source.find(&format!("{pack}.{name}")).map_or(0..0, |i| i..i + pack.len() + name.len() + 1);
                error(
                    span,
                    format!("invalid fixture name `{name}` for pack `{pack}`"),
                    "fixture names are letters, digits, `-` and `_`",
                );
                continue;
            }
            let vars = fixture.vars.iter().map(|(k, v)| (k.clone(), toml_to_json(v))).collect();
            converted
                .insert(name, crate::Fixture { description: fixture.description, templates: fixture.templates, vars });
        }
        fixtures.insert(pack, converted);
    }
    fixtures
}

fn detailed_requirement(
    detail: RawDetailed,
    registries: &BTreeMap<String, String>,
    span: Range<usize>,
    parse_req: impl Fn(&str) -> Result<semver::VersionReq, String>,
) -> Result<PackRequirement, String> {
    let version = detail.version.as_deref().map(parse_req).transpose()?;
    let refs = [detail.tag.is_some(), detail.branch.is_some(), detail.rev.is_some()].iter().filter(|x| **x).count();
    if refs > 1 {
        return Err("give at most one of `tag`, `branch` and `rev`".to_owned());
    }
    let source = match (detail.git, detail.path, detail.registry) {
        (Some(_), _, Some(_)) => return Err("a pack comes from `git` or from a `registry`, not both".to_owned()),
        (Some(url), subdir, None) => {
            let reference = match (detail.tag, detail.branch, detail.rev) {
                (Some(tag), _, _) => GitReference::Tag(tag),
                (_, Some(branch), _) => GitReference::Branch(branch),
                (_, _, Some(rev)) => GitReference::Rev(rev),
                _ => GitReference::Versions,
            };
            RequirementSource::Git { url, reference, subdir }
        }
        (None, Some(path), None) => {
            if refs > 0 {
                return Err("`tag`, `branch` and `rev` need `git`".to_owned());
            }
            RequirementSource::Path { path }
        }
        (None, Some(_), Some(_)) => return Err("a pack comes from a `path` or from a `registry`, not both".to_owned()),
        (None, None, registry) => {
            if refs > 0 {
                return Err("`tag`, `branch` and `rev` need `git`".to_owned());
            }
            if let Some(name) = &registry
                && !registries.contains_key(name)
                && name != "default"
            {
                return Err(format!("registry `{name}` is not listed under [registries]"));
            }
            if version.is_none() {
                return Err("a registry pack needs a `version` requirement".to_owned());
            }
            RequirementSource::Registry { registry }
        }
    };
    Ok(PackRequirement { version, source, span })
}
