//! `registry export`: a git registry as a static tree any web server or CDN
//! can serve to `sparse+http(s)://` clients.
//!
//! ```text
//! config.json                     format, name, limits, where archives and the search listing are
//! index/…/<name>                  the git registry's index files, byte for byte, same prefix layout
//! packs/<name>/<version>.tar.gz   one deterministic archive per published version
//! search.jsonl                    one line per pack: newest version, description (for `search`)
//! ```
//!
//! Git stays the source of truth; the export is a view of its tip. Each file
//! is written only when its bytes differ from what is there (atomically, via
//! `promptpack-fs`), in an order that never shows a client a line whose
//! archive is missing: archives first, then index files, then the search
//! listing, then `config.json`. An existing archive is kept when it unpacks
//! safely to the checksum its index line records; archives are deterministic,
//! so a rewrite would produce the same bytes anyway.

use std::path::Path;

use promptpack_manifest::{DEFAULT_ARCHIVE_TEMPLATE, DisplaySafeUrl, STATIC_REGISTRY_FORMAT, StaticRegistryConfig};

use crate::archive::{read_archive, write_archive};
use crate::cache::{Cache, FetchPolicy};
use crate::error::{IntegrityBasis, RegistryError};
use crate::registry::GitRegistry;
use crate::reporter::Reporter;
use crate::tree::checksum_of;

/// The search listing's file name in an export.
pub const SEARCH_FILE: &str = "search.jsonl";

/// What an export did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportSummary {
    pub packs: usize,
    pub versions: usize,
    /// Files written because they were missing or different, relative to the export folder.
    pub written: Vec<String>,
    /// Files already up to date.
    pub unchanged: usize,
}

/// Exports the git registry at `url` into `dir` (see the module docs).
pub fn export_registry(
    cache: &Cache,
    url: &DisplaySafeUrl,
    dir: &Path,
    reporter: &dyn Reporter,
) -> Result<ExportSummary, RegistryError> {
    if url.expose_secrets().starts_with(crate::SPARSE_PREFIX) {
        return Err(RegistryError::NotARegistry {
            url: url.clone(),
            reason: "it is already a static registry; export reads a git registry".to_owned(),
        });
    }
    let registry = GitRegistry::open(cache, url, FetchPolicy::Always, reporter)?;
    let limits = registry.config().limits;
    let config = StaticRegistryConfig {
        format: STATIC_REGISTRY_FORMAT,
        name: registry.config().name.clone(),
        limits,
        archives: DEFAULT_ARCHIVE_TEMPLATE.to_owned(),
        search: Some(SEARCH_FILE.to_owned()),
    };
    let mut out = ExportWriter { dir, summary: ExportSummary::default() };

    let names = registry.pack_names()?;
    let packs = registry.packs_tree()?;
    reporter.phase(&format!("Exporting {} packs from {url}", names.len()));
    let mut indexes = Vec::with_capacity(names.len());
    for (done, name) in names.iter().enumerate() {
        reporter.transfer(done, names.len(), 0);
        let index = registry.index(name)?;
        for entry in &index.entries {
            out.summary.versions += 1;
            let relative = config.archive_location(name, &entry.vers);
            let path = dir.join(&relative);
            let current = fs_err::read(&path)
                .ok()
                .and_then(|bytes| read_archive(&bytes, &limits).ok())
                .is_some_and(|files| checksum_of(&files) == entry.cksum);
            if current {
                out.summary.unchanged += 1;
                continue;
            }
            let pack = match &packs {
                Some(packs) => registry.read_pack_below(packs, name, &entry.vers)?,
                None => registry.read_pack(name, &entry.vers, None)?,
            };
            if pack.checksum != entry.cksum {
                return Err(RegistryError::integrity(
                    name,
                    IntegrityBasis::RegistryIndex,
                    "the registry's files",
                    &entry.cksum,
                    &pack.checksum,
                    "the pack folder in the registry was edited after publishing",
                ));
            }
            // A line that says something else than its pack would be refused by every client.
            crate::any_registry::check_index_line(url, entry, &pack)
                .map_err(|err| err.found_by(crate::MismatchFoundBy::Exporting))?;
            let bytes = write_archive(&pack.files)
                .map_err(|err| RegistryError::Write(promptpack_fs::IoError::new(&path, err)))?;
            out.put(&relative, &bytes)?;
        }
        indexes.push((name, registry.index_text(name).unwrap_or_default()));
    }
    for (name, text) in &indexes {
        out.put(&promptpack_manifest::index_path(name), text.as_bytes())?;
    }
    let listing: String = registry
        .search("")?
        .iter()
        .map(|hit| {
            serde_json::json!({
                "name": hit.name,
                "newest": hit.newest.to_string(),
                "yanked": hit.yanked,
                "versions": hit.versions,
                "description": hit.description,
            })
            .to_string()
                + "\n"
        })
        .collect();
    out.put(SEARCH_FILE, listing.as_bytes())?;
    out.put("config.json", config.to_json().as_bytes())?;
    reporter.finish();
    out.summary.packs = names.len();
    Ok(out.summary)
}

struct ExportWriter<'a> {
    dir: &'a Path,
    summary: ExportSummary,
}

impl ExportWriter<'_> {
    /// Writes `bytes` at `relative` unless the file already holds exactly them.
    fn put(&mut self, relative: &str, bytes: &[u8]) -> Result<(), RegistryError> {
        let path = self.dir.join(relative);
        if fs_err::read(&path).is_ok_and(|existing| existing == bytes) {
            self.summary.unchanged += 1;
            return Ok(());
        }
        write_file(&path, bytes)?;
        self.summary.written.push(relative.to_owned());
        Ok(())
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), RegistryError> {
    promptpack_fs::write_atomic(path, bytes).map_err(RegistryError::Write)
}
