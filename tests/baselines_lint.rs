//! The hardened reference baselines in `baselines/` pass `regdrift lint` with no finding at
//! low or above, when run with the secrets their deployment injects (a random http.secret).

use std::process::Command;

fn random_secret() -> String {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    blake3::hash(format!("{seed}{}", std::process::id()).as_bytes())
        .to_hex()
        .to_string()
}

fn lint(file: &str, version: &str) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_regdrift"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "lint",
            file,
            "--registry-version",
            version,
            "--fail-on",
            "low",
        ])
        .arg("--env")
        .arg(format!("REGISTRY_HTTP_SECRET={}", random_secret()))
        .output()
        .expect("regdrift runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn hardened_3x_baseline_has_no_finding_at_low_or_above() {
    for v in ["3.0", "3.1"] {
        let (code, out) = lint("baselines/registry-3.x.yml", v);
        // 3.0 always carries RD-INT-002 (tag deletion ungated): the baseline targets 3.1.1+.
        if v == "3.0" {
            assert!(out.contains("RD-INT-002"), "{out}");
            continue;
        }
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("no findings"), "{out}");
    }
}

#[test]
fn hardened_2_8_baseline_has_no_finding_at_low_or_above() {
    let (code, out) = lint("baselines/registry-2.8.yml", "2.8");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no findings"), "{out}");
}
