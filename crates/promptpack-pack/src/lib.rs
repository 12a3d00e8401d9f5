//! Prompt packs on disk.
//!
//! A pack is a folder with a `pack.toml`, its template files and an optional
//! `partials/` folder. [`Pack::load`] reads the whole folder once, refusing
//! anything that could make a pack mean different things on different
//! machines (symbolic links, non-UTF-8 names), and computes the pack's
//! content checksum. Everything after loading works on the in-memory copy.
//!
//! This crate does no network I/O and never writes outside the paths it is
//! given; snapshot files are written to a temporary file and renamed.

mod check;
mod compare;
mod error;
mod snapshot;
mod vars;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use promptpack_diagnostics::SourceSnippet;
use promptpack_manifest::{JinjaPreset, PackManifest, RenderSettings, TemplateEngine, UndefinedMode};
use promptpack_render::{
    Engine, JinjaEnvironment, JinjaOptions, Limits, RenderOptions, Renderer, UndefinedPolicy, Vars,
};
use sha2::{Digest, Sha256};

pub use crate::check::{CheckFinding, CheckedPack, Severity, check_for_publish, check_pack};
pub use crate::compare::{
    ContractChange, FixtureOrigin, Impact, RenderedPair, check_bump, compare_renderings, contract_changes,
    required_impact, semver_requirement, smallest_allowed_version,
};
pub use crate::error::PackError;
pub use crate::snapshot::{
    SNAPSHOT_SOURCE, Snapshot, SnapshotHeader, SnapshotOutcome, accept_pending, accepted_path, compare_with_snapshot,
    pending_path, pending_snapshots, read_snapshot, reject_pending, serialize_snapshot, snapshot_file_name,
    write_snapshot,
};
pub use crate::vars::{UnknownVariable, VarArgumentError, VarInput, VarValue, parse_var_argument, unknown_variables};

/// The manifest file every pack has.
pub const MANIFEST_FILE: &str = "pack.toml";

/// The folder whose template files are includable partials.
pub const PARTIALS_DIR: &str = "partials";

/// One (template, fixture) rendering pinned by a snapshot file.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotCase {
    pub pack: String,
    pub template: String,
    pub fixture: String,
    /// The fixture's own variables (defaults are filled in at render time).
    pub vars: Vars,
    /// What declared the fixture: the pack's test, or a project's manifest.
    pub source: String,
}

impl SnapshotCase {
    #[must_use]
    pub fn file_name(&self) -> String {
        snapshot_file_name(&self.pack, &self.template, &self.fixture)
    }

    /// The name insta knows the snapshot by (the file name without `.snap`).
    #[must_use]
    pub fn insta_name(&self) -> String {
        format!("{}__{}__{}", self.pack, self.template, self.fixture)
    }
}

/// One file of a pack, as it counts toward the checksum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackFile {
    /// Relative to the pack folder, `/`-separated.
    pub path: String,
    /// Lower-case hex sha256 of the file's bytes.
    pub sha256: String,
    pub contents: Vec<u8>,
}

/// A loaded pack: its manifest and every file, in memory.
#[derive(Debug, Clone)]
pub struct Pack {
    root: PathBuf,
    manifest: PackManifest,
    manifest_source: String,
    files: BTreeMap<String, PackFile>,
    /// The packs `[dependencies]` names, attached by whoever loaded this one
    /// (a workspace, a project's lock-verified install, a registry): their
    /// partials are includable under their names.
    dependencies: BTreeMap<String, Arc<Pack>>,
}

impl Pack {
    /// Reads the pack in `dir`: every file below it (except `.git`), the
    /// manifest, and checks that each declared template file exists.
    pub fn load(dir: &Path) -> Result<Pack, PackError> {
        if !dir.join(MANIFEST_FILE).is_file() {
            return Err(PackError::MissingManifest { dir: dir.to_path_buf() });
        }
        let files = read_pack_files(dir)?;
        Self::from_pack_files(dir, files)
    }

    /// A pack from files already in memory (e.g. read from a registry);
    /// `root` only names it in messages.
    pub fn from_files(root: &Path, files: BTreeMap<String, Vec<u8>>) -> Result<Pack, PackError> {
        let files = files
            .into_iter()
            .map(|(path, contents)| {
                let file = PackFile { path: path.clone(), sha256: sha256_hex(&contents), contents };
                (path, file)
            })
            .collect();
        Self::from_pack_files(root, files)
    }

    fn from_pack_files(root: &Path, files: BTreeMap<String, PackFile>) -> Result<Pack, PackError> {
        let manifest_path = root.join(MANIFEST_FILE);
        let manifest_bytes =
            &files.get(MANIFEST_FILE).ok_or_else(|| PackError::MissingManifest { dir: root.to_path_buf() })?.contents;
        let manifest_source = decode_utf8(&manifest_path, manifest_bytes)?;
        let manifest = PackManifest::parse(&manifest_path, &manifest_source)?;
        for (name, template) in &manifest.templates {
            if !files.contains_key(&template.file) {
                return Err(PackError::MissingTemplateFile {
                    template: name.clone(),
                    file: template.file.clone(),
                    snippet: SourceSnippet::at_range(&manifest_path, &manifest_source, template.file_span.clone()),
                });
            }
        }
        Ok(Pack { root: root.to_path_buf(), manifest, manifest_source, files, dependencies: BTreeMap::new() })
    }

    /// The pack with some files replaced by a project's local overrides
    /// (relative path -> bytes). `pack.toml` cannot be overridden: the
    /// contract is the publisher's.
    pub fn with_overrides(mut self, overrides: &BTreeMap<String, Vec<u8>>) -> Result<Pack, PackError> {
        for (path, contents) in overrides {
            if path == MANIFEST_FILE {
                return Err(PackError::Override {
                    path: PathBuf::from(path),
                    reason: format!("pack.toml of `{}` is the publisher's contract", self.name()),
                    hint:
                        "override templates and partials only; to change variables or fixtures, publish a new version"
                            .to_owned(),
                });
            }
            let file = PackFile { path: path.clone(), sha256: sha256_hex(contents), contents: contents.clone() };
            self.files.insert(path.clone(), file);
        }
        Ok(self)
    }

    /// Attaches a pack that `[dependencies]` names, so templates can include
    /// its partials: `{% include "<dep>/partials/<file>" %}` in Jinja,
    /// `{{> <dep>/<partial>}}` in Handlebars. Its own dependencies come with it.
    pub fn with_dependency(mut self, dependency: Pack) -> Result<Pack, PackError> {
        let name = dependency.name().to_owned();
        let error = |reason: String, hint: String| PackError::Dependency {
            pack: self.name().to_owned(),
            dependency: name.clone(),
            reason,
            hint,
        };
        let Some(requirement) = self.manifest.dependencies.get(&name) else {
            return Err(error(
                "is not declared".to_owned(),
                format!("add `{name} = \"^{}\"` under `[dependencies]` in pack.toml", dependency.manifest.version),
            ));
        };
        if !requirement.matches(&dependency.manifest.version) {
            return Err(error(
                format!("is at version {}, which does not match `{requirement}`", dependency.manifest.version),
                format!("use a version of `{name}` matching `{requirement}`, or change the requirement in pack.toml"),
            ));
        }
        self.dependencies.insert(name, Arc::new(dependency));
        Ok(self)
    }

    /// The attached dependencies, by name.
    pub fn dependencies(&self) -> impl Iterator<Item = &Pack> {
        self.dependencies.values().map(AsRef::as_ref)
    }

    /// Declared dependencies that are not attached: their partials cannot be
    /// included by this pack as loaded.
    pub fn missing_dependencies(&self) -> impl Iterator<Item = (&str, &semver::VersionReq)> {
        self.manifest
            .dependencies
            .iter()
            .filter(|(name, _)| !self.dependencies.contains_key(*name))
            .map(|(name, requirement)| (name.as_str(), requirement))
    }

    /// This pack's dependencies and theirs, each name once (the nearest wins;
    /// a resolved project has one version per name anyway).
    fn dependency_closure(&self) -> BTreeMap<&str, &Pack> {
        let mut found: BTreeMap<&str, &Pack> = BTreeMap::new();
        let mut queue: Vec<&Pack> = self.dependencies().collect();
        while let Some(pack) = queue.pop() {
            if pack.name() == self.name() || found.contains_key(pack.name()) {
                continue;
            }
            found.insert(pack.name(), pack);
            queue.extend(pack.dependencies());
        }
        found
    }

    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    #[must_use]
    pub fn manifest(&self) -> &PackManifest {
        &self.manifest
    }

    #[must_use]
    pub fn name(&self) -> &str {
        &self.manifest.name
    }

    #[must_use]
    pub fn manifest_source(&self) -> &str {
        &self.manifest_source
    }

    /// Every file of the pack, by relative path.
    #[must_use]
    pub fn files(&self) -> &BTreeMap<String, PackFile> {
        &self.files
    }

    /// Every file's bytes, by relative path (as registries and installs take them).
    pub fn file_contents(&self) -> BTreeMap<String, Vec<u8>> {
        self.files.iter().map(|(path, file)| (path.clone(), file.contents.clone())).collect()
    }

    /// The pack's content checksum: sha256 over the sorted lines
    /// `"<sha256 of file>  <relative path>\n"` (the format of `sha256sum`,
    /// and Go's dirhash), so it is the same on every machine and survives
    /// re-packing and mirroring.
    #[must_use]
    pub fn checksum(&self) -> String {
        content_checksum(self.files.values().map(|file| (file.path.as_str(), file.sha256.as_str())))
    }

    /// Compiles every template and partial of the pack.
    pub fn renderer(&self) -> Result<Renderer, PackError> {
        let mut builder = Renderer::builder_with_options(render_options(&self.manifest.render));
        let render_error = |template: &str| {
            let pack = self.name().to_owned();
            let template = template.to_owned();
            move |source| PackError::Render { pack, template, source }
        };
        for (name, template) in &self.manifest.templates {
            let file = &self.files[&template.file];
            let path = self.root.join(&template.file);
            let source = decode_utf8(&path, &file.contents)?;
            builder.add_template(name.clone(), engine_of(template.engine), source, path).map_err(render_error(name))?;
        }
        // A pack's own partials are includable by their plain names and, so
        // that a partial written to be shared includes its siblings the same
        // way wherever it renders, by `<pack>/...` names too: the spelling its
        // dependents use (Jinja2's `PrefixLoader` layout of an install folder).
        let mut partial_owner: BTreeMap<String, &str> = BTreeMap::new();
        for (pack, qualified_only) in
            std::iter::once((self, false)).chain(self.dependency_closure().into_values().map(|dep| (dep, true)))
        {
            for file in pack.files.values() {
                let Some((name, engine)) = partial_name(&file.path) else { continue };
                let path = pack.root.join(&file.path);
                let source = decode_utf8(&path, &file.contents)?;
                let qualified = format!("{}/{name}", pack.name());
                let names = if qualified_only { vec![qualified] } else { vec![name, qualified] };
                for name in names {
                    if let Some(owner) = partial_owner.insert(name.clone(), pack.name())
                        && owner != pack.name()
                    {
                        return Err(PackError::Dependency {
                            pack: self.name().to_owned(),
                            dependency: pack.name().to_owned(),
                            reason: format!("has a partial `{name}`, which pack `{owner}` also has"),
                            hint: "rename the folder under `partials/` that shadows a dependency's name".to_owned(),
                        });
                    }
                    builder.add_partial(name, engine, source.clone(), &path).map_err(render_error(&file.path))?;
                }
            }
        }
        for (dependency, requirement) in self.missing_dependencies() {
            builder.mark_unavailable(
                dependency,
                format!(
                    "its partials come from dependency `{dependency}` ({requirement}), which is not available here"
                ),
                format!(
                    "put `{dependency}` in the same folder as this pack (e.g. packs/{dependency}), or install it in this project with `promptpack add {dependency}`"
                ),
            );
        }
        builder.build().map_err(|source| PackError::Compile { pack: self.name().to_owned(), source })
    }

    /// The template to render when the user did not name one.
    pub fn resolve_template_name(&self, requested: Option<&str>) -> Result<String, PackError> {
        let available = || self.manifest.templates.keys().cloned().collect::<Vec<_>>().join(", ");
        match requested {
            Some(name) if self.manifest.templates.contains_key(name) => Ok(name.to_owned()),
            Some(name) => Err(PackError::UnknownTemplate {
                pack: self.name().to_owned(),
                template: name.to_owned(),
                available: available(),
            }),
            None => {
                let mut names = self.manifest.templates.keys();
                match (names.next(), names.next()) {
                    (Some(only), None) => Ok(only.clone()),
                    _ => Err(PackError::AmbiguousTemplate {
                        pack: self.name().to_owned(),
                        count: self.manifest.templates.len(),
                        available: available(),
                    }),
                }
            }
        }
    }

    /// The variables of a fixture, by name.
    pub fn fixture_vars(&self, fixture: &str) -> Result<Vars, PackError> {
        self.manifest.fixtures.get(fixture).map(|f| f.vars.clone()).ok_or_else(|| PackError::UnknownFixture {
            pack: self.name().to_owned(),
            fixture: fixture.to_owned(),
            available: self.manifest.fixtures.keys().cloned().collect::<Vec<_>>().join(", "),
        })
    }

    /// Every (template, fixture) pair the pack pins with a snapshot, sorted.
    #[must_use]
    pub fn snapshot_cases(&self) -> Vec<SnapshotCase> {
        self.snapshot_cases_with(&self.manifest.fixtures, SNAPSHOT_SOURCE)
    }

    /// Cases for other fixtures, e.g. a consuming project's own roles;
    /// `source` is what the snapshot header records as their origin.
    pub fn snapshot_cases_with(
        &self,
        fixtures: &BTreeMap<String, promptpack_manifest::Fixture>,
        source: &str,
    ) -> Vec<SnapshotCase> {
        let mut cases = Vec::new();
        for template in self.manifest.templates.keys() {
            for (fixture_name, fixture) in fixtures {
                if fixture.applies_to(template) {
                    cases.push(SnapshotCase {
                        pack: self.name().to_owned(),
                        template: template.clone(),
                        fixture: fixture_name.clone(),
                        vars: fixture.vars.clone(),
                        source: source.to_owned(),
                    });
                }
            }
        }
        cases
    }

    /// The header recorded with a case's snapshot: what a reviewer needs to
    /// see why the text is what it is.
    #[must_use]
    pub fn snapshot_header(&self, case: &SnapshotCase) -> SnapshotHeader {
        let template = &self.manifest.templates[&case.template];
        let engine = engine_of(template.engine);
        let info = serde_json::json!({
            "pack": self.name(),
            "version": self.manifest.version.to_string(),
            "template": case.template,
            "file": template.file,
            "engine": engine.as_str(),
            "renderer": promptpack_render::renderer_id(engine),
            "fixture": case.fixture,
            "vars": serde_json::Value::Object(case.vars.clone()),
        });
        SnapshotHeader { source: case.source.clone(), expression: "rendered".to_owned(), info }
    }

    /// `vars` checked against the declared variables and completed with the
    /// defaults of optional ones that were not passed.
    pub fn complete_vars(&self, vars: Vars) -> Result<Vars, PackError> {
        vars::complete_vars(&self.manifest, vars)
    }

    /// Renders `template` with `vars` completed by the pack's declared
    /// defaults, after checking required variables and types.
    pub fn render(&self, renderer: &Renderer, template: &str, vars: Vars) -> Result<String, PackError> {
        let vars = vars::complete_vars(&self.manifest, vars)?;
        renderer.render(template, &vars).map_err(|source| PackError::Render {
            pack: self.name().to_owned(),
            template: template.to_owned(),
            source,
        })
    }
}

/// The renderer's options for a pack's `[render]` settings.
pub fn render_options(settings: &RenderSettings) -> RenderOptions {
    let undefined = match settings.undefined {
        UndefinedMode::SemiStrict => UndefinedPolicy::SemiStrict,
        UndefinedMode::Strict => UndefinedPolicy::Strict,
        UndefinedMode::Lenient => UndefinedPolicy::Lenient,
    };
    let environment = match settings.jinja.environment {
        JinjaPreset::Plain => JinjaEnvironment::Plain,
        JinjaPreset::Transformers => JinjaEnvironment::Transformers,
    };
    let jinja = JinjaOptions {
        trim_blocks: settings.jinja.trim_blocks,
        lstrip_blocks: settings.jinja.lstrip_blocks,
        keep_trailing_newline: settings.jinja.keep_trailing_newline,
        environment,
    };
    let defaults = Limits::default();
    let limits = Limits {
        max_output_bytes: settings.max_output_bytes.unwrap_or(defaults.max_output_bytes),
        max_value_bytes: settings.max_value_bytes.unwrap_or(defaults.max_value_bytes),
        ..defaults
    };
    RenderOptions { undefined, jinja, limits }
}

pub(crate) fn engine_of(engine: TemplateEngine) -> Engine {
    match engine {
        TemplateEngine::Jinja => Engine::Jinja,
        TemplateEngine::Handlebars => Engine::Handlebars,
    }
}

/// How a file under `partials/` is included: Jinja by its path
/// (`{% include "partials/intro.j2" %}`), Handlebars by its name without
/// extensions (`partials/intro.hbs` is `{{> intro}}`).
fn partial_name(path: &str) -> Option<(String, Engine)> {
    let inner = path.strip_prefix(PARTIALS_DIR)?.strip_prefix('/')?;
    match engine_of(TemplateEngine::from_file_name(path)?) {
        Engine::Jinja => Some((path.to_owned(), Engine::Jinja)),
        Engine::Handlebars => {
            let (dir, file) = inner.rsplit_once('/').map_or(("", inner), |(d, f)| (d, f));
            let stem = file.split('.').next().unwrap_or(file);
            let name = if dir.is_empty() { stem.to_owned() } else { format!("{dir}/{stem}") };
            Some((name, Engine::Handlebars))
        }
    }
}

/// The content checksum of the files in a folder (as [`Pack::checksum`]
/// computes it), refusing links like [`Pack::load`] does.
pub fn folder_checksum(dir: &Path) -> Result<String, PackError> {
    let files = read_pack_files(dir)?;
    Ok(content_checksum(files.values().map(|file| (file.path.as_str(), file.sha256.as_str()))))
}

/// The checksum of a set of `(path, sha256)` pairs, in any order.
pub fn content_checksum<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut lines: Vec<String> = files.into_iter().map(|(path, sha)| format!("{sha}  {path}\n")).collect();
    lines.sort();
    let mut hasher = Sha256::new();
    for line in &lines {
        hasher.update(line.as_bytes());
    }
    format!("sha256:{}", hex(&hasher.finalize()))
}

/// Lower-case hex sha256 of some bytes.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// Reads every file below `dir`, refusing links and names that are not UTF-8.
fn read_pack_files(dir: &Path) -> Result<BTreeMap<String, PackFile>, PackError> {
    let mut files = BTreeMap::new();
    let walker = walkdir::WalkDir::new(dir).follow_links(false).sort_by_file_name().into_iter();
    for entry in walker.filter_entry(|e| e.depth() == 0 || e.file_name() != ".git") {
        let entry = entry.map_err(|err| {
            let path = err.path().unwrap_or(dir).to_path_buf();
            PackError::Io { path, source: err.into() }
        })?;
        if entry.depth() == 0 {
            continue;
        }
        let path = entry.path();
        if entry.path_is_symlink() {
            return Err(PackError::Symlink { path: path.to_path_buf() });
        }
        if entry.file_type().is_dir() {
            continue;
        }
        let relative = path.strip_prefix(dir).unwrap_or(path);
        let mut parts = Vec::new();
        for component in relative.components() {
            let part =
                component.as_os_str().to_str().ok_or_else(|| PackError::NonUtf8Name { path: path.to_path_buf() })?;
            parts.push(part);
        }
        let relative = parts.join("/");
        let contents = fs_err::read(path).map_err(PackError::io(path))?;
        let sha256 = sha256_hex(&contents);
        files.insert(relative.clone(), PackFile { path: relative, sha256, contents });
    }
    Ok(files)
}

/// Decodes a file as UTF-8, pointing at the first bad byte otherwise.
fn decode_utf8(path: &Path, bytes: &[u8]) -> Result<String, PackError> {
    String::from_utf8(bytes.to_vec()).map_err(|err| {
        let valid = err.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(&bytes[..valid]);
        let (line, column) = promptpack_diagnostics::line_column(&text, text.len());
        PackError::NotUtf8 { path: path.to_path_buf(), line, column }
    })
}
