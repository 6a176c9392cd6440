//! The `git` source: a file at a ref of a local repository, read with
//! [`BaselineRepo`](crate::baseline::BaselineRepo) (git2, no network).
//!
//! The bytes come from the object database at the resolved commit, never from the working copy,
//! so uncommitted edits in a GitOps checkout are not mistaken for what is deployed. The
//! repository is opened exactly at the given directory (parents are not searched).

use std::path::Path;

use super::error::SourceError;
use crate::baseline::{BaselineRepo, TreeEntry};

/// The label of a git source: `git:REPO@REF:PATH`, with the repository as written.
pub fn label(repo: &Path, rev: &str, path: &str) -> String {
    format!("git:{}@{rev}:{path}", repo.display())
}

/// Reads `path` at `rev` in the repository at `base_dir/repo`.
pub fn read(repo: &Path, rev: &str, path: &str, base_dir: &Path) -> Result<Vec<u8>, SourceError> {
    let label = label(repo, rev, path);
    let Some(inner) = crate::baseline::git::normalize_path(path) else {
        return Err(SourceError::GitPath {
            label,
            path: path.to_owned(),
        });
    };
    let git_error = |source| SourceError::Git {
        label: label.clone(),
        source: Box::new(source),
    };
    let opened = BaselineRepo::open(&base_dir.join(repo)).map_err(git_error)?;
    let commit = opened.resolve(rev).map_err(git_error)?;
    let problem = match opened.entry_at(commit, &inner).map_err(git_error)? {
        TreeEntry::File(blob) => return Ok(blob.bytes),
        TreeEntry::Missing => "does not exist".to_owned(),
        TreeEntry::NotAFile(what) => format!("is {what}, not a file"),
    };
    Err(SourceError::GitFile {
        label: label.clone(),
        path: inner,
        problem,
        rev: rev.to_owned(),
        commit: commit.short(),
    })
}

#[cfg(test)]
mod tests {
    use crate::baseline::git::normalize_path;

    #[test]
    fn normalizes_paths_inside_the_repository() {
        assert_eq!(normalize_path("./a/./b.yml").as_deref(), Some("a/b.yml"));
        assert_eq!(normalize_path("/etc/b.yml"), None);
        assert_eq!(normalize_path("a/../b.yml"), None);
        assert_eq!(normalize_path(""), None);
    }
}
