//! Which ConfigMap or Secret key the registry reads its configuration from: the configuration
//! path the container runs with, followed through its volume mounts.
//!
//! The path is the configuration argument in the container's `command`/`args` (`registry serve
//! /etc/distribution/config.yml`, or the image entrypoint's argument), else
//! `REGISTRY_CONFIGURATION_PATH` from the container's env — distribution gives the argument
//! precedence over the variable — else the images' defaults, `/etc/distribution/config.yml`
//! (distribution 3) and `/etc/docker/registry/config.yml` (registry 2).
//!
//! The most specific mount covering the path decides, as in the container's filesystem: a
//! `subPath` mount only covers its own mount path; a directory mount covers what is under it,
//! mapped to a key by the volume's `items`, or named after the key when there are none.

use super::model::{Container, ObjectVolume, PodSpec, Volume};

/// The default configuration paths of the distribution images.
pub const DEFAULT_CONFIG_PATHS: [&str; 2] = [
    "/etc/distribution/config.yml",
    "/etc/docker/registry/config.yml",
];

/// What is mounted at the configuration path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mounted {
    /// A key of a ConfigMap or Secret.
    Object {
        kind: &'static str,
        name: String,
        key: String,
        /// The configuration path inside the container.
        path: String,
        volume: String,
    },
    /// A volume of another type (hostPath, emptyDir, a PVC, ...), or an object volume whose
    /// `items` do not include the file.
    Other {
        path: String,
        volume: String,
        what: String,
    },
}

/// The configuration paths to look for, most authoritative first: the explicit one if the
/// container names one (argument, else `REGISTRY_CONFIGURATION_PATH` = `env_path`), else the
/// image defaults.
pub fn config_paths(container: &Container, env_path: Option<&str>) -> Vec<String> {
    let explicit = container
        .command
        .iter()
        .chain(&container.args)
        .find(|arg| {
            arg.starts_with('/')
                && [".yml", ".yaml", ".json"]
                    .iter()
                    .any(|ext| arg.ends_with(ext))
        })
        .map(String::as_str)
        .or(env_path.filter(|p| !p.is_empty()));
    match explicit {
        Some(path) => vec![path.to_owned()],
        None => DEFAULT_CONFIG_PATHS.map(str::to_owned).to_vec(),
    }
}

/// What the container has at `path`, if any volume covers it.
pub fn mounted_at(container: &Container, pod: &PodSpec, path: &str) -> Option<Mounted> {
    let (mount, inner) = container
        .volume_mounts
        .iter()
        .filter_map(|m| {
            let mount_path = m.mount_path.trim_end_matches('/');
            match m.sub_path.as_deref().filter(|s| !s.is_empty()) {
                Some(sub) => (mount_path == path).then(|| (m, sub.to_owned())),
                None => path
                    .strip_prefix(mount_path)
                    .and_then(|rest| rest.strip_prefix('/'))
                    .filter(|rest| !rest.is_empty())
                    .map(|rest| (m, rest.to_owned())),
            }
        })
        .max_by_key(|(m, _)| m.mount_path.trim_end_matches('/').len())?;
    let other = |what: String| Mounted::Other {
        path: path.to_owned(),
        volume: mount.name.clone(),
        what,
    };
    let Some(volume) = pod.volumes.iter().find(|v| v.name == mount.name) else {
        return Some(other(format!(
            "volume `{}`, which the pod does not define",
            mount.name
        )));
    };
    Some(
        object_key(volume, &inner)
            .map(|(kind, name, key)| Mounted::Object {
                kind,
                name,
                key,
                path: path.to_owned(),
                volume: volume.name.clone(),
            })
            .unwrap_or_else(|| other(describe(volume, &inner))),
    )
}

/// The object and key that provide `inner` (a path inside the volume).
fn object_key(volume: &Volume, inner: &str) -> Option<(&'static str, String, String)> {
    if let Some(source) = &volume.config_map {
        return key_in(source, inner).map(|key| ("ConfigMap", source.object_name(), key));
    }
    if let Some(source) = &volume.secret {
        return key_in(source, inner).map(|key| ("Secret", source.object_name(), key));
    }
    let projected = volume.projected.as_ref()?;
    projected.sources.iter().find_map(|source| {
        let from = |kind, object: &Option<ObjectVolume>| {
            let object = object.as_ref()?;
            key_in(object, inner).map(|key| (kind, object.object_name(), key))
        };
        from("ConfigMap", &source.config_map).or_else(|| from("Secret", &source.secret))
    })
}

/// The key that appears at `inner` in an object volume.
fn key_in(source: &ObjectVolume, inner: &str) -> Option<String> {
    let inner = inner.trim_start_matches("./");
    if source.items.is_empty() {
        return (!inner.contains('/')).then(|| inner.to_owned());
    }
    source
        .items
        .iter()
        .find(|item| item.path.trim_start_matches("./") == inner)
        .map(|item| item.key.clone())
}

fn describe(volume: &Volume, inner: &str) -> String {
    if volume.config_map.is_some() || volume.secret.is_some() || volume.projected.is_some() {
        format!(
            "volume `{}`, whose items do not include {inner}",
            volume.name
        )
    } else {
        let kind = volume
            .other
            .keys()
            .next()
            .map(String::as_str)
            .unwrap_or("of unknown type");
        format!("volume `{}` ({kind})", volume.name)
    }
}
