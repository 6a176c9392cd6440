//! Storage: where images are kept and how the bucket is protected.

use super::{Ctx, Hit, Severity};

const S3_DRIVERS: [&str; 2] = ["s3", "s3aws"];
const PUBLIC_ACLS: [&str; 3] = ["public-read", "public-read-write", "authenticated-read"];

/// Keys whose change sends data to another store, per driver.
const LOCATION_KEYS: [(&str, &[&str]); 6] = [
    (
        "s3",
        &["bucket", "region", "regionendpoint", "redirectendpoint"],
    ),
    (
        "s3aws",
        &["bucket", "region", "regionendpoint", "redirectendpoint"],
    ),
    (
        "azure",
        &["accountname", "container", "serviceurl", "realm"],
    ),
    ("gcs", &["bucket"]),
    (
        "swift",
        &["authurl", "container", "region", "tenant", "tenantid"],
    ),
    ("oss", &["bucket", "region", "endpoint"]),
];

pub fn posture(c: &Ctx<'_>, out: &mut Vec<Hit>) {
    for d in S3_DRIVERS {
        let p = format!("storage.{d}");
        if c.node(&p).is_none() {
            continue;
        }
        if let Some(acl) = c.str(&format!("{p}.objectacl"))
            && PUBLIC_ACLS.contains(&acl)
        {
            out.push(Hit::new("RD-STO-001", format!("{p}.objectacl"), format!("{p}.objectacl is {acl}: layers are readable at the bucket without registry auth")));
        }
        match c.bool(&format!("{p}.encrypt")) {
            Some(true) => {}
            Some(false) => out.push(Hit::new(
                "RD-STO-002",
                format!("{p}.encrypt"),
                format!("{p}.encrypt is false"),
            )),
            None => out.push(
                Hit::new(
                    "RD-STO-002",
                    format!("{p}.encrypt"),
                    format!("{p}.encrypt is not set (default false)"),
                )
                .severity(Severity::Low),
            ),
        }
    }
}

pub fn drift(b: &Ctx<'_>, d: &Ctx<'_>, out: &mut Vec<Hit>) {
    let (bd, dd) = (b.driver(), d.driver());
    if bd != dd {
        out.push(Hit::new(
            "RD-STO-003",
            "storage",
            format!(
                "storage driver changed from {} to {}",
                bd.as_deref().unwrap_or("none"),
                dd.as_deref().unwrap_or("none")
            ),
        ));
        return;
    }
    let Some(driver) = dd else { return };
    if let Some((_, keys)) = LOCATION_KEYS.iter().find(|(name, _)| *name == driver) {
        for k in *keys {
            let p = format!("storage.{driver}.{k}");
            let (x, y) = (b.show(&p), d.show(&p));
            if x != y {
                out.push(Hit::new(
                    "RD-STO-003",
                    p.clone(),
                    format!(
                        "{p} changed from {} to {}",
                        x.unwrap_or_else(|| "unset".into()),
                        y.unwrap_or_else(|| "unset".into())
                    ),
                ));
            }
        }
    }
    let p = format!("storage.{driver}.rootdirectory");
    let (x, y) = (b.show(&p), d.show(&p));
    if x != y {
        out.push(Hit::new(
            "RD-STO-004",
            p.clone(),
            format!(
                "{p} changed from {} to {}",
                x.unwrap_or_else(|| "default".into()),
                y.unwrap_or_else(|| "default".into())
            ),
        ));
    }
}
