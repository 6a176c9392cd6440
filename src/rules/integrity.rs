//! Integrity: who can change or delete content, and what content is accepted.

use super::ctx::url_host;
use super::{Ctx, Hit, Severity};
use crate::registry::Version;

pub fn posture(c: &Ctx<'_>, out: &mut Vec<Hit>) {
    let auth = c.auth();
    if c.bool("storage.delete.enabled") == Some(true) {
        let (sev, why) = match auth.as_deref() {
            None => (
                Severity::Critical,
                "with no authentication: anyone can delete images",
            ),
            Some("htpasswd") => (
                Severity::High,
                "with htpasswd, which does not authorise: every user can delete",
            ),
            _ => (
                Severity::Medium,
                "API clients can delete manifests and blobs",
            ),
        };
        out.push(
            Hit::new(
                "RD-INT-001",
                "storage.delete.enabled",
                format!("deletes are enabled {why}"),
            )
            .severity(sev),
        );
    }
    if c.cfg.version == Version::V3_0 {
        let sev = if matches!(auth.as_deref(), None | Some("htpasswd")) {
            Severity::High
        } else {
            Severity::Medium
        };
        out.push(Hit::new("RD-INT-002", "storage.delete", "registry 3.0 lets any client allowed to DELETE untag images, whatever storage.delete.enabled says").severity(sev));
    }
    if c.bool("validation.disabled") == Some(true) && c.bool("validation.enabled") != Some(true) {
        out.push(Hit::new(
            "RD-INT-004",
            "validation.disabled",
            "manifest validation is disabled",
        ));
    }
    if let Some(p) = c.str("validation.manifests.indexes.platforms")
        && matches!(p.to_ascii_lowercase().as_str(), "none" | "list")
    {
        out.push(Hit::new(
            "RD-INT-006",
            "validation.manifests.indexes.platforms",
            format!("index platform checks are {p}"),
        ));
    }
    if c.bool("compatibility.schema1.enabled") == Some(true) {
        out.push(Hit::new(
            "RD-INT-007",
            "compatibility.schema1.enabled",
            "schema1 manifests can be pushed",
        ));
    }
}

pub fn drift(b: &Ctx<'_>, d: &Ctx<'_>, out: &mut Vec<Hit>) {
    if b.bool("storage.maintenance.readonly.enabled") == Some(true)
        && d.bool("storage.maintenance.readonly.enabled") != Some(true)
    {
        out.push(Hit::new(
            "RD-INT-003",
            "storage.maintenance.readonly.enabled",
            "read-only mode is off: writes are accepted",
        ));
    }
    let (ba, da) = (
        b.strs("validation.manifests.urls.allow"),
        d.strs("validation.manifests.urls.allow"),
    );
    let added: Vec<&&str> = da.iter().filter(|x| !ba.contains(x)).collect();
    if !added.is_empty() {
        out.push(Hit::new(
            "RD-INT-005",
            "validation.manifests.urls.allow",
            format!(
                "allowed URL patterns added: {}",
                added.iter().map(|s| **s).collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    let (bd, dd) = (
        b.strs("validation.manifests.urls.deny"),
        d.strs("validation.manifests.urls.deny"),
    );
    let removed: Vec<&&str> = bd.iter().filter(|x| !dd.contains(x)).collect();
    if !removed.is_empty() {
        out.push(Hit::new(
            "RD-INT-005",
            "validation.manifests.urls.deny",
            format!(
                "denied URL patterns removed: {}",
                removed.iter().map(|s| **s).collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    let (x, y) = (b.str("proxy.remoteurl"), d.str("proxy.remoteurl"));
    if let Some(y) = y
        && x.is_none_or(|x| url_host(x) != url_host(y))
    {
        let what = match x {
            Some(x) => format!(
                "changed from {} to {}",
                crate::registry::redact::redact_url(x),
                crate::registry::redact::redact_url(y)
            ),
            None => format!("added: {}", crate::registry::redact::redact_url(y)),
        };
        out.push(Hit::new(
            "RD-INT-008",
            "proxy.remoteurl",
            format!("pull-through upstream {what}"),
        ));
    }
    let (x, y) = (b.str("proxy.exec.command"), d.str("proxy.exec.command"));
    if y.is_some() && x != y {
        out.push(Hit::new(
            "RD-INT-009",
            "proxy.exec.command",
            format!(
                "proxy.exec.command changed from {} to {}",
                x.unwrap_or("unset"),
                y.unwrap_or("unset")
            ),
        ));
    }
}
