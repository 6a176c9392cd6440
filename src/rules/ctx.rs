//! Read-only helpers over an effective config for the checks: values as the registry
//! interprets them, and redacted renderings for messages.

use crate::registry::EffectiveConfig;
use crate::registry::env::{self, EnvOutcome};
use crate::registry::redact;
use crate::registry::value::{VNode, Value};

use super::path;

/// A config being checked.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub cfg: &'a EffectiveConfig,
}

/// Hosts that only the machine itself can reach.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h == "localhost" || h.starts_with("127.") || h == "::1"
}

/// The host part of a `host:port` listen address (empty for `:5000`).
pub fn listen_host(addr: &str) -> &str {
    match addr.rfind(':') {
        Some(i) => &addr[..i],
        None => addr,
    }
}

/// The host of a URL (`https://user@host:443/x` → `host`).
pub fn url_host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host_port.starts_with('[') {
        host_port
            .split(']')
            .next()
            .unwrap_or("")
            .trim_start_matches('[')
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    host.to_ascii_lowercase()
}

impl<'a> Ctx<'a> {
    pub fn new(cfg: &'a EffectiveConfig) -> Ctx<'a> {
        Ctx { cfg }
    }

    /// The node at a path (indexes and identities allowed).
    pub fn node(&self, p: &str) -> Option<&'a VNode> {
        path::get(&self.cfg.root, p)
    }

    /// A non-empty string value.
    pub fn str(&self, p: &str) -> Option<&'a str> {
        self.node(p)
            .and_then(VNode::as_str)
            .filter(|s| !s.is_empty())
    }

    /// A boolean as the registry reads it (yaml-bool and parsebool rules applied), if set.
    pub fn bool(&self, p: &str) -> Option<bool> {
        match self.cfg.interpreted(p)? {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// An integer value, if set.
    pub fn int(&self, p: &str) -> Option<i64> {
        match self.cfg.interpreted(p)? {
            Value::Int(i) => Some(i),
            Value::Duration(i) => Some(i),
            _ => None,
        }
    }

    /// True when a non-zero value is set at the path.
    pub fn set(&self, p: &str) -> bool {
        self.node(p).is_some_and(|n| !n.is_zero())
    }

    /// The string items of a list.
    pub fn strs(&self, p: &str) -> Vec<&'a str> {
        match self.node(p).map(|n| &n.value) {
            Some(Value::List(items)) => items.iter().filter_map(VNode::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// The auth providers in effect (`none` counts as none).
    pub fn auth_providers(&self) -> Vec<String> {
        env::auth_providers(&self.cfg.root)
            .into_iter()
            .filter(|p| !p.eq_ignore_ascii_case("none"))
            .collect()
    }

    /// The single auth provider, if exactly one.
    pub fn auth(&self) -> Option<String> {
        let p = self.auth_providers();
        (p.len() == 1).then(|| p[0].clone())
    }

    pub fn has_auth(&self) -> bool {
        !self.auth_providers().is_empty()
    }

    /// TLS is on iff a certificate or a Let's Encrypt cache file is set.
    pub fn tls_on(&self) -> bool {
        self.set("http.tls.certificate") || self.set("http.tls.letsencrypt.cachefile")
    }

    /// The storage driver (first non-helper key).
    pub fn driver(&self) -> Option<String> {
        env::storage_drivers(&self.cfg.root, self.cfg.version)
            .into_iter()
            .next()
    }

    /// Redacted one-line rendering of the value at a path.
    pub fn show(&self, p: &str) -> Option<String> {
        let n = self.node(p)?;
        let schema = self.cfg.schema();
        let concrete = super::path::parse(p)
            .iter()
            .map(|s| match s {
                path::Seg::Key(k) => (*k).to_string(),
                _ => "[0]".to_string(),
            })
            .collect::<Vec<_>>()
            .join(".")
            .replace(".[0]", "[0]");
        let sec = redact::secrecy_at(schema, &concrete);
        Some(redact::display_with(
            n,
            sec,
            redact::schema_at(schema, &concrete),
        ))
    }

    /// The env outcomes.
    pub fn env(&self) -> &'a [EnvOutcome] {
        &self.cfg.env
    }

    /// Notification endpoints as (identity path, node).
    pub fn endpoints(&self) -> Vec<(String, &'a VNode)> {
        self.list_with_identity("notifications.endpoints", "name")
    }

    /// Items of a list addressed by an identity field, falling back to the index.
    pub fn list_with_identity(&self, list: &str, field: &str) -> Vec<(String, &'a VNode)> {
        match self.node(list).map(|n| &n.value) {
            Some(Value::List(items)) => items
                .iter()
                .enumerate()
                .map(|(i, it)| {
                    let id = it
                        .get(field)
                        .and_then(VNode::as_str)
                        .filter(|s| !s.is_empty())
                        .map_or_else(
                            || format!("[{i}]"),
                            |v| format!("[{field}={}]", redact::redact_url(v)),
                        );
                    (format!("{list}{id}"), it)
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_listen_addresses() {
        assert_eq!(listen_host(":5001"), "");
        assert_eq!(listen_host("127.0.0.1:5001"), "127.0.0.1");
        assert_eq!(listen_host("[::1]:5001"), "[::1]");
        assert!(is_loopback_host("[::1]"));
        assert!(!is_loopback_host("0.0.0.0"));
        assert_eq!(
            url_host("https://u:p@Auth.Example.com:8443/token?x"),
            "auth.example.com"
        );
    }
}
