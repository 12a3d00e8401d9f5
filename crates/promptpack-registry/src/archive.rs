//! Pack archives for static registries: deterministic `.tar.gz` out, and
//! archives from the network checked entry by entry before anything is
//! kept.
//!
//! Writing: files in path order, each a plain file with mode 0644, owner 0,
//! no user or group names and mtime 0, gzip without a name or timestamp: the
//! same files always give the same bytes, so an export that did not change
//! rewrites nothing and a CDN's caches stay warm.
//!
//! Reading is the mirror of `tree::read_pack_tree` for git: only regular
//! files (folders are implied), no links, devices or FIFOs, no absolute paths
//! or `..`, no name twice, names portable to every file system, and the
//! registry's size limits checked from each entry's header before its bytes
//! are read. The decompressed stream itself is capped, so a gzip bomb costs
//! no more than a legitimate pack.
//!
//! The limits come from the server (`config.json`), so they are clamped to
//! [`CLIENT_CEILINGS`] first: a server cannot make the client download or
//! hold more than those, whatever it claims. Sizes read from tar headers are
//! never used to allocate; entries are read through `take(size)` into
//! buffers that grow with the bytes that actually arrive.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write as _};

use promptpack_manifest::RegistryLimits;
use sha1::{Digest as _, Sha1};

use crate::tree::unportable_paths;

/// The most this client accepts from any registry, whatever its
/// `config.json` (or `registry.toml`) allows: prompt packs are text, and a
/// pack is held in memory while it is checked. A registry asking for more
/// is read with these (see [`clamp_limits`]); git registries too, so a
/// registry and its static export accept the same packs.
pub const CLIENT_CEILINGS: RegistryLimits =
    RegistryLimits { max_file_size: 64 * 1024 * 1024, max_pack_size: 256 * 1024 * 1024, max_files: 10_000 };

/// `asked` with each limit lowered to [`CLIENT_CEILINGS`], and a sentence
/// naming the limits that were lowered (`None` when none was).
#[must_use]
pub fn clamp_limits(asked: &RegistryLimits) -> (RegistryLimits, Option<String>) {
    let ceiling = CLIENT_CEILINGS;
    let clamped = RegistryLimits {
        max_file_size: asked.max_file_size.min(ceiling.max_file_size),
        max_pack_size: asked.max_pack_size.min(ceiling.max_pack_size),
        max_files: asked.max_files.min(ceiling.max_files),
    };
    let lowered: Vec<String> = [
        ("max-file-size", asked.max_file_size, ceiling.max_file_size),
        ("max-pack-size", asked.max_pack_size, ceiling.max_pack_size),
        ("max-files", asked.max_files, ceiling.max_files),
    ]
    .into_iter()
    .filter(|(_, asked, ceiling)| asked > ceiling)
    .map(|(name, asked, ceiling)| format!("{name} {asked} (promptpack accepts at most {ceiling})"))
    .collect();
    (clamped, (!lowered.is_empty()).then(|| lowered.join(", ")))
}

/// Whose limit `limit` is, for messages: promptpack's own ceiling or the registry's.
pub(crate) fn whose(limit: u64, ceiling: u64) -> &'static str {
    if limit >= ceiling { "promptpack's ceiling" } else { "the registry's limit" }
}

/// What a tar stream may hold beyond the files' bytes: a 512-byte header per
/// file, padding to 512 bytes, long-name records, and the end blocks.
fn stream_cap(limits: &RegistryLimits) -> u64 {
    limits.max_pack_size.saturating_add(limits.max_files.saturating_mul(4 * 512)).saturating_add(64 * 1024)
}

/// The largest compressed archive worth downloading for these limits (gzip
/// never grows data by more than a little); never more than
/// [`CLIENT_CEILINGS`] allow.
#[must_use]
pub fn max_archive_size(limits: &RegistryLimits) -> u64 {
    let limits = &clamp_limits(limits).0;
    stream_cap(limits).saturating_add(stream_cap(limits) / 100).saturating_add(64 * 1024)
}

/// A deterministic gzip-compressed tar of `files` (see the module docs).
pub fn write_archive(files: &BTreeMap<String, Vec<u8>>) -> std::io::Result<Vec<u8>> {
    let gzip = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::best());
    let mut builder = tar::Builder::new(gzip);
    for (path, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        header.set_size(bytes.len() as u64);
        // `append_data` writes a GNU long-name record for paths over 100 bytes.
        builder.append_data(&mut header, path, bytes.as_slice())?;
    }
    let mut gzip = builder.into_inner()?;
    gzip.flush()?;
    gzip.finish()
}

/// Unpacks an archive in memory, refusing anything unsafe (see the module
/// docs), within `limits` clamped to [`CLIENT_CEILINGS`]. `Err` is the
/// problem in words, for `RegistryError::UnsafeTree`.
pub fn read_archive(bytes: &[u8], limits: &RegistryLimits) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let limits = &clamp_limits(limits).0;
    let ceiling = CLIENT_CEILINGS;
    let cap = stream_cap(limits);
    let stream = CappedReader { inner: flate2::read::GzDecoder::new(bytes), left: cap, cap };
    let mut archive = tar::Archive::new(stream);
    let unreadable = |err: std::io::Error| format!("the archive is not a readable .tar.gz: {err}");
    let mut files = BTreeMap::new();
    let mut total: u64 = 0;
    for entry in archive.entries().map_err(unreadable)? {
        let mut entry = entry.map_err(unreadable)?;
        let raw = entry.path_bytes().into_owned();
        let path = String::from_utf8(raw).map_err(|_| "a file name in the archive is not valid UTF-8".to_owned())?;
        let kind = entry.header().entry_type();
        let is_folder = kind == tar::EntryType::Directory;
        let path = safe_relative_path(&path, is_folder)?;
        match kind {
            tar::EntryType::Directory => continue,
            tar::EntryType::Regular | tar::EntryType::Continuous => {}
            tar::EntryType::Symlink => return Err(format!("`{path}` is a symbolic link")),
            tar::EntryType::Link => return Err(format!("`{path}` is a hard link")),
            tar::EntryType::Char | tar::EntryType::Block => return Err(format!("`{path}` is a device")),
            tar::EntryType::Fifo => return Err(format!("`{path}` is a FIFO")),
            other => return Err(format!("`{path}` has unsupported entry type {:?}", other.as_byte() as char)),
        }
        // The entry's size as tar reads it: a PAX `size` record overrides the
        // header's field, and is what the body's length follows.
        let size = entry.size();
        if size > limits.max_file_size {
            return Err(format!(
                "`{path}` is {size} bytes, over {} of {} bytes per file",
                whose(limits.max_file_size, ceiling.max_file_size),
                limits.max_file_size
            ));
        }
        total = total.saturating_add(size);
        if total > limits.max_pack_size {
            return Err(format!(
                "the pack is over {} of {} bytes",
                whose(limits.max_pack_size, ceiling.max_pack_size),
                limits.max_pack_size
            ));
        }
        if files.len() as u64 >= limits.max_files {
            return Err(format!(
                "the pack has more than {} files ({})",
                limits.max_files,
                whose(limits.max_files, ceiling.max_files)
            ));
        }
        // The header's size is a claim, not a fact: the buffer grows with
        // the bytes that arrive, and a stream that ends early is an error.
        let mut content = Vec::new();
        (&mut entry).take(size).read_to_end(&mut content).map_err(unreadable)?;
        if content.len() as u64 != size {
            return Err(format!("`{path}` is cut short: its header says {size} bytes, the archive holds fewer"));
        }
        if files.insert(path.clone(), content).is_some() {
            return Err(format!("`{path}` appears twice in the archive"));
        }
    }
    if let Some(problem) = unportable_paths(files.keys().map(String::as_str)) {
        return Err(problem);
    }
    Ok(files)
}

/// `path` as a clean relative `/`-separated path, or why it could leave the pack.
fn safe_relative_path(path: &str, is_folder: bool) -> Result<String, String> {
    let trimmed = if is_folder { path.trim_end_matches('/') } else { path };
    let escapes = || format!("the entry `{path}` could escape the pack folder");
    if trimmed.is_empty() || trimmed.starts_with('/') || trimmed.contains('\\') || trimmed.contains('\0') {
        return Err(escapes());
    }
    for part in trimmed.split('/') {
        if part.is_empty() || part == "." || part == ".." || part == ".git" {
            return Err(escapes());
        }
    }
    // `C:` and friends are absolute on Windows.
    if trimmed.as_bytes().get(1) == Some(&b':') {
        return Err(escapes());
    }
    Ok(trimmed.to_owned())
}

/// Stops a decompressing reader at `cap` bytes with an error, so a small
/// archive cannot expand without bound.
struct CappedReader<R> {
    inner: R,
    left: u64,
    cap: u64,
}

impl<R: Read> Read for CappedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // One more byte would be over the cap; zero bytes is a clean end.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(std::io::Error::other(format!(
                    "it unpacks to more than {} bytes, over what the registry's limits allow",
                    self.cap
                ))),
            };
        }
        let want = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let read = self.inner.read(&mut buf[..want])?;
        self.left -= read as u64;
        Ok(read)
    }
}

/// The git tree id `files` would have as a folder of plain (0644) files:
/// what `publish` records in the index, so an archive is checked against
/// both identities a version has.
#[must_use]
pub fn git_tree_id(files: &BTreeMap<String, Vec<u8>>) -> String {
    #[derive(Default)]
    struct Folder {
        files: BTreeMap<String, [u8; 20]>,
        folders: BTreeMap<String, Folder>,
    }
    fn object_id(kind: &str, content: &[u8]) -> [u8; 20] {
        let mut hasher = Sha1::new();
        hasher.update(format!("{kind} {}\0", content.len()).as_bytes());
        hasher.update(content);
        hasher.finalize().into()
    }
    fn tree_id(folder: &Folder) -> [u8; 20] {
        // git orders a folder's entries as if folder names ended in `/`.
        let mut entries: Vec<(String, &str, [u8; 20])> = Vec::new();
        for (name, id) in &folder.files {
            entries.push((name.clone(), "100644", *id));
        }
        for (name, sub) in &folder.folders {
            entries.push((format!("{name}/"), "40000", tree_id(sub)));
        }
        entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let mut content = Vec::new();
        for (key, mode, id) in entries {
            content.extend_from_slice(mode.as_bytes());
            content.push(b' ');
            content.extend_from_slice(key.trim_end_matches('/').as_bytes());
            content.push(0);
            content.extend_from_slice(&id);
        }
        object_id("tree", &content)
    }
    let mut root = Folder::default();
    for (path, bytes) in files {
        let mut parts: Vec<&str> = path.split('/').collect();
        let leaf = parts.pop().unwrap_or_default();
        let mut folder = &mut root;
        for part in parts {
            folder = folder.folders.entry(part.to_owned()).or_default();
        }
        folder.files.insert(leaf.to_owned(), object_id("blob", bytes));
    }
    tree_id(&root).iter().fold(String::with_capacity(40), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        pairs.iter().map(|(path, text)| ((*path).to_owned(), text.as_bytes().to_vec())).collect()
    }

    #[test]
    fn archives_are_deterministic_and_round_trip() {
        let long = format!("templates/{}.md", "x".repeat(150));
        let files = files(&[("pack.toml", "name = 'p'\n"), ("templates/a.md.j2", "hi"), (long.as_str(), "long")]);
        let first = write_archive(&files).unwrap();
        assert_eq!(first, write_archive(&files).unwrap(), "same files, same bytes");
        assert_eq!(&first[4..8], &[0, 0, 0, 0], "no gzip timestamp");
        assert_eq!(read_archive(&first, &RegistryLimits::default()).unwrap(), files);
    }

    #[test]
    fn tree_ids_match_git() {
        let files = files(&[("pack.toml", "a"), ("templates/x.md", "b"), ("templates-x", "c"), ("t/u/v", "d")]);
        let repo_dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init_bare(repo_dir.path()).unwrap();
        let tree = crate::tree::write_files_tree(&repo, &files).unwrap();
        assert_eq!(git_tree_id(&files), tree.to_string());
    }

    /// A raw tar with one entry of `kind` at `path` (the `tar` crate's
    /// builder refuses to write `..`, which is the point of the test).
    fn raw_tar(path: &str, kind: tar::EntryType, body: &[u8]) -> Vec<u8> {
        let mut header = tar::Header::new_old();
        header.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
        header.set_entry_type(kind);
        header.set_size(body.len() as u64);
        header.set_mode(0o644);
        if kind == tar::EntryType::Symlink {
            header.set_link_name("/etc/passwd").unwrap();
        }
        header.set_cksum();
        let mut tar = header.as_bytes().to_vec();
        tar.extend_from_slice(body);
        tar.resize(tar.len().div_ceil(512) * 512 + 1024, 0);
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzip.write_all(&tar).unwrap();
        gzip.finish().unwrap()
    }

    #[test]
    fn hostile_entries_are_refused_by_name() {
        let limits = RegistryLimits::default();
        let refuse = |path: &str, kind| read_archive(&raw_tar(path, kind, b"x"), &limits).unwrap_err();
        assert!(refuse("../evil", tar::EntryType::Regular).contains("escape"));
        assert!(refuse("/etc/passwd", tar::EntryType::Regular).contains("escape"));
        assert!(refuse("a/./b", tar::EntryType::Regular).contains("escape"));
        assert!(refuse("link", tar::EntryType::Symlink).contains("symbolic link"));
        assert!(refuse("dev", tar::EntryType::Char).contains("device"));
        assert!(refuse("fifo", tar::EntryType::Fifo).contains("FIFO"));
        assert!(refuse("hard", tar::EntryType::Link).contains("hard link"));
    }

    #[test]
    fn duplicates_case_collisions_and_sizes_are_refused() {
        let limits = RegistryLimits { max_file_size: 10, max_pack_size: 15, max_files: 3 };
        let mut tar = tar::Builder::new(Vec::new());
        for name in ["a.md", "a.md"] {
            let mut header = tar::Header::new_gnu();
            header.set_size(1);
            tar.append_data(&mut header, name, &b"x"[..]).unwrap();
        }
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzip.write_all(&tar.into_inner().unwrap()).unwrap();
        assert!(read_archive(&gzip.finish().unwrap(), &limits).unwrap_err().contains("twice"));
        let case = write_archive(&files(&[("A.md", "x"), ("a.md", "y")])).unwrap();
        assert!(read_archive(&case, &limits).unwrap_err().contains("differ only in case"));
        let big = write_archive(&files(&[("a", "0123456789ab")])).unwrap();
        assert!(read_archive(&big, &limits).unwrap_err().contains("limit of 10 bytes per file"));
        let many = write_archive(&files(&[("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")])).unwrap();
        assert!(read_archive(&many, &limits).unwrap_err().contains("more than 3 files"));
        let total = write_archive(&files(&[("a", "123456789"), ("b", "123456789")])).unwrap();
        assert!(read_archive(&total, &limits).unwrap_err().contains("limit of 15 bytes"));
    }

    /// A tar whose one header claims `claimed` bytes for `pack.toml` while
    /// `body` follows it.
    fn lying_tar(claimed: u64, body: &[u8]) -> Vec<u8> {
        let mut header = tar::Header::new_gnu();
        header.set_path("pack.toml").unwrap();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(0o644);
        header.set_size(claimed);
        header.set_cksum();
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzip.write_all(header.as_bytes()).unwrap();
        gzip.write_all(body).unwrap();
        gzip.write_all(&[0u8; 1024]).unwrap();
        gzip.finish().unwrap()
    }

    #[test]
    fn a_server_cannot_raise_the_limits_past_the_client_ceilings() {
        // Before, these limits and a header claiming 1 TiB made
        // `Vec::with_capacity` abort the process.
        let asked = RegistryLimits { max_file_size: 1 << 40, max_pack_size: 1 << 41, max_files: u64::MAX };
        let error = read_archive(&lying_tar(1 << 40, b"name = 'p'\n"), &asked).unwrap_err();
        assert!(
            error.contains("is 1099511627776 bytes, over promptpack's ceiling of 67108864 bytes per file"),
            "{error}"
        );
        let (clamped, message) = clamp_limits(&asked);
        assert_eq!(clamped, CLIENT_CEILINGS);
        let message = message.unwrap();
        assert!(message.contains("max-file-size 1099511627776 (promptpack accepts at most 67108864)"), "{message}");
        assert!(message.contains("max-files 18446744073709551615"), "{message}");
        assert_eq!(clamp_limits(&RegistryLimits::default()), (RegistryLimits::default(), None));
        // The download is bounded by the ceilings too, not by what the server asks.
        assert_eq!(max_archive_size(&asked), max_archive_size(&CLIENT_CEILINGS));
        assert!(max_archive_size(&asked) < 300 * 1024 * 1024, "{}", max_archive_size(&asked));
    }

    #[test]
    fn a_size_within_the_limits_is_read_not_allocated_and_a_short_entry_is_refused() {
        let limits = RegistryLimits { max_file_size: 1 << 30, max_pack_size: 1 << 30, max_files: 10 };
        let error = read_archive(&lying_tar(32 << 20, b"name = 'p'\n"), &limits).unwrap_err();
        assert!(error.contains("not a readable .tar.gz") || error.contains("cut short"), "{error}");
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_cap() {
        // A GNU long-name record of 64 MiB: the tar reader would hold the
        // whole name in memory; the capped stream ends it first.
        let limits = RegistryLimits { max_file_size: 1024, max_pack_size: 1024, max_files: 2 };
        let size = 64 * 1024 * 1024;
        let mut header = tar::Header::new_gnu();
        header.as_gnu_mut().unwrap().name[..13].copy_from_slice(b"././@LongLink");
        header.set_entry_type(tar::EntryType::GNULongName);
        header.set_size(size as u64);
        header.set_cksum();
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gzip.write_all(header.as_bytes()).unwrap();
        gzip.write_all(&vec![b'a'; size]).unwrap();
        gzip.write_all(&[0u8; 1024]).unwrap();
        let bomb = gzip.finish().unwrap();
        assert!(bomb.len() < 1024 * 1024, "small on the wire");
        let error = read_archive(&bomb, &limits).unwrap_err();
        assert!(error.contains("unpacks to more than"), "{error}");
    }
}
