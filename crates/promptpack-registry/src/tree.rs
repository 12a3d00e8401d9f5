//! Reading pack files straight out of git trees, refusing anything that is
//! not a plain file or folder, and writing trees for publishing.

use std::collections::BTreeMap;

use promptpack_manifest::{DisplaySafeUrl, RegistryLimits};

use crate::archive::{CLIENT_CEILINGS, whose};
use crate::error::RegistryError;

const MODE_TREE: i32 = 0o040_000;
const MODE_BLOB: i32 = 0o100_644;
const MODE_BLOB_EXECUTABLE: i32 = 0o100_755;
const MODE_LINK: i32 = 0o120_000;
const MODE_COMMIT: i32 = 0o160_000;

/// A pack version's files, read from git and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedPack {
    /// Relative path (`/`-separated) -> bytes.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Git tree id of the pack folder.
    pub tree: String,
    /// Content checksum over the files (see `promptpack_pack::content_checksum`).
    pub checksum: String,
}

/// Reads every file below `tree_id`, refusing links, submodules, names that
/// could escape the folder or are not UTF-8, and anything over `limits`.
///
/// Two passes: the whole tree is checked from tree entries and object
/// headers first, and only a tree that passes has its blobs loaded, so a
/// hostile tree costs no more than reading its listing.
pub(crate) fn read_pack_tree(
    repo: &git2::Repository,
    tree_id: git2::Oid,
    limits: &RegistryLimits,
    pack: &str,
    url: &DisplaySafeUrl,
) -> Result<FetchedPack, RegistryError> {
    let unsafe_tree = |problem: String| RegistryError::UnsafeTree { name: pack.to_owned(), url: url.clone(), problem };
    let odb = repo.odb().map_err(|err| RegistryError::git(url, &err))?;
    let mut blobs = Vec::new();
    let mut total: u64 = 0;
    let mut stack = vec![(String::new(), tree_id)];
    while let Some((prefix, id)) = stack.pop() {
        let tree = repo.find_tree(id).map_err(|err| RegistryError::git(url, &err))?;
        for entry in &tree {
            let name =
                entry.name().map_err(|_| unsafe_tree(format!("a file name in `{prefix}` is not valid UTF-8")))?;
            if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\']) || name == ".git" {
                return Err(unsafe_tree(format!("the entry `{prefix}{name}` could escape the pack folder")));
            }
            let path = format!("{prefix}{name}");
            match entry.filemode() {
                MODE_TREE => stack.push((format!("{path}/"), entry.id())),
                MODE_BLOB | MODE_BLOB_EXECUTABLE => {
                    // The size comes from the object header, so a hostile huge
                    // blob is refused before it is loaded into memory.
                    let (size, _) = odb.read_header(entry.id()).map_err(|err| RegistryError::git(url, &err))?;
                    let size = size as u64;
                    if size > limits.max_file_size {
                        return Err(unsafe_tree(format!(
                            "`{path}` is {size} bytes, over {} of {} bytes per file",
                            whose(limits.max_file_size, CLIENT_CEILINGS.max_file_size),
                            limits.max_file_size
                        )));
                    }
                    total = total.saturating_add(size);
                    if total > limits.max_pack_size {
                        return Err(unsafe_tree(format!(
                            "the pack is over {} of {} bytes",
                            whose(limits.max_pack_size, CLIENT_CEILINGS.max_pack_size),
                            limits.max_pack_size
                        )));
                    }
                    blobs.push((path, entry.id()));
                    if blobs.len() as u64 > limits.max_files {
                        return Err(unsafe_tree(format!(
                            "the pack has more than {} files ({})",
                            limits.max_files,
                            whose(limits.max_files, CLIENT_CEILINGS.max_files)
                        )));
                    }
                }
                MODE_LINK => return Err(unsafe_tree(format!("`{path}` is a symbolic link"))),
                MODE_COMMIT => return Err(unsafe_tree(format!("`{path}` is a git submodule"))),
                other => return Err(unsafe_tree(format!("`{path}` has unsupported file mode {other:o}"))),
            }
        }
    }
    if let Some(problem) = unportable_paths(blobs.iter().map(|(path, _)| path.as_str())) {
        return Err(unsafe_tree(problem));
    }
    let mut files = BTreeMap::new();
    for (path, id) in blobs {
        let blob = repo.find_blob(id).map_err(|err| RegistryError::git(url, &err))?;
        files.insert(path, blob.content().to_vec());
    }
    let checksum = checksum_of(&files);
    Ok(FetchedPack { files, tree: tree_id.to_string(), checksum })
}

/// Names Windows reserves for devices, with or without an extension.
const WINDOWS_RESERVED: [&str; 22] = [
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9", "lpt1", "lpt2",
    "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// Why a set of pack paths cannot be installed the same way on every
/// machine, if it cannot: two paths that are one file on a case-insensitive
/// file system (macOS, Windows), where one would overwrite the other; two
/// that are one name once Unicode-normalized (`é` written precomposed or as
/// `e` and a combining accent: one file on macOS, two elsewhere); or a name
/// Windows cannot create.
pub fn unportable_paths<'a>(paths: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let nfc = icu_normalizer::ComposingNormalizerBorrowed::new_nfc();
    let mut folded: BTreeMap<String, &str> = BTreeMap::new();
    for path in paths {
        for part in path.split('/') {
            let stem = part.split('.').next().unwrap_or(part).to_ascii_lowercase();
            if WINDOWS_RESERVED.contains(&stem.as_str()) {
                return Some(format!("`{path}` uses `{part}`, a name Windows reserves for a device"));
            }
            if part.ends_with(['.', ' ']) {
                return Some(format!("`{path}` has a name ending in a dot or space, which Windows drops"));
            }
            if part.chars().any(|c| matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') || c.is_control()) {
                return Some(format!("`{path}` has a character Windows does not allow in file names"));
            }
        }
        // Every folder on the way counts too: a file `a` beside a folder `A/`
        // cannot both exist on a case-insensitive file system.
        let mut prefix_end = 0;
        for part in path.split('/') {
            prefix_end += part.len();
            let prefix = &path[..prefix_end];
            prefix_end += 1;
            let normalized = nfc.normalize(prefix);
            let key = nfc.normalize(&normalized.to_lowercase()).into_owned();
            if let Some(other) = folded.get(&key)
                && *other != prefix
            {
                if nfc.normalize(other) == normalized {
                    return Some(format!(
                        "`{other}` and `{prefix}` are one name in different Unicode forms (`{}` and `{}`): on macOS one would overwrite the other",
                        code_points(other),
                        code_points(prefix)
                    ));
                }
                return Some(format!(
                    "`{other}` and `{prefix}` differ only in case: on macOS and Windows one would overwrite the other"
                ));
            }
            folded.insert(key, prefix);
        }
    }
    None
}

/// A name with every character beyond ASCII as its code point, so that two
/// names that look alike can be told apart: `e\u{301}.md`.
fn code_points(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii() { c.to_string() } else { format!("\\u{{{:x}}}", u32::from(c)) }).collect()
}

/// The content checksum of in-memory files.
#[must_use]
pub fn checksum_of(files: &BTreeMap<String, Vec<u8>>) -> String {
    let hashed: Vec<(String, String)> =
        files.iter().map(|(path, bytes)| (path.clone(), promptpack_pack::sha256_hex(bytes))).collect();
    promptpack_pack::content_checksum(hashed.iter().map(|(p, h)| (p.as_str(), h.as_str())))
}

/// Writes `files` as a tree of blobs and returns its id.
pub(crate) fn write_files_tree(
    repo: &git2::Repository,
    files: &BTreeMap<String, Vec<u8>>,
) -> Result<git2::Oid, git2::Error> {
    let empty = repo.treebuilder(None)?.write()?;
    let mut root = empty;
    for (path, bytes) in files {
        let blob = repo.blob(bytes)?;
        let parts: Vec<&str> = path.split('/').collect();
        let base = repo.find_tree(root)?;
        root = upsert_path(repo, Some(&base), &parts, blob, MODE_BLOB)?;
    }
    Ok(root)
}

/// Returns a copy of `base` with `oid` (of `mode`) placed at `path`,
/// creating folders on the way.
pub(crate) fn upsert_path(
    repo: &git2::Repository,
    base: Option<&git2::Tree<'_>>,
    path: &[&str],
    oid: git2::Oid,
    mode: i32,
) -> Result<git2::Oid, git2::Error> {
    let mut builder = repo.treebuilder(base)?;
    match path {
        [] => Err(git2::Error::from_str("empty path")),
        [leaf] => {
            builder.insert(leaf, oid, mode)?;
            builder.write()
        }
        [head, rest @ ..] => {
            let existing = base.and_then(|tree| tree.get_name(head)).filter(|e| e.filemode() == MODE_TREE);
            let subtree = existing.map(|entry| repo.find_tree(entry.id())).transpose()?;
            let child = upsert_path(repo, subtree.as_ref(), rest, oid, mode)?;
            builder.insert(head, child, MODE_TREE)?;
            builder.write()
        }
    }
}

/// The tree id at `path` below `root`, if there is a folder there.
pub(crate) fn subtree_id(root: &git2::Tree<'_>, path: &str) -> Option<git2::Oid> {
    if path.is_empty() {
        return Some(root.id());
    }
    root.get_path(std::path::Path::new(path)).ok().filter(|entry| entry.filemode() == MODE_TREE).map(|entry| entry.id())
}

/// The text of the blob at `path` below `root`, if there is a file there.
pub(crate) fn read_blob_text(repo: &git2::Repository, root: &git2::Tree<'_>, path: &str) -> Option<String> {
    let entry = root.get_path(std::path::Path::new(path)).ok()?;
    let blob = repo.find_blob(entry.id()).ok()?;
    String::from_utf8(blob.content().to_vec()).ok()
}

pub(crate) const TREE_MODE: i32 = MODE_TREE;
pub(crate) const BLOB_MODE: i32 = MODE_BLOB;

#[cfg(test)]
mod portability_tests {
    use super::unportable_paths;

    #[test]
    fn case_collisions_and_reserved_names_are_named() {
        assert_eq!(unportable_paths(["pack.toml", "templates/a.md.j2", "partials/b.hbs"]), None);
        let collision = unportable_paths(["templates/A.md", "templates/a.md"]).unwrap();
        assert!(collision.contains("`templates/A.md` and `templates/a.md`"), "{collision}");
        let folder = unportable_paths(["notes", "Notes/x.md"]).unwrap();
        assert!(folder.contains("`notes` and `Notes`"), "{folder}");
        assert_eq!(unportable_paths(["a/x.md", "a/y.md"]), None, "one folder, two files");
        assert!(unportable_paths(["partials/aux.md"]).unwrap().contains("reserves"));
        assert!(unportable_paths(["CON"]).unwrap().contains("reserves"));
        assert!(unportable_paths(["notes."]).unwrap().contains("dot or space"));
        assert!(unportable_paths(["a?.md"]).unwrap().contains("does not allow"));
    }

    #[test]
    fn names_equal_once_unicode_normalized_are_named() {
        let nfd = "templates/e\u{301}.md";
        let nfc = "templates/\u{e9}.md";
        let collision = unportable_paths([nfc, nfd]).unwrap();
        assert!(collision.contains(&format!("`{nfc}` and `{nfd}`")), "{collision}");
        assert!(
            collision.contains("`templates/\\u{e9}.md`") && collision.contains("`templates/e\\u{301}.md`"),
            "{collision}"
        );
        // A folder in one form, a file inside it in the other.
        assert!(unportable_paths(["caf\u{e9}/a.md", "cafe\u{301}/b.md"]).unwrap().contains("Unicode forms"));
        // Case and normalization together.
        assert!(unportable_paths(["\u{c9}.md", "e\u{301}.md"]).is_some());
        assert_eq!(unportable_paths(["\u{e9}.md", "e.md"]), None);
    }
}
