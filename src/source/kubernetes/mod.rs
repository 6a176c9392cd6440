//! The `kubernetes` source: the registry configuration held in a ConfigMap or Secret of a set
//! of manifests, and the registry container's environment.
//!
//! Choosing, when `regdrift.yml` does not name things (each choice is noted):
//! - the workload: the only one in the manifests, else the only one with a container whose image
//!   contains `registry` or `distribution`;
//! - the container: the first whose image contains `registry` or `distribution`, else the only
//!   one;
//! - the configuration: the ConfigMap or Secret key mounted at the registry's configuration path
//!   (see [`mounts`]), else the only ConfigMap or Secret that has `key`.
//!
//! Ambiguity is an error listing the candidates and the setting that resolves it, never a
//! guess. Objects are read from the files only; nothing is read from a cluster.

pub mod env;
pub mod manifests;
pub mod model;
pub mod mounts;

use std::path::Path;

use self::env::same_namespace;
use self::manifests::Doc;
use self::model::{Container, Workload};
use self::mounts::Mounted;
use super::error::SourceError;
use super::spec::{DEFAULT_KEY, KubernetesSource};
use super::{Fetched, SourceKind};

/// Reads the configuration and the container environment from the manifests.
pub fn fetch(sel: &KubernetesSource, base_dir: &Path) -> Result<Fetched, SourceError> {
    let (mut docs, mut notes) = manifests::load(&sel.manifests, base_dir)?;
    if let Some(ns) = sel.namespace.as_deref() {
        docs.retain(|d| same_namespace(d.namespace.as_deref(), Some(ns)));
    }
    let workloads = model::workloads(&docs)?;
    let chosen = choose_workload(sel, &workloads)?;
    let mut env = env::ContainerEnv::default();
    let mut container = None;
    match chosen {
        Some(workload) => {
            let c = choose_container(sel, workload)?;
            notes.push(format!(
                "using {} container {} ({}, document {})",
                workload.doc.id(),
                c.name,
                workload.doc.path.display(),
                workload.doc.index
            ));
            env = env::container_env(workload, c, &docs)?;
            container = Some((workload, c));
        }
        None => notes.push(format!(
            "{}: no workload (Deployment, StatefulSet, DaemonSet, Pod, ...) in the manifests; \
             the container environment is empty",
            sel.manifests.display()
        )),
    }
    let (doc, key) = choose_config(sel, &docs, container, &env.vars, &mut notes)?;
    let data = model::object_data(doc)?;
    let Some(bytes) = data.get(&key) else {
        let keys: Vec<&str> = data.keys().map(String::as_str).collect();
        return Err(doc.error(
            format!("has no key `{key}` (keys: {})", list_or_none(&keys)),
            "set config_map and key in the kubernetes source to the object and key holding the \
             registry configuration",
        ));
    };
    notes.extend(env.notes);
    Ok(Fetched {
        bytes: bytes.clone(),
        label: format!("kubernetes:{}#{}:{key}", doc.path.display(), doc.id()),
        kind: SourceKind::Kubernetes,
        env: env.vars,
        from_refs: env.refs,
        notes,
    })
}

fn problem(sel: &KubernetesSource, problem: String, fix: &str) -> SourceError {
    SourceError::Kubernetes {
        manifests: sel.manifests.to_path_buf(),
        problem,
        fix: fix.to_owned(),
    }
}

fn list_or_none(items: &[impl AsRef<str>]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn looks_like_registry(container: &Container) -> bool {
    let image = container.image.to_ascii_lowercase();
    image.contains("registry") || image.contains("distribution")
}

fn choose_workload<'w, 'd>(
    sel: &KubernetesSource,
    workloads: &'w [Workload<'d>],
) -> Result<Option<&'w Workload<'d>>, SourceError> {
    let located = |list: &[&Workload<'_>]| {
        list_or_none(&list.iter().map(|w| w.doc.located()).collect::<Vec<_>>())
    };
    let all: Vec<&Workload<'_>> = workloads.iter().collect();
    if let Some(name) = sel.workload.as_deref() {
        let named: Vec<&Workload<'_>> =
            all.iter().copied().filter(|w| w.doc.name == name).collect();
        return match named.as_slice() {
            [one] => Ok(Some(one)),
            [] => Err(problem(
                sel,
                format!("no workload named {name} (workloads: {})", located(&all)),
                "set workload to one of them, or check namespace",
            )),
            _ => Err(problem(
                sel,
                format!("several workloads are named {name}: {}", located(&named)),
                "set namespace to pick one",
            )),
        };
    }
    if all.len() <= 1 {
        return Ok(all.first().copied());
    }
    let registries: Vec<&Workload<'_>> = all
        .iter()
        .copied()
        .filter(|w| w.pod.containers.iter().any(looks_like_registry))
        .collect();
    match registries.as_slice() {
        [one] => Ok(Some(one)),
        _ => Err(problem(
            sel,
            format!(
                "{} workloads and {} of them run an image named like a registry: {}",
                all.len(),
                registries.len(),
                located(&all)
            ),
            "set workload to the one running the registry",
        )),
    }
}

fn choose_container<'w>(
    sel: &KubernetesSource,
    workload: &'w Workload<'_>,
) -> Result<&'w Container, SourceError> {
    let containers = &workload.pod.containers;
    let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    if let Some(name) = sel.container.as_deref() {
        return containers.iter().find(|c| c.name == name).ok_or_else(|| {
            problem(
                sel,
                format!(
                    "{} has no container named {name} (containers: {})",
                    workload.doc.id(),
                    list_or_none(&names)
                ),
                "set container to one of them",
            )
        });
    }
    if let Some(c) = containers.iter().find(|c| looks_like_registry(c)) {
        return Ok(c);
    }
    match containers.as_slice() {
        [only] => Ok(only),
        _ => Err(problem(
            sel,
            format!(
                "{} has {} containers and none runs an image named like a registry \
                 (containers: {})",
                workload.doc.id(),
                containers.len(),
                list_or_none(&names)
            ),
            "set container to the registry's container",
        )),
    }
}

/// The ConfigMap or Secret and the key holding the configuration.
fn choose_config<'d>(
    sel: &KubernetesSource,
    docs: &'d [Doc],
    container: Option<(&Workload<'_>, &Container)>,
    env: &[crate::registry::envfile::EnvVar],
    notes: &mut Vec<String>,
) -> Result<(&'d Doc, String), SourceError> {
    let namespace = container.and_then(|(w, _)| w.doc.namespace.as_deref());
    let objects = |pred: &dyn Fn(&Doc) -> bool| -> Vec<&'d Doc> {
        docs.iter()
            .filter(|d| model::is_data_object(d) && pred(d))
            .filter(|d| same_namespace(d.namespace.as_deref(), namespace))
            .collect()
    };
    let located =
        |list: &[&Doc]| list_or_none(&list.iter().map(|d| d.located()).collect::<Vec<_>>());
    if let Some(name) = sel.config_map.as_deref() {
        let named = objects(&|d| d.name == name);
        return match named.as_slice() {
            [one] => Ok((one, sel.key.clone())),
            [] => Err(problem(
                sel,
                format!("no ConfigMap or Secret named {name}"),
                "set config_map to an object in the manifests, or check namespace",
            )),
            _ => Err(problem(
                sel,
                format!("several objects are named {name}: {}", located(&named)),
                "set namespace, or rename one",
            )),
        };
    }
    if let Some((workload, c)) = container {
        let env_path = env
            .iter()
            .rev()
            .find(|v| v.name == "REGISTRY_CONFIGURATION_PATH")
            .map(|v| v.value.as_str());
        let paths = mounts::config_paths(c, env_path);
        let found = paths
            .iter()
            .find_map(|p| mounts::mounted_at(c, &workload.pod, p));
        match found {
            Some(Mounted::Object {
                kind,
                name,
                key,
                path,
                volume,
            }) => {
                let origin = format!("{} container {}", workload.doc.id(), c.name);
                let matching = objects(&|d| d.kind == kind && d.name == name);
                let [doc] = matching.as_slice() else {
                    return Err(problem(
                        sel,
                        format!(
                            "{origin} reads its configuration from {kind}/{name} key {key} \
                             (volume {volume} at {path}), and the manifests have {} such object(s)",
                            matching.len()
                        ),
                        "add that object to the manifests, or set config_map (and key) to the \
                         object to read",
                    ));
                };
                if sel.key != DEFAULT_KEY && sel.key != key {
                    notes.push(format!(
                        "{origin} mounts key {key} at {path}; using it rather than key {}",
                        sel.key
                    ));
                }
                return Ok((doc, key));
            }
            Some(Mounted::Other { path, what, .. }) => notes.push(format!(
                "{} container {} has {path} from {what}, not from a ConfigMap or Secret in the \
                 manifests; looking for the only object with key {}",
                workload.doc.id(),
                c.name,
                sel.key
            )),
            None => notes.push(format!(
                "{} container {} mounts nothing at {}; looking for the only ConfigMap or Secret \
                 with key {}",
                workload.doc.id(),
                c.name,
                paths.join(" or "),
                sel.key
            )),
        }
    }
    let mut with_key = Vec::new();
    for doc in objects(&|_| true) {
        if model::object_data(doc)?.contains_key(sel.key.as_str()) {
            with_key.push(doc);
        }
    }
    match with_key.as_slice() {
        [one] => Ok((one, sel.key.clone())),
        [] => Err(problem(
            sel,
            format!("no ConfigMap or Secret has a key {}", sel.key.as_str()),
            "set config_map and key to the object holding the registry configuration",
        )),
        _ => Err(problem(
            sel,
            format!(
                "several ConfigMaps or Secrets have a key {}: {}",
                sel.key,
                located(&with_key)
            ),
            "set config_map to the one the registry reads",
        )),
    }
}
