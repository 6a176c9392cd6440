//! Read-only access to a local baseline repository with git2 (libgit2): resolve a ref, read a
//! file's blob at it, find the commit that last changed the file, extract commit signatures, and
//! tell whether the working copy is dirty.
//!
//! Everything is read from the object database at the resolved commit, never from the working
//! copy: what is verified is exactly what is used. libgit2 checks object ids on read (strict
//! hash verification is on by default), so a blob read here is the one the signed commit names.
//!
//! "Last changed": walking first-parent history from the ref's commit, the first commit whose
//! first parent has a different blob at the path (or none, or a non-file) is the commit that
//! last changed the file. A change merged from a side branch is thus attributed to the merge
//! commit that brought it into the mainline, which is the commit a reviewer approved. In a
//! shallow clone the walk stops at the oldest commit present, which is then reported; that is
//! never less strict (that commit holds the same blob), only less precise. Fetch full history
//! (`fetch-depth: 0`) for exact attribution.
//!
//! "Dirty", decided here: any change to a tracked file anywhere in the repository (staged,
//! modified, deleted, renamed, type change, conflict), plus untracked files under the baseline
//! file's directory (a new baseline or signature that is not committed yet). Ignored files never
//! count; untracked files elsewhere do not either, so build output does not block a check. A
//! bare repository is never dirty.

use std::fmt;
use std::path::{Component, Path, PathBuf};

use git2::{ErrorCode, ObjectType, Oid, Repository, Status, StatusOptions};

use super::error::{DirtyPath, TrustError};
use super::time::Timestamp;
use super::verify::{CommitRecord, UnverifiedBaseline};

/// A commit id (full hex when displayed; [`CommitId::short`] for messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CommitId(Oid);

impl CommitId {
    /// The abbreviated id used in messages: the first 7 hex digits, as `git log --oneline`.
    pub fn short(&self) -> String {
        let mut hex = self.0.to_string();
        hex.truncate(7);
        hex
    }

    /// The git2 object id.
    pub fn oid(&self) -> Oid {
        self.0
    }
}

impl fmt::Display for CommitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A git blob id (the object id of a file's content).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlobId(Oid);

impl BlobId {
    /// The git2 object id.
    pub fn oid(&self) -> Oid {
        self.0
    }
}

impl fmt::Display for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A file's content at a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub bytes: Vec<u8>,
    pub id: BlobId,
}

/// What is at a path in a commit's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreeEntry {
    /// A regular (possibly executable) file.
    File(Blob),
    /// Nothing at that path.
    Missing,
    /// Something that is not a regular file: directory, symbolic link or submodule.
    NotAFile(&'static str),
}

/// An open local repository holding baselines.
pub struct BaselineRepo {
    repo: Repository,
    /// The directory as given, for messages.
    display_path: PathBuf,
}

impl fmt::Debug for BaselineRepo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BaselineRepo")
            .field("path", &self.display_path)
            .finish()
    }
}

impl BaselineRepo {
    /// Opens the repository at `path`: the top of a working copy, its `.git` directory, or a
    /// bare repository. Parent directories are not searched, so a path inside some other
    /// repository is not silently taken for it.
    pub fn open(path: &Path) -> Result<Self, TrustError> {
        let repo = Repository::open(path).map_err(|e| TrustError::NotARepository {
            path: path.to_path_buf(),
            reason: e.message().to_owned(),
        })?;
        Ok(BaselineRepo {
            repo,
            display_path: path.to_path_buf(),
        })
    }

    /// The path the repository was opened at.
    pub fn path(&self) -> &Path {
        &self.display_path
    }

    /// The working directory, or `None` for a bare repository.
    pub fn workdir(&self) -> Option<&Path> {
        self.repo.workdir()
    }

    /// The `.git` directory (or the bare repository itself).
    pub fn git_dir(&self) -> &Path {
        self.repo.path()
    }

    /// Whether this is a shallow clone (see the module docs on what that changes).
    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow()
    }

    fn git_error(&self, action: impl Into<String>) -> impl FnOnce(git2::Error) -> TrustError {
        let repo = self.display_path.clone();
        let action = action.into();
        move |source| TrustError::Git {
            repo,
            action,
            source,
        }
    }

    /// Resolves `rev` (branch, tag, full or abbreviated commit id, `HEAD`, or any revision
    /// expression git accepts) to the commit it names; annotated tags are peeled.
    pub fn resolve(&self, rev: &str) -> Result<CommitId, TrustError> {
        let not_found = |reason: String| TrustError::RefNotFound {
            repo: self.display_path.clone(),
            rev: rev.to_owned(),
            reason,
        };
        let object = self
            .repo
            .revparse_single(rev)
            .map_err(|e| not_found(e.message().to_owned()))?;
        let commit = object.peel_to_commit().map_err(|e| {
            not_found(format!(
                "it names a {}: {}",
                kind_name(object.kind()),
                e.message()
            ))
        })?;
        Ok(CommitId(commit.id()))
    }

    /// What is at `path` in `commit`'s tree.
    pub fn entry_at(&self, commit: CommitId, path: &str) -> Result<TreeEntry, TrustError> {
        let tree = self
            .repo
            .find_commit(commit.0)
            .and_then(|c| c.tree())
            .map_err(self.git_error(format!("reading the tree of commit {}", commit.short())))?;
        let entry = match tree.get_path(Path::new(path)) {
            Ok(entry) => entry,
            Err(e) if e.code() == ErrorCode::NotFound => return Ok(TreeEntry::Missing),
            Err(e) => return Err(self.git_error(format!("looking up {path}"))(e)),
        };
        match (entry.kind(), entry.filemode()) {
            (Some(ObjectType::Blob), 0o120000) => Ok(TreeEntry::NotAFile("a symbolic link")),
            (Some(ObjectType::Blob), _) => {
                let blob = self
                    .repo
                    .find_blob(entry.id())
                    .map_err(self.git_error(format!("reading {path}")))?;
                Ok(TreeEntry::File(Blob {
                    bytes: blob.content().to_vec(),
                    id: BlobId(blob.id()),
                }))
            }
            (Some(ObjectType::Tree), _) => Ok(TreeEntry::NotAFile("a directory")),
            (Some(ObjectType::Commit), _) => Ok(TreeEntry::NotAFile("a submodule")),
            _ => Ok(TreeEntry::NotAFile("not a regular file")),
        }
    }

    /// The object id at `path` in `commit`, whatever its kind (`None` if absent).
    fn id_at(&self, commit: &git2::Commit<'_>, path: &Path) -> Result<Option<Oid>, TrustError> {
        let tree = commit.tree().map_err(self.git_error(format!(
            "reading the tree of commit {}",
            CommitId(commit.id()).short()
        )))?;
        match tree.get_path(path) {
            Ok(entry) => Ok(Some(entry.id())),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(self.git_error(format!("looking up {}", path.display()))(e)),
        }
    }

    /// The commit that last changed `path`, walking first-parent history from `from`, where the
    /// path holds `blob` (see the module docs).
    pub fn last_change(
        &self,
        from: CommitId,
        path: &str,
        blob: BlobId,
    ) -> Result<CommitId, TrustError> {
        let walk_error = || self.git_error(format!("walking the history of {path}"));
        let mut current = self.repo.find_commit(from.0).map_err(walk_error())?;
        loop {
            if current.parent_count() == 0 {
                return Ok(CommitId(current.id()));
            }
            let parent = current.parent(0).map_err(walk_error())?;
            if self.id_at(&parent, Path::new(path))? != Some(blob.0) {
                return Ok(CommitId(current.id()));
            }
            current = parent;
        }
    }

    /// The commit's committer time and its `gpgsig` signature with the signed payload.
    pub(super) fn commit_record(&self, id: CommitId) -> Result<CommitRecord, TrustError> {
        let commit = self
            .repo
            .find_commit(id.0)
            .map_err(self.git_error(format!("reading commit {}", id.short())))?;
        let time = Timestamp::from_unix(commit.committer().when().seconds());
        let signature = match self.repo.extract_signature(&id.0, None) {
            Ok((sig, payload)) => Some((sig.to_vec(), payload.to_vec())),
            Err(e) if e.code() == ErrorCode::NotFound => None,
            Err(e) => {
                return Err(self.git_error(format!(
                    "reading the signature of commit {}",
                    id.short()
                ))(e));
            }
        };
        Ok(CommitRecord {
            id,
            time,
            signature,
        })
    }

    /// What makes the working copy dirty for a baseline at `path` (see the module docs);
    /// empty for a clean working copy or a bare repository.
    pub fn dirty_paths(&self, path: &str) -> Result<Vec<DirtyPath>, TrustError> {
        if self.repo.is_bare() {
            return Ok(Vec::new());
        }
        let status_error = || self.git_error("reading the working copy status");
        let mut tracked = StatusOptions::new();
        tracked
            .include_untracked(false)
            .include_ignored(false)
            .include_unmodified(false);
        let mut dirty: Vec<DirtyPath> = Vec::new();
        for entry in self
            .repo
            .statuses(Some(&mut tracked))
            .map_err(status_error())?
            .iter()
        {
            if let Some(state) = tracked_state(entry.status()) {
                dirty.push(DirtyPath {
                    path: String::from_utf8_lossy(entry.path_bytes()).into_owned(),
                    state,
                });
            }
        }
        let mut untracked = StatusOptions::new();
        untracked
            .include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_ignored(false);
        let dir = Path::new(path)
            .parent()
            .and_then(Path::to_str)
            .unwrap_or("");
        if !dir.is_empty() {
            untracked.pathspec(format!("{dir}/"));
        }
        for entry in self
            .repo
            .statuses(Some(&mut untracked))
            .map_err(status_error())?
            .iter()
        {
            if entry.status().contains(Status::WT_NEW) {
                dirty.push(DirtyPath {
                    path: String::from_utf8_lossy(entry.path_bytes()).into_owned(),
                    state: "untracked",
                });
            }
        }
        Ok(dirty)
    }

    /// Reads the baseline at `path` (relative to the repository root, `/`-separated) as of
    /// `rev`, with everything [`UnverifiedBaseline::verify`] needs to decide on it: the bytes,
    /// the commit that last changed them, the ref's commit, their signatures, the detached
    /// signature `<path>.sig` if there is one at `rev`, and the dirty paths.
    pub fn load(&self, rev: &str, path: &str) -> Result<UnverifiedBaseline, TrustError> {
        let path = normalize_path(path).ok_or_else(|| TrustError::InvalidPath {
            path: path.to_owned(),
        })?;
        let head = self.resolve(rev)?;
        let missing = |problem: &str| TrustError::FileMissingAtRef {
            path: path.clone(),
            rev: rev.to_owned(),
            commit: head,
            problem: problem.to_owned(),
        };
        let blob = match self.entry_at(head, &path)? {
            TreeEntry::File(blob) => blob,
            TreeEntry::Missing => return Err(missing("does not exist")),
            TreeEntry::NotAFile(what) => return Err(missing(&format!("is {what}, not a file"))),
        };
        let file_commit = self.last_change(head, &path, blob.id)?;
        let signature_path = format!("{path}.sig");
        let detached = match self.entry_at(head, &signature_path)? {
            TreeEntry::File(sig) => Some(Ok(sig.bytes)),
            TreeEntry::Missing => None,
            TreeEntry::NotAFile(what) => Some(Err(what)),
        };
        Ok(UnverifiedBaseline {
            repo_path: self.display_path.clone(),
            repo_dirs: self.repo_dirs(),
            rev: rev.to_owned(),
            dirty: self.dirty_paths(&path)?,
            file_commit: self.commit_record(file_commit)?,
            head_commit: self.commit_record(head)?,
            path,
            blob,
            signature_path,
            detached,
        })
    }

    /// The working directory and git directory, canonicalised where possible.
    fn repo_dirs(&self) -> Vec<PathBuf> {
        self.repo
            .workdir()
            .into_iter()
            .chain([self.repo.path()])
            .map(|d| d.canonicalize().unwrap_or_else(|_| d.to_path_buf()))
            .collect()
    }
}

fn kind_name(kind: Option<ObjectType>) -> &'static str {
    match kind {
        Some(ObjectType::Tree) => "tree",
        Some(ObjectType::Blob) => "blob",
        Some(ObjectType::Tag) => "tag",
        Some(ObjectType::Commit) => "commit",
        _ => "object that is not a commit",
    }
}

fn tracked_state(status: Status) -> Option<&'static str> {
    if status.contains(Status::CONFLICTED) {
        Some("conflicted")
    } else if status.intersects(Status::WT_DELETED) {
        Some("deleted")
    } else if status.intersects(Status::WT_MODIFIED | Status::WT_TYPECHANGE | Status::WT_RENAMED) {
        Some("modified")
    } else if status.intersects(
        Status::INDEX_NEW
            | Status::INDEX_MODIFIED
            | Status::INDEX_DELETED
            | Status::INDEX_RENAMED
            | Status::INDEX_TYPECHANGE,
    ) {
        Some("staged")
    } else {
        None
    }
}

/// `a/./b` → `a/b`; `None` for absolute paths, `..`, or an empty path.
pub(crate) fn normalize_path(path: &str) -> Option<String> {
    let mut parts = Vec::new();
    for component in Path::new(path).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str()?),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_repository_paths() {
        assert_eq!(normalize_path("a/./b.yml").as_deref(), Some("a/b.yml"));
        assert_eq!(normalize_path("./b.yml").as_deref(), Some("b.yml"));
        assert_eq!(normalize_path("/etc/b.yml"), None);
        assert_eq!(normalize_path("a/../b.yml"), None);
        assert_eq!(normalize_path(""), None);
        assert_eq!(normalize_path("."), None);
    }

    #[test]
    fn classifies_tracked_states() {
        assert_eq!(tracked_state(Status::WT_MODIFIED), Some("modified"));
        assert_eq!(tracked_state(Status::INDEX_NEW), Some("staged"));
        assert_eq!(
            tracked_state(Status::INDEX_MODIFIED | Status::WT_DELETED),
            Some("deleted")
        );
        assert_eq!(tracked_state(Status::CONFLICTED), Some("conflicted"));
        assert_eq!(tracked_state(Status::WT_NEW), None);
        assert_eq!(tracked_state(Status::IGNORED), None);
    }
}
