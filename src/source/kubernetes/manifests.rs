//! Reading manifest files into documents: a file, or the `.yaml`/`.yml`/`.json` files of a
//! directory (sorted, not recursive, like `kubectl apply -f DIR`); every YAML document of a
//! multi-document file, every value of a JSON stream, and the `items` of a `kind: List`.
//!
//! YAML is read as YAML 1.2 (serde_yaml) with merge keys applied. Documents that are empty or
//! are not Kubernetes objects (no `kind` or no `metadata.name`, e.g. a kustomization or Helm
//! values file) are skipped and counted in a note.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_yaml::Value;

use crate::source::error::SourceError;

/// One Kubernetes object from the manifests.
#[derive(Debug, Clone)]
pub struct Doc {
    /// The file, as written in regdrift.yml (a directory's file joined to it).
    pub path: PathBuf,
    /// 1-based document number in the file.
    pub index: usize,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    pub value: Value,
}

impl Doc {
    /// `Kind/name`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }

    /// `Kind/name (file, document n)`, for listing candidates.
    pub fn located(&self) -> String {
        let ns = match &self.namespace {
            Some(ns) => format!(" in namespace {ns}"),
            None => String::new(),
        };
        format!(
            "{}{ns} ({}, document {})",
            self.id(),
            self.path.display(),
            self.index
        )
    }

    /// An error about this object.
    pub fn error(&self, problem: impl Into<String>, fix: impl Into<String>) -> SourceError {
        SourceError::Manifest {
            path: self.path.clone(),
            problem: format!("document {}, {}: {}", self.index, self.id(), problem.into()),
            fix: fix.into(),
        }
    }
}

/// The objects in `manifests` (relative to `base_dir`), plus notes.
pub fn load(manifests: &Path, base_dir: &Path) -> Result<(Vec<Doc>, Vec<String>), SourceError> {
    let resolved = base_dir.join(manifests);
    let read_error = |source| SourceError::ManifestRead {
        path: manifests.to_path_buf(),
        resolved: resolved.clone(),
        source,
    };
    let meta = fs::metadata(&resolved).map_err(read_error)?;
    let files = if meta.is_dir() {
        let files = list_dir(&resolved).map_err(read_error)?;
        if files.is_empty() {
            return Err(SourceError::Kubernetes {
                manifests: manifests.to_path_buf(),
                problem: "the directory has no .yaml, .yml or .json files".to_owned(),
                fix: "point manifests at the file or directory holding the registry's objects \
                      (subdirectories are not read)"
                    .to_owned(),
            });
        }
        files
            .into_iter()
            .map(|name| (manifests.join(&name), resolved.join(&name)))
            .collect()
    } else {
        vec![(manifests.to_path_buf(), resolved.clone())]
    };
    let mut docs = Vec::new();
    let mut skipped = 0usize;
    for (shown, real) in files {
        let bytes = fs::read(&real).map_err(|source| SourceError::ManifestRead {
            path: shown.clone(),
            resolved: real.clone(),
            source,
        })?;
        let Ok(text) = String::from_utf8(bytes) else {
            return Err(SourceError::Manifest {
                path: shown,
                problem: "not valid UTF-8".to_owned(),
                fix: "Kubernetes manifests must be UTF-8; re-save the file as UTF-8".to_owned(),
            });
        };
        let values = if is_json(&shown) {
            parse_json(&text, &shown)?
        } else {
            parse_yaml(&text, &shown)?
        };
        for (index, value) in values {
            collect(value, &shown, index, &mut docs, &mut skipped);
        }
    }
    let mut notes = Vec::new();
    if skipped > 0 {
        notes.push(format!(
            "{}: skipped {skipped} document(s) that are not Kubernetes objects (no kind or no \
             metadata.name)",
            manifests.display()
        ));
    }
    Ok((docs, notes))
}

/// Manifest file names in `dir`, sorted; only regular files (symbolic links followed).
fn list_dir(dir: &Path) -> std::io::Result<Vec<std::ffi::OsString>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let wanted = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        );
        if wanted && fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            names.push(entry.file_name());
        }
    }
    names.sort();
    Ok(names)
}

fn is_json(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()) == Some("json")
}

fn parse_yaml(text: &str, path: &Path) -> Result<Vec<(usize, Value)>, SourceError> {
    let mut out = Vec::new();
    for (i, document) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let index = i + 1;
        let syntax = |e: serde_yaml::Error| SourceError::Manifest {
            path: path.to_path_buf(),
            problem: format!("document {index}: {e}"),
            fix: "fix the YAML (kubectl would reject it too)".to_owned(),
        };
        let mut value = Value::deserialize(document).map_err(syntax)?;
        value.apply_merge().map_err(syntax)?;
        out.push((index, value));
    }
    Ok(out)
}

fn parse_json(text: &str, path: &Path) -> Result<Vec<(usize, Value)>, SourceError> {
    let mut out = Vec::new();
    for (i, value) in serde_json::Deserializer::from_str(text)
        .into_iter::<Value>()
        .enumerate()
    {
        let index = i + 1;
        let value = value.map_err(|e| SourceError::Manifest {
            path: path.to_path_buf(),
            problem: format!("JSON value {index}: {e}"),
            fix: "fix the JSON (kubectl would reject it too)".to_owned(),
        })?;
        out.push((index, value));
    }
    Ok(out)
}

/// Adds `value` (or the items of a List) to `docs`.
fn collect(value: Value, path: &Path, index: usize, docs: &mut Vec<Doc>, skipped: &mut usize) {
    if value.is_null() {
        return;
    }
    let kind = value.get("kind").and_then(Value::as_str).map(str::to_owned);
    if let (Some(kind), Some(Value::Sequence(items))) = (&kind, value.get("items")) {
        if kind.ends_with("List") {
            for item in items.clone() {
                collect(item, path, index, docs, skipped);
            }
            return;
        }
    }
    let metadata = value.get("metadata");
    let name = metadata
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let (Some(kind), Some(name)) = (kind, name) else {
        *skipped += 1;
        return;
    };
    let namespace = metadata
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    docs.push(Doc {
        path: path.to_path_buf(),
        index,
        kind,
        name,
        namespace,
        value,
    });
}
