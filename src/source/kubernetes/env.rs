//! The environment Kubernetes gives a container, as far as the manifests determine it, in the
//! kubelet's order (`makeEnvironmentVariables`): Service link variables (lowest precedence),
//! then `envFrom` sources in order, then `env` entries in order; a later definition of a name
//! replaces an earlier one.
//!
//! # Invariants
//!
//! - A value is known only when the manifests hold it: an `env` `value` (after `$(VAR)`
//!   expansion, see [`expand`]), or a key of a ConfigMap or Secret that is in the manifests.
//!   Everything else — a Secret or ConfigMap that is not in the manifests, `fieldRef`,
//!   `resourceFieldRef`, a Service's cluster IP that the API server assigns — is an [`EnvRef`],
//!   never a guessed value.
//! - A name whose last definition is a reference is not returned with a value (an earlier
//!   `value` for it would be wrong), and a reference overridden by a later `value` is dropped;
//!   both are noted.

use std::collections::BTreeMap;

use super::manifests::Doc;
use super::model::{self, Container, EnvEntry, KeyRef, NameRef, Workload};
use crate::registry::envfile::{EnvSource, EnvVar};
use crate::source::EnvRef;
use crate::source::error::SourceError;

/// A container's environment from the manifests.
#[derive(Debug, Default)]
pub struct ContainerEnv {
    pub vars: Vec<EnvVar>,
    pub refs: Vec<EnvRef>,
    pub notes: Vec<String>,
}

/// One definition of a variable, in order.
enum Def {
    Known(EnvVar),
    Ref(EnvRef),
}

impl Def {
    fn name(&self) -> &str {
        match self {
            Def::Known(var) => &var.name,
            Def::Ref(r) => &r.name,
        }
    }
}

/// The collector: definitions in order, and the mapping `$(VAR)` expansion sees (`None` for a
/// name whose value is not known).
struct Builder<'a> {
    docs: &'a [Doc],
    namespace: Option<&'a str>,
    origin: String,
    defs: Vec<Def>,
    mapping: BTreeMap<String, Option<String>>,
    /// `envFrom` sources whose keys are unknown: any name may come from them.
    open_sources: bool,
    notes: Vec<String>,
}

/// The environment of `container` in `workload`; `docs` are all objects, for Services and for
/// ConfigMaps and Secrets that `envFrom` and `valueFrom` name.
pub fn container_env(
    workload: &Workload<'_>,
    container: &Container,
    docs: &[Doc],
) -> Result<ContainerEnv, SourceError> {
    let mut b = Builder {
        docs,
        namespace: workload.doc.namespace.as_deref(),
        origin: format!(
            "kubernetes {} container/{}",
            workload.doc.id(),
            container.name
        ),
        defs: Vec::new(),
        mapping: BTreeMap::new(),
        open_sources: false,
        notes: Vec::new(),
    };
    if workload.pod.enable_service_links != Some(false) {
        b.service_links()?;
    }
    for entry in &container.env_from {
        b.env_from(entry.prefix.as_deref().unwrap_or(""), entry)?;
    }
    for entry in &container.env {
        b.env_entry(workload, container, entry)?;
    }
    Ok(b.finish())
}

/// Namespaces are compatible when equal or when either is unset (applied with `-n`).
pub fn same_namespace(a: Option<&str>, b: Option<&str>) -> bool {
    a.is_none() || b.is_none() || a == b
}

impl Builder<'_> {
    fn known(&mut self, name: String, value: String, description: String) {
        self.mapping.insert(name.clone(), Some(value.clone()));
        self.defs.push(Def::Known(EnvVar {
            name,
            value,
            source: EnvSource::Other { description },
        }));
    }

    fn reference(&mut self, name: &str, kind: &str, object: String, key: &str, optional: bool) {
        self.mapping.insert(name.to_owned(), None);
        self.defs.push(Def::Ref(EnvRef {
            name: name.to_owned(),
            kind: kind.to_owned(),
            object,
            key: key.to_owned(),
            optional,
            source: self.origin.clone(),
        }));
    }

    /// The ConfigMap or Secret `name` in the manifests, in the workload's namespace.
    fn find(&self, kind: &str, name: &str) -> Option<&Doc> {
        self.docs.iter().find(|d| {
            d.kind == kind
                && d.name == name
                && same_namespace(d.namespace.as_deref(), self.namespace)
        })
    }

    /// Link variables of the Services in the workload's namespace whose names become
    /// `REGISTRY*` variables (kubelet `envvars.FromServices`); the others cannot matter to the
    /// registry.
    fn service_links(&mut self) -> Result<(), SourceError> {
        let services: Vec<&Doc> = self
            .docs
            .iter()
            .filter(|d| {
                d.kind == "Service" && same_namespace(d.namespace.as_deref(), self.namespace)
            })
            .filter(|d| env_name(&d.name).starts_with("REGISTRY"))
            .collect();
        for doc in services {
            let spec = model::service_spec(doc)?;
            let Some(first) = spec.ports.first() else {
                continue;
            };
            let ip = spec.cluster_ip.as_deref().filter(|ip| !ip.is_empty());
            if spec.service_type.as_deref() == Some("ExternalName") || ip == Some("None") {
                continue;
            }
            let prefix = env_name(&doc.name);
            let object = doc.id();
            let description = format!("kubernetes {object} link ({})", self.origin);
            let define = |b: &mut Self, name: String, value: Option<String>| match value {
                Some(value) => b.known(name, value, description.clone()),
                None => b.reference(
                    &name,
                    "serviceLink",
                    object.clone(),
                    "spec.clusterIP",
                    false,
                ),
            };
            let host_port = |port: i64| ip.map(|ip| join_host_port(ip, port));
            define(
                self,
                format!("{prefix}_SERVICE_HOST"),
                ip.map(str::to_owned),
            );
            let port_name = format!("{prefix}_SERVICE_PORT");
            define(self, port_name.clone(), Some(first.port.to_string()));
            for port in &spec.ports {
                if let Some(name) = port.name.as_deref().filter(|n| !n.is_empty()) {
                    let var = format!("{port_name}_{}", env_name(name));
                    define(self, var, Some(port.port.to_string()));
                }
            }
            for (i, port) in spec.ports.iter().enumerate() {
                let protocol = port.protocol.as_deref().unwrap_or("TCP");
                let lower = protocol.to_ascii_lowercase();
                let url = host_port(port.port).map(|hp| format!("{lower}://{hp}"));
                if i == 0 {
                    define(self, format!("{prefix}_PORT"), url.clone());
                }
                let base = format!(
                    "{prefix}_PORT_{}_{}",
                    port.port,
                    protocol.to_ascii_uppercase()
                );
                define(self, base.clone(), url);
                define(self, format!("{base}_PROTO"), Some(lower));
                define(self, format!("{base}_PORT"), Some(port.port.to_string()));
                define(self, format!("{base}_ADDR"), ip.map(str::to_owned));
            }
            self.notes.push(format!(
                "{}: {object} makes Kubernetes set {prefix}_* variables (Service links; \
                 enableServiceLinks is not false), which the registry reads as configuration; \
                 set enableServiceLinks: false in the pod spec or rename the Service",
                self.origin
            ));
        }
        Ok(())
    }

    fn env_from(&mut self, prefix: &str, entry: &model::EnvFromEntry) -> Result<(), SourceError> {
        let (kind, field, source): (&str, &str, &NameRef) =
            match (&entry.config_map_ref, &entry.secret_ref) {
                (Some(r), _) => ("ConfigMap", "configMapRef", r),
                (None, Some(r)) => ("Secret", "secretRef", r),
                (None, None) => return Ok(()),
            };
        let object = format!("{kind}/{}", source.name);
        let Some(doc) = self.find(kind, &source.name) else {
            self.open_sources = true;
            let name = format!("{prefix}*");
            self.reference(&name, field, object, "*", source.optional == Some(true));
            return Ok(());
        };
        for (key, bytes) in model::object_data(doc)? {
            let name = format!("{prefix}{key}");
            if !is_env_var_name(&name) {
                self.notes.push(format!(
                    "{}: envFrom {object} key {key:?} is not a valid variable name; Kubernetes \
                     skips it",
                    self.origin
                ));
                continue;
            }
            let Ok(value) = String::from_utf8(bytes) else {
                self.notes.push(format!(
                    "{}: envFrom {object} key {key} is not UTF-8; regdrift skips it",
                    self.origin
                ));
                continue;
            };
            let description = format!("kubernetes {object} key {key} ({})", self.origin);
            self.known(name, value, description);
        }
        Ok(())
    }

    fn env_entry(
        &mut self,
        workload: &Workload<'_>,
        container: &Container,
        entry: &EnvEntry,
    ) -> Result<(), SourceError> {
        let name = entry.name.as_str();
        let Some(from) = &entry.value_from else {
            let raw = entry.value.as_deref().unwrap_or("");
            let (value, unexpanded) = expand(raw, &self.mapping);
            let unknown: Vec<String> = unexpanded
                .into_iter()
                .filter(|n| self.open_sources || self.mapping.contains_key(n))
                .collect();
            if !unknown.is_empty() {
                self.notes.push(format!(
                    "{}: {name} refers to $({}), whose value is not in the manifests; it is \
                     shown unexpanded",
                    self.origin,
                    unknown.join("), $(")
                ));
            }
            self.known(name.to_owned(), value, self.origin.clone());
            return Ok(());
        };
        if entry.value.as_deref().is_some_and(|v| !v.is_empty()) {
            return Err(workload.doc.error(
                format!(
                    "container {} env {name} has both value and valueFrom",
                    container.name
                ),
                "keep one of them (the Kubernetes API rejects both)",
            ));
        }
        if let Some(r) = &from.config_map_key_ref {
            self.key_ref(name, "ConfigMap", "configMapKeyRef", r)?;
        } else if let Some(r) = &from.secret_key_ref {
            self.key_ref(name, "Secret", "secretKeyRef", r)?;
        } else if let Some(r) = &from.field_ref {
            self.reference(name, "fieldRef", "Pod".to_owned(), &r.field_path, false);
        } else if let Some(r) = &from.resource_field_ref {
            let target = r.container_name.as_deref().unwrap_or(&container.name);
            let object = format!("Container/{target}");
            self.reference(name, "resourceFieldRef", object, &r.resource, false);
        } else {
            let kind = from
                .other
                .keys()
                .next()
                .map_or("valueFrom", String::as_str)
                .to_owned();
            self.reference(name, &kind, "?".to_owned(), "?", false);
        }
        Ok(())
    }

    fn key_ref(
        &mut self,
        name: &str,
        kind: &str,
        field: &str,
        r: &KeyRef,
    ) -> Result<(), SourceError> {
        let object = format!("{kind}/{}", r.name);
        let optional = r.optional == Some(true);
        let Some(doc) = self.find(kind, &r.name) else {
            self.reference(name, field, object, &r.key, optional);
            return Ok(());
        };
        let data = model::object_data(doc)?;
        match data.get(&r.key).map(|b| String::from_utf8(b.clone())) {
            Some(Ok(value)) => {
                let description = format!("kubernetes {object} key {} ({})", r.key, self.origin);
                self.known(name.to_owned(), value, description);
            }
            Some(Err(_)) => {
                self.notes.push(format!(
                    "{}: {name} comes from {object} key {}, which is not UTF-8; not shown",
                    self.origin, r.key
                ));
                self.reference(name, field, object, &r.key, optional);
            }
            None => {
                self.notes.push(format!(
                    "{}: {name} comes from {object} key {}, which the manifests' {object} does \
                     not have; {}",
                    self.origin,
                    r.key,
                    if optional {
                        "it is optional, so the variable is unset unless the cluster's object \
                         has the key"
                    } else {
                        "the pod cannot start unless the cluster's object has the key"
                    }
                ));
                self.reference(name, field, object, &r.key, optional);
            }
        }
        Ok(())
    }

    /// Keeps, for each name, only definitions consistent with its last one.
    fn finish(self) -> ContainerEnv {
        let mut last: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, def) in self.defs.iter().enumerate() {
            last.insert(def.name(), i);
        }
        let last_is_ref: BTreeMap<String, bool> = last
            .iter()
            .map(|(name, &i)| ((*name).to_owned(), matches!(self.defs[i], Def::Ref(_))))
            .collect();
        let mut out = ContainerEnv {
            notes: self.notes,
            ..ContainerEnv::default()
        };
        for def in self.defs {
            let ends_as_ref = last_is_ref.get(def.name()).copied().unwrap_or(false);
            match def {
                Def::Known(var) if ends_as_ref => out.notes.push(format!(
                    "{}: {} is set from {} but a later valueFrom replaces it; the value is not \
                     in the manifests",
                    self.origin, var.name, var.source
                )),
                Def::Known(var) => out.vars.push(var),
                Def::Ref(r) if !ends_as_ref => out.notes.push(format!(
                    "{}: {} from {} {} is replaced by a later value",
                    self.origin, r.name, r.object, r.key
                )),
                Def::Ref(r) => out.refs.push(r),
            }
        }
        out
    }
}

/// Kubernetes' check on `envFrom` names (`IsEnvVarName` with relaxed validation, the default
/// since 1.32): printable ASCII without `=`. Older clusters also reject a leading digit.
fn is_env_var_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| (0x20..=0x7e).contains(&b) && b != b'=')
}

/// Kubernetes' variable name for a Service or port name: upper case, `-` → `_`.
fn env_name(name: &str) -> String {
    name.replace('-', "_").to_ascii_uppercase()
}

/// Go's `net.JoinHostPort`: IPv6 addresses in brackets.
fn join_host_port(host: &str, port: i64) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Kubernetes `$(VAR)` expansion of an env `value` (third_party/forked/golang/expansion):
/// `$(NAME)` becomes NAME's value when defined earlier, and stays as written otherwise; `$$`
/// is `$`; any other `$` is kept. Also returns the names of the `$(NAME)` left as written
/// (not defined earlier, or defined with a value that is not known).
pub fn expand(input: &str, mapping: &BTreeMap<String, Option<String>>) -> (String, Vec<String>) {
    let bytes = input.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut unexpanded = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' || i + 1 >= bytes.len() {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        match bytes[i + 1] {
            b'$' => {
                out.push(b'$');
                i += 2;
            }
            b'(' => match bytes[i + 2..].iter().position(|&b| b == b')') {
                Some(len) => {
                    let name = &input[i + 2..i + 2 + len];
                    match mapping.get(name) {
                        Some(Some(value)) => out.extend_from_slice(value.as_bytes()),
                        _ => {
                            unexpanded.push(name.to_owned());
                            out.extend_from_slice(&bytes[i..i + 3 + len]);
                        }
                    }
                    i += 3 + len;
                }
                None => {
                    out.extend_from_slice(b"$(");
                    i += 2;
                }
            },
            other => {
                out.push(b'$');
                out.push(other);
                i += 2;
            }
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), unexpanded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_like_kubernetes() {
        let mut mapping = BTreeMap::new();
        mapping.insert("PORT".to_owned(), Some("5000".to_owned()));
        mapping.insert("SECRET".to_owned(), None);
        let run = |s: &str| expand(s, &mapping);
        assert_eq!(run(":$(PORT)").0, ":5000");
        assert_eq!(run("$$(PORT)").0, "$(PORT)");
        assert_eq!(
            run("$(MISSING)x"),
            ("$(MISSING)x".to_owned(), vec!["MISSING".to_owned()])
        );
        assert_eq!(run("a$b$").0, "a$b$");
        assert_eq!(run("$(PORT").0, "$(PORT");
        assert_eq!(run("é$é").0, "é$é");
        assert_eq!(
            run("$(SECRET)"),
            ("$(SECRET)".to_owned(), vec!["SECRET".to_owned()])
        );
    }

    #[test]
    fn names_variables_like_kubernetes() {
        assert_eq!(env_name("registry-storage"), "REGISTRY_STORAGE");
        assert_eq!(join_host_port("fd00::1", 5000), "[fd00::1]:5000");
    }
}
