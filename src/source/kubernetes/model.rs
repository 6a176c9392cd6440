//! The few Kubernetes object fields regdrift reads, as lenient serde types (unknown fields are
//! ignored, `null` reads as empty), and the data of ConfigMaps and Secrets as bytes.
//!
//! A field with the wrong type (e.g. an env `value: 5000` that is a number, not a string) is an
//! error naming the object, because the API server rejects it too.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_yaml::Value;

use super::manifests::Doc;
use crate::source::base64;
use crate::source::error::SourceError;

fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ConfigMap {
    #[serde(deserialize_with = "nullable")]
    data: BTreeMap<String, String>,
    #[serde(deserialize_with = "nullable")]
    binary_data: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Secret {
    #[serde(deserialize_with = "nullable")]
    data: BTreeMap<String, String>,
    #[serde(deserialize_with = "nullable")]
    string_data: BTreeMap<String, String>,
}

/// A pod template's spec.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodSpec {
    #[serde(deserialize_with = "nullable")]
    pub containers: Vec<Container>,
    #[serde(deserialize_with = "nullable")]
    pub volumes: Vec<Volume>,
    pub enable_service_links: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Container {
    pub name: String,
    #[serde(deserialize_with = "nullable")]
    pub image: String,
    #[serde(deserialize_with = "nullable")]
    pub command: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub args: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub env: Vec<EnvEntry>,
    #[serde(deserialize_with = "nullable")]
    pub env_from: Vec<EnvFromEntry>,
    #[serde(deserialize_with = "nullable")]
    pub volume_mounts: Vec<VolumeMount>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EnvEntry {
    pub name: String,
    pub value: Option<String>,
    pub value_from: Option<ValueFrom>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ValueFrom {
    pub secret_key_ref: Option<KeyRef>,
    pub config_map_key_ref: Option<KeyRef>,
    pub field_ref: Option<FieldRef>,
    pub resource_field_ref: Option<ResourceFieldRef>,
    /// Any other source (newer Kubernetes versions add some), by key.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct KeyRef {
    pub name: String,
    pub key: String,
    pub optional: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FieldRef {
    pub field_path: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ResourceFieldRef {
    pub container_name: Option<String>,
    pub resource: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EnvFromEntry {
    pub prefix: Option<String>,
    pub config_map_ref: Option<NameRef>,
    pub secret_ref: Option<NameRef>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NameRef {
    pub name: String,
    pub optional: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct VolumeMount {
    pub name: String,
    pub mount_path: String,
    pub sub_path: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Volume {
    pub name: String,
    pub config_map: Option<ObjectVolume>,
    pub secret: Option<ObjectVolume>,
    pub projected: Option<Projected>,
    /// Every other volume type, by key (emptyDir, hostPath, persistentVolumeClaim, ...).
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// A `configMap` or `secret` volume (or projected source): the object and optional items.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ObjectVolume {
    /// `name` for a ConfigMap and in projected sources.
    pub name: Option<String>,
    /// `secretName` for a `secret` volume.
    pub secret_name: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub items: Vec<KeyToPath>,
}

impl ObjectVolume {
    pub fn object_name(&self) -> String {
        self.secret_name
            .clone()
            .or_else(|| self.name.clone())
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct KeyToPath {
    pub key: String,
    pub path: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Projected {
    #[serde(deserialize_with = "nullable")]
    pub sources: Vec<ProjectedSource>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProjectedSource {
    pub config_map: Option<ObjectVolume>,
    pub secret: Option<ObjectVolume>,
}

/// A Service's fields that decide its link variables.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ServiceSpec {
    #[serde(rename = "type")]
    pub service_type: Option<String>,
    #[serde(rename = "clusterIP")]
    pub cluster_ip: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub ports: Vec<ServicePort>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ServicePort {
    pub name: Option<String>,
    pub port: i64,
    pub protocol: Option<String>,
}

/// A workload: an object with a pod template (or a Pod).
#[derive(Debug, Clone)]
pub struct Workload<'a> {
    pub doc: &'a Doc,
    pub pod: PodSpec,
}

/// Where the pod spec sits in each workload kind; `None` for kinds that are not workloads.
fn pod_spec_path(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "Pod" => Some(&["spec"]),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => Some(&["spec", "template", "spec"]),
        "CronJob" => Some(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => None,
    }
}

/// The workloads among `docs`.
pub fn workloads(docs: &[Doc]) -> Result<Vec<Workload<'_>>, SourceError> {
    let mut out = Vec::new();
    for doc in docs {
        let Some(path) = pod_spec_path(&doc.kind) else {
            continue;
        };
        let mut value = &doc.value;
        for part in path {
            value = value.get(part).ok_or_else(|| {
                doc.error(
                    format!("has no {}", path.join(".")),
                    "give the workload a pod template (kubectl would reject it too)",
                )
            })?;
        }
        let pod = typed::<PodSpec>(doc, value)?;
        out.push(Workload { doc, pod });
    }
    Ok(out)
}

/// The Service spec of a `kind: Service` document.
pub fn service_spec(doc: &Doc) -> Result<ServiceSpec, SourceError> {
    match doc.value.get("spec") {
        Some(spec) => typed(doc, spec),
        None => Ok(ServiceSpec::default()),
    }
}

fn typed<T: serde::de::DeserializeOwned>(doc: &Doc, value: &Value) -> Result<T, SourceError> {
    serde_yaml::from_value(value.clone()).map_err(|e| {
        doc.error(
            e.to_string(),
            "fix the object (the Kubernetes API would reject it too)",
        )
    })
}

/// True for the kinds that hold configuration data.
pub fn is_data_object(doc: &Doc) -> bool {
    doc.kind == "ConfigMap" || doc.kind == "Secret"
}

/// The data of a ConfigMap (`data`, then `binaryData` decoded) or a Secret (`data` decoded,
/// then `stringData`, which the API server merges over `data`), as bytes by key.
pub fn object_data(doc: &Doc) -> Result<BTreeMap<String, Vec<u8>>, SourceError> {
    let mut out = BTreeMap::new();
    let decode = |field: &str, key: &str, text: &str| {
        base64::decode(text).map_err(|e| {
            doc.error(
                format!("{field}.{key} is not base64: {e}"),
                format!(
                    "the API stores {field} base64-encoded: encode the value (base64 -w0){}",
                    if doc.kind == "Secret" {
                        ", or move it to stringData"
                    } else {
                        ", or move it to data"
                    }
                ),
            )
        })
    };
    match doc.kind.as_str() {
        "ConfigMap" => {
            let map: ConfigMap = typed(doc, &doc.value)?;
            for (key, text) in map.data {
                out.insert(key, text.into_bytes());
            }
            for (key, text) in map.binary_data {
                let bytes = decode("binaryData", &key, &text)?;
                out.insert(key, bytes);
            }
        }
        "Secret" => {
            let secret: Secret = typed(doc, &doc.value)?;
            for (key, text) in secret.data {
                let bytes = decode("data", &key, &text)?;
                out.insert(key, bytes);
            }
            for (key, text) in secret.string_data {
                out.insert(key, text.into_bytes());
            }
        }
        _ => {}
    }
    Ok(out)
}
