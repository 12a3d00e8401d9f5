//! A plain git repository as the source of one or more packs: versions are
//! tags (`v1.2.3`, or `<pack>/v1.2.3` / `<pack>@1.2.3` when one repository
//! holds several packs), or a branch or commit pinned by the lockfile.

use promptpack_manifest::{DisplaySafeUrl, GitReference, RegistryLimits};

use crate::cache::{Cache, CachedRepo, FetchPolicy};
use crate::error::RegistryError;
use crate::reporter::Reporter;
use crate::tree::{FetchedPack, read_pack_tree, subtree_id};

pub struct GitSource {
    repo: CachedRepo,
}

/// A version tag and the commit it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedVersion {
    pub version: semver::Version,
    pub tag: String,
    pub commit: String,
}

impl GitSource {
    pub fn open(
        cache: &Cache,
        url: &DisplaySafeUrl,
        policy: FetchPolicy,
        reporter: &dyn Reporter,
    ) -> Result<Self, RegistryError> {
        let repo = cache.open(url, reporter)?;
        let fetched_before = repo.repo.references().is_ok_and(|mut refs| refs.next().is_some());
        match (policy, fetched_before) {
            (FetchPolicy::Always, _) | (FetchPolicy::IfNeeded, false) => repo.fetch(reporter)?,
            (FetchPolicy::Never, false) => return Err(RegistryError::NotCached { url: repo.url().clone() }),
            _ => {}
        }
        Ok(Self { repo })
    }

    /// The URL; it shows without credentials.
    #[must_use]
    pub fn url(&self) -> &DisplaySafeUrl {
        self.repo.url()
    }

    /// Fetches again, e.g. when a locked commit is missing from the cache.
    pub fn refresh(&self, reporter: &dyn Reporter) -> Result<(), RegistryError> {
        self.repo.fetch(reporter)
    }

    #[must_use]
    pub fn has_commit(&self, commit: &str) -> bool {
        self.repo.has_commit(commit)
    }

    /// Every tag that names a version of `pack`, newest first.
    pub fn versions(&self, pack: &str) -> Result<Vec<TaggedVersion>, RegistryError> {
        let repo = &self.repo.repo;
        let names = repo.tag_names(None).map_err(|err| RegistryError::git(self.url(), &err))?;
        let mut versions = Vec::new();
        for tag in names.iter().filter_map(|name| name.ok().flatten()) {
            let text = tag
                .strip_prefix(&format!("{pack}/v"))
                .or_else(|| tag.strip_prefix(&format!("{pack}@")))
                .or_else(|| tag.strip_prefix('v'));
            let Some(version) = text.and_then(|t| semver::Version::parse(t).ok()) else { continue };
            if let Ok(commit) = self.peel_tag(tag) {
                versions.push(TaggedVersion { version, tag: tag.to_owned(), commit });
            }
        }
        // A pack-specific tag wins over a plain `v1.2.3` of the same version.
        versions.sort_by(|a, b| b.version.cmp(&a.version).then(b.tag.len().cmp(&a.tag.len())));
        versions.dedup_by(|a, b| a.version == b.version);
        Ok(versions)
    }

    fn peel_tag(&self, tag: &str) -> Result<String, RegistryError> {
        let reference = format!("refs/tags/{tag}");
        let object = self.repo.repo.revparse_single(&reference).map_err(|err| RegistryError::git(self.url(), &err))?;
        let commit = object.peel_to_commit().map_err(|err| RegistryError::git(self.url(), &err))?;
        Ok(commit.id().to_string())
    }

    /// The commit a tag, branch or revision names now.
    pub fn resolve(&self, reference: &GitReference) -> Result<String, RegistryError> {
        let repo = &self.repo.repo;
        let spec = match reference {
            GitReference::Tag(tag) => return self.peel_tag(tag),
            GitReference::Branch(branch) => format!("refs/remotes/origin/{branch}"),
            GitReference::Rev(rev) => rev.clone(),
            GitReference::Versions => {
                let head = ["refs/remotes/origin/main", "refs/remotes/origin/master"]
                    .into_iter()
                    .find(|name| repo.refname_to_id(name).is_ok())
                    .unwrap_or("refs/remotes/origin/main");
                head.to_owned()
            }
        };
        let object = repo.revparse_single(&spec).map_err(|_| RegistryError::Git {
            url: self.url().clone(),
            message: format!("`{spec}` does not name a commit in this repository"),
        })?;
        let commit = object.peel_to_commit().map_err(|err| RegistryError::git(self.url(), &err))?;
        Ok(commit.id().to_string())
    }

    /// Reads the pack in `subdir` (the repository root when empty) at `commit`.
    pub fn read_pack(&self, name: &str, commit: &str, subdir: Option<&str>) -> Result<FetchedPack, RegistryError> {
        let repo = &self.repo.repo;
        let git = |err: git2::Error| RegistryError::git(self.url(), &err);
        let oid = git2::Oid::from_str(commit).map_err(git)?;
        let tree = repo.find_commit(oid).and_then(|c| c.tree()).map_err(git)?;
        let subdir = subdir.unwrap_or_default().trim_matches('/');
        let tree_id = subtree_id(&tree, subdir).ok_or_else(|| RegistryError::Git {
            url: self.url().clone(),
            message: format!("commit {commit} has no folder `{subdir}`"),
        })?;
        read_pack_tree(repo, tree_id, &RegistryLimits::default(), name, self.url())
    }
}
