//! One test per quirk of reference sections 1.1, 4 and 5 (`shared/reference/
//! distribution-config.md`), each named for the fact it pins. These are the behaviours the real
//! registry showed; a failure here means regdrift reads a config differently from the registry.

use super::effective::{BuildOptions, EffectiveConfig, build};
use super::env::{Effect, Outcome};
use super::envfile::{EnvSource, EnvVar};
use super::value::{MapKind, Origin, Value};
use super::version::Version;
use crate::error::LoadErrorKind;

const BASE: &str = "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /var/lib/registry\n";

fn vars(env: &[(&str, &str)]) -> Vec<EnvVar> {
    env.iter()
        .map(|(k, v)| EnvVar {
            name: (*k).into(),
            value: (*v).into(),
            source: EnvSource::Cli,
        })
        .collect()
}

fn eff_v(yaml: &str, env: &[(&str, &str)], version: Version) -> EffectiveConfig {
    let opts = BuildOptions {
        version,
        ..BuildOptions::default()
    };
    build(yaml.as_bytes(), "config.yml", &vars(env), &opts).expect("config loads")
}

fn eff(yaml: &str, env: &[(&str, &str)]) -> EffectiveConfig {
    eff_v(yaml, env, Version::V3_1)
}

fn value(cfg: &EffectiveConfig, path: &str) -> Option<Value> {
    cfg.get(path).map(|v| v.value.clone())
}

fn interpreted(cfg: &EffectiveConfig, path: &str) -> Option<Value> {
    cfg.interpreted(path)
}

fn delete_enabled(yaml_value: &str) -> bool {
    let cfg = eff(
        &format!("{BASE}  delete:\n    enabled: {yaml_value}\n"),
        &[],
    );
    interpreted(&cfg, "storage.delete.enabled") == Some(Value::Bool(true))
}

fn outcome<'a>(cfg: &'a EffectiveConfig, var: &str) -> &'a Outcome {
    &cfg.env
        .iter()
        .find(|o| o.var == var)
        .unwrap_or_else(|| panic!("no outcome for {var}"))
        .outcome
}

fn is_ignored(o: &Outcome) -> bool {
    matches!(o, Outcome::Ignored { .. })
}

fn is_crash(o: &Outcome) -> bool {
    matches!(o, Outcome::WouldCrash { .. })
}

fn s(x: &str) -> Value {
    Value::Str(x.into())
}

// ---- §1.1 version ----

#[test]
fn version_0_1_plain_or_quoted_is_accepted() {
    for v in ["0.1", "\"0.1\"", "'0.1'"] {
        let y = BASE.replace("version: 0.1", &format!("version: {v}"));
        assert!(
            build(y.as_bytes(), "c.yml", &[], &BuildOptions::default()).is_ok(),
            "{v}"
        );
    }
}

#[test]
fn version_other_than_0_1_or_missing_makes_the_registry_refuse_to_start() {
    for v in ["0.2", "0.10", "1.0", "1"] {
        let y = BASE.replace("version: 0.1", &format!("version: {v}"));
        let e = build(y.as_bytes(), "c.yml", &[], &BuildOptions::default()).unwrap_err();
        assert_eq!(e.kind, LoadErrorKind::Version, "{v}");
        assert!(e.to_string().contains("refuse to start"), "{e}");
    }
    let e = build(
        b"storage: inmemory\n",
        "c.yml",
        &[],
        &BuildOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind, LoadErrorKind::Version);
}

#[test]
fn registry_version_env_is_applied_after_the_version_check() {
    let cfg = eff(BASE, &[("REGISTRY_VERSION", "0.9")]);
    assert!(matches!(
        outcome(&cfg, "REGISTRY_VERSION"),
        Outcome::Applied { .. }
    ));
    assert!(cfg.would_start());
}

#[test]
fn only_the_first_document_is_read_a_second_auth_document_is_ignored() {
    let cfg = eff(
        &format!("{BASE}---\nauth:\n  htpasswd:\n    realm: r\n    path: /p\n"),
        &[],
    );
    assert!(cfg.get("auth").is_none());
    assert_eq!(cfg.ignored_documents.len(), 1);
}

#[test]
fn a_list_at_the_top_level_is_not_a_config() {
    let e = build(b"- version: 0.1\n", "c.yml", &[], &BuildOptions::default()).unwrap_err();
    assert_eq!(e.kind, LoadErrorKind::NotMapping);
}

// ---- §4.1 env overlay ----

#[test]
fn only_the_exact_upper_case_registry_prefix_counts() {
    let cfg = eff(
        BASE,
        &[("registry_http_addr", ":1"), ("Registry_HTTP_ADDR", ":2")],
    );
    assert!(cfg.env.is_empty());
    assert!(cfg.get("http.addr").is_none());
}

#[test]
fn env_is_applied_sorted_so_storage_is_replaced_before_s3_keys_are_set() {
    let cfg = eff(
        BASE,
        &[
            ("REGISTRY_STORAGE_S3_BUCKET", "b"),
            ("REGISTRY_STORAGE", "s3"),
        ],
    );
    assert_eq!(value(&cfg, "storage.s3.bucket"), Some(s("b")));
    assert!(cfg.get("storage.filesystem").is_none());
    assert_eq!(cfg.env[0].var, "REGISTRY_STORAGE");
}

#[test]
fn env_segments_are_go_field_names_events_is_eventconfig() {
    let cfg = eff(
        BASE,
        &[
            ("REGISTRY_NOTIFICATIONS_EVENTS_INCLUDEREFERENCES", "true"),
            (
                "REGISTRY_NOTIFICATIONS_EVENTCONFIG_INCLUDEREFERENCES",
                "true",
            ),
        ],
    );
    assert!(is_ignored(outcome(
        &cfg,
        "REGISTRY_NOTIFICATIONS_EVENTS_INCLUDEREFERENCES"
    )));
    assert_eq!(
        value(&cfg, "notifications.events.includereferences"),
        Some(Value::Bool(true))
    );
}

#[test]
fn health_checkers_env_names_are_filecheckers_httpcheckers_tcpcheckers() {
    let cfg = eff(
        BASE,
        &[
            ("REGISTRY_HEALTH_FILECHECKERS", "[{file: /tmp/down}]"),
            ("REGISTRY_HEALTH_FILE", "[]"),
        ],
    );
    assert!(is_ignored(outcome(&cfg, "REGISTRY_HEALTH_FILE")));
    assert!(cfg.get("health.file").is_some());
}

#[test]
fn schema1_signingkeyfile_env_name_is_trustkey_in_2_8() {
    let cfg = eff_v(
        BASE,
        &[
            ("REGISTRY_COMPATIBILITY_SCHEMA1_TRUSTKEY", "/k"),
            ("REGISTRY_COMPATIBILITY_SCHEMA1_SIGNINGKEYFILE", "/x"),
        ],
        Version::V2_8,
    );
    assert_eq!(
        value(&cfg, "compatibility.schema1.signingkeyfile"),
        Some(s("/k"))
    );
    assert!(is_ignored(outcome(
        &cfg,
        "REGISTRY_COMPATIBILITY_SCHEMA1_SIGNINGKEYFILE"
    )));
}

#[test]
fn mixed_case_segments_are_ignored_with_a_hint() {
    let cfg = eff(BASE, &[("REGISTRY_Http_RelativeURLs", "true")]);
    let Outcome::Ignored { reason } = outcome(&cfg, "REGISTRY_Http_RelativeURLs") else {
        panic!()
    };
    assert!(reason.contains("upper-case"), "{reason}");
}

#[test]
fn redis_options_env_needs_options_segment_in_3_0_but_not_in_3_1() {
    let env = [("REGISTRY_REDIS_ADDRS", "[r:6379]")];
    assert!(is_ignored(outcome(
        &eff_v(BASE, &env, Version::V3_0),
        "REGISTRY_REDIS_ADDRS"
    )));
    let c31 = eff_v(BASE, &env, Version::V3_1);
    assert!(matches!(value(&c31, "redis.addrs"), Some(Value::List(l)) if l.len() == 1));
    let c30 = eff_v(
        BASE,
        &[("REGISTRY_REDIS_OPTIONS_ADDRS", "[r:6379]")],
        Version::V3_0,
    );
    assert!(c30.get("redis.addrs").is_some());
}

#[test]
fn map_last_segment_writes_a_lower_case_key_beside_a_mixed_case_file_key() {
    let cfg = eff(
        &format!("{BASE}log:\n  fields:\n    Service: a\n"),
        &[("REGISTRY_LOG_FIELDS_SERVICE", "b")],
    );
    assert_eq!(value(&cfg, "log.fields.Service"), Some(s("a")));
    assert_eq!(value(&cfg, "log.fields.service"), Some(s("b")));
}

#[test]
fn nested_file_map_in_free_form_value_has_non_string_keys_and_ignores_env() {
    let y = format!(
        "{BASE}  maintenance:\n    uploadpurging:\n      enabled: true\n      age: 168h\n      interval: 24h\n      dryrun: false\n"
    );
    let cfg = eff(
        &y,
        &[(
            "REGISTRY_STORAGE_MAINTENANCE_UPLOADPURGING_ENABLED",
            "false",
        )],
    );
    let Outcome::Ignored { reason } =
        outcome(&cfg, "REGISTRY_STORAGE_MAINTENANCE_UPLOADPURGING_ENABLED")
    else {
        panic!("{:?}", cfg.env)
    };
    assert!(reason.contains("non-string keys"));
    assert_eq!(
        value(&cfg, "storage.maintenance.uploadpurging.enabled"),
        Some(Value::Bool(true))
    );
}

#[test]
fn readonly_leaf_env_without_a_maintenance_block_crashes_the_registry() {
    let cfg = eff(
        BASE,
        &[("REGISTRY_STORAGE_MAINTENANCE_READONLY_ENABLED", "true")],
    );
    assert!(is_crash(outcome(
        &cfg,
        "REGISTRY_STORAGE_MAINTENANCE_READONLY_ENABLED"
    )));
    assert!(!cfg.would_start());
}

#[test]
fn readonly_whole_map_env_works() {
    let cfg = eff(
        BASE,
        &[("REGISTRY_STORAGE_MAINTENANCE_READONLY", "{enabled: true}")],
    );
    assert!(matches!(
        outcome(&cfg, "REGISTRY_STORAGE_MAINTENANCE_READONLY"),
        Outcome::Applied { .. }
    ));
    assert_eq!(
        value(&cfg, "storage.maintenance.readonly.enabled"),
        Some(Value::Bool(true))
    );
    assert!(cfg.would_start());
}

#[test]
fn list_index_env_is_ignored_in_2_8() {
    let y = format!(
        "{BASE}notifications:\n  endpoints:\n    - name: siem\n      url: https://siem/events\n"
    );
    let cfg = eff_v(
        &y,
        &[("REGISTRY_NOTIFICATIONS_ENDPOINTS_0_URL", "http://evil/")],
        Version::V2_8,
    );
    assert!(is_ignored(outcome(
        &cfg,
        "REGISTRY_NOTIFICATIONS_ENDPOINTS_0_URL"
    )));
    let Value::List(items) = &cfg.get("notifications.endpoints").unwrap().value else {
        panic!()
    };
    assert_eq!(items[0].get("url").unwrap().value, s("https://siem/events"));
}

#[test]
fn list_index_env_overrides_a_struct_item_in_3_x() {
    let y = format!(
        "{BASE}notifications:\n  endpoints:\n    - name: siem\n      url: https://siem/events\n"
    );
    let cfg = eff(
        &y,
        &[
            ("REGISTRY_NOTIFICATIONS_ENDPOINTS_0_URL", "http://evil/"),
            ("REGISTRY_NOTIFICATIONS_ENDPOINTS_1_URL", "http://x/"),
        ],
    );
    let Value::List(items) = &cfg.get("notifications.endpoints").unwrap().value else {
        panic!()
    };
    assert_eq!(items[0].get("url").unwrap().value, s("http://evil/"));
    assert_eq!(items.len(), 2, "index == len appends an endpoint");
    assert!(
        items[1].get("name").is_none(),
        "the appended endpoint has an empty name"
    );
}

#[test]
fn bad_list_index_crashes_in_3_x() {
    let cfg = eff(
        BASE,
        &[
            ("REGISTRY_NOTIFICATIONS_ENDPOINTS_X_URL", "u"),
            ("REGISTRY_LOG_HOOKS_5_TYPE", "mail"),
        ],
    );
    assert!(is_crash(outcome(
        &cfg,
        "REGISTRY_NOTIFICATIONS_ENDPOINTS_X_URL"
    )));
    assert!(is_crash(outcome(&cfg, "REGISTRY_LOG_HOOKS_5_TYPE")));
}

#[test]
fn scalar_list_items_never_get_the_value_from_env() {
    let y = format!("{BASE}http:\n  tls:\n    certificate: /c\n    clientcas: [/ca.pem]\n");
    let cfg = eff(
        &y,
        &[
            ("REGISTRY_HTTP_TLS_CLIENTCAS_0", "/x"),
            ("REGISTRY_HTTP_TLS_LETSENCRYPT_HOSTS_0", "host"),
        ],
    );
    let Value::List(cas) = value(&cfg, "http.tls.clientcas").unwrap() else {
        panic!()
    };
    assert_eq!(cas[0].value, s("/ca.pem"));
    let Value::List(hosts) = value(&cfg, "http.tls.letsencrypt.hosts").unwrap() else {
        panic!()
    };
    assert_eq!(hosts.len(), 1);
    assert_eq!(hosts[0].value, s(""), "an empty element is appended");
}

#[test]
fn appending_to_a_list_inside_a_map_crashes() {
    let y = format!(
        "{BASE}middleware:\n  storage:\n    - name: redirect\n      options:\n        baseurl: https://cdn/\n"
    );
    let cfg = eff(&y, &[("REGISTRY_MIDDLEWARE_STORAGE_1_NAME", "redirect")]);
    assert!(is_crash(outcome(
        &cfg,
        "REGISTRY_MIDDLEWARE_STORAGE_1_NAME"
    )));
}

#[test]
fn a_tail_that_is_not_a_field_still_appends_an_empty_list_item() {
    let cfg = eff(BASE, &[("REGISTRY_LOG_HOOKS_0_OPTIONS_SMTP_PASSWORD", "p")]);
    assert!(is_ignored(outcome(
        &cfg,
        "REGISTRY_LOG_HOOKS_0_OPTIONS_SMTP_PASSWORD"
    )));
    let Value::List(hooks) = value(&cfg, "log.hooks").unwrap() else {
        panic!()
    };
    assert_eq!(hooks.len(), 1);
}

// ---- §4.2 values are YAML ----

#[test]
fn env_value_0777_is_511_in_free_form_params_but_text_in_string_fields() {
    let cfg = eff_v(
        BASE,
        &[
            ("REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY", "0777"),
            ("REGISTRY_REDIS_PASSWORD", "0777"),
        ],
        Version::V2_8,
    );
    assert_eq!(
        value(&cfg, "storage.filesystem.rootdirectory"),
        Some(Value::Int(511))
    );
    assert_eq!(value(&cfg, "redis.password"), Some(s("0777")));
}

#[test]
fn env_value_hex_float_and_bool_words_are_typed_in_free_form_params() {
    let cfg = eff(
        BASE,
        &[
            ("REGISTRY_STORAGE_FILESYSTEM_MAXTHREADS", "0x10"),
            ("REGISTRY_STORAGE_FILESYSTEM_X", "1e3"),
            ("REGISTRY_STORAGE_FILESYSTEM_Y", "yes"),
        ],
    );
    assert_eq!(
        value(&cfg, "storage.filesystem.maxthreads"),
        Some(Value::Int(16))
    );
    assert_eq!(
        value(&cfg, "storage.filesystem.x"),
        Some(Value::Float(1000.0))
    );
    assert_eq!(value(&cfg, "storage.filesystem.y"), Some(Value::Bool(true)));
}

#[test]
fn env_value_comments_quotes_and_spaces_follow_yaml() {
    let cfg = eff(
        BASE,
        &[
            ("REGISTRY_HTTP_SECRET", "pass #word"),
            ("REGISTRY_HTTP_HOST", "pass#word"),
            ("REGISTRY_HTTP_PREFIX", "  spaced  "),
            ("REGISTRY_HTTP_ADDR", "\"quoted\""),
        ],
    );
    assert_eq!(value(&cfg, "http.secret"), Some(s("pass")));
    assert_eq!(value(&cfg, "http.host"), Some(s("pass#word")));
    assert_eq!(value(&cfg, "http.prefix"), Some(s("spaced")));
    assert_eq!(value(&cfg, "http.addr"), Some(s("quoted")));
}

#[test]
fn env_value_yes_stays_text_in_a_string_field() {
    let cfg = eff(BASE, &[("REGISTRY_HTTP_SECRET", "yes")]);
    assert_eq!(value(&cfg, "http.secret"), Some(s("yes")));
}

#[test]
fn env_value_tilde_or_empty_blanks_a_string_field() {
    let y = format!("{BASE}http:\n  secret: s3cr3t-value\n");
    let cfg = eff(&y, &[("REGISTRY_HTTP_SECRET", "~")]);
    assert!(cfg.get("http.secret").is_none_or(|v| v.is_zero()));
    assert!(matches!(
        outcome(&cfg, "REGISTRY_HTTP_SECRET"),
        Outcome::Applied {
            effect: Effect::Blanked,
            ..
        }
    ));
}

#[test]
fn env_value_of_the_wrong_type_or_an_alias_crashes_at_start() {
    let cfg = eff(
        BASE,
        &[
            ("REGISTRY_HTTP_SECRET", "a: b"),
            ("REGISTRY_HTTP_ADDR", "*alias"),
            ("REGISTRY_HTTP_RELATIVEURLS", "1"),
        ],
    );
    assert!(is_crash(outcome(&cfg, "REGISTRY_HTTP_SECRET")));
    assert!(is_crash(outcome(&cfg, "REGISTRY_HTTP_ADDR")));
    assert!(is_crash(outcome(&cfg, "REGISTRY_HTTP_RELATIVEURLS")));
}

#[test]
fn env_anchor_and_tag_prefixes_are_dropped() {
    let cfg = eff(
        BASE,
        &[
            ("REGISTRY_HTTP_SECRET", "&anchor x"),
            ("REGISTRY_HTTP_HOST", "!tag y"),
        ],
    );
    assert_eq!(value(&cfg, "http.secret"), Some(s("x")));
    assert_eq!(value(&cfg, "http.host"), Some(s("y")));
}

// ---- §4.3 whole-section replacement ----

#[test]
fn empty_registry_auth_removes_authentication() {
    let y = format!("{BASE}auth:\n  htpasswd:\n    realm: r\n    path: /etc/registry/htpasswd\n");
    for v in ["", "{}"] {
        let cfg = eff(&y, &[("REGISTRY_AUTH", v)]);
        assert!(
            cfg.get("auth").is_none_or(|a| a.is_zero()),
            "REGISTRY_AUTH={v:?}"
        );
        assert!(matches!(
            outcome(&cfg, "REGISTRY_AUTH"),
            Outcome::Applied {
                effect: Effect::Blanked,
                ..
            }
        ));
        assert_eq!(
            cfg.get("auth").map(|a| a.origin.clone()),
            Some(Origin::Env {
                var: "REGISTRY_AUTH".into()
            })
        );
    }
}

#[test]
fn registry_auth_none_names_the_none_provider() {
    let y = format!("{BASE}auth:\n  silly:\n    realm: r\n    service: s\n");
    let cfg = eff(&y, &[("REGISTRY_AUTH", "none")]);
    assert_eq!(super::env::auth_providers(&cfg.root), ["none"]);
}

#[test]
fn empty_registry_http_tls_or_certificate_turns_tls_off() {
    let y = format!("{BASE}http:\n  tls:\n    certificate: /c.pem\n    key: /k.pem\n");
    let cfg = eff(&y, &[("REGISTRY_HTTP_TLS", "")]);
    assert!(cfg.get("http.tls").is_none_or(|t| t.is_zero()));
    let cfg = eff(&y, &[("REGISTRY_HTTP_TLS_CERTIFICATE", "")]);
    assert!(cfg.get("http.tls.certificate").is_none_or(|t| t.is_zero()));
}

#[test]
fn registry_storage_driver_name_replaces_the_whole_storage_map() {
    let y = format!("{BASE}  delete:\n    enabled: true\n");
    let cfg = eff(&y, &[("REGISTRY_STORAGE", "inmemory")]);
    assert!(
        cfg.get("storage.delete").is_none(),
        "delete went away with the map"
    );
    assert!(cfg.get("storage.inmemory").is_some());
    assert!(matches!(
        outcome(&cfg, "REGISTRY_STORAGE"),
        Outcome::Applied {
            effect: Effect::Replaced,
            ..
        }
    ));
}

#[test]
fn delete_enabled_env_accepts_yaml_bool_words() {
    for v in ["true", "on"] {
        let cfg = eff(BASE, &[("REGISTRY_STORAGE_DELETE_ENABLED", v)]);
        assert_eq!(
            interpreted(&cfg, "storage.delete.enabled"),
            Some(Value::Bool(true)),
            "{v}"
        );
    }
    let cfg = eff(
        &format!("{BASE}  delete:\n    enabled: true\n"),
        &[("REGISTRY_STORAGE_DELETE", "{}")],
    );
    assert_ne!(
        interpreted(&cfg, "storage.delete.enabled"),
        Some(Value::Bool(true))
    );
}

#[test]
fn quoted_true_for_redirect_disable_crashes_the_registry() {
    let cfg = eff(BASE, &[("REGISTRY_STORAGE_REDIRECT_DISABLE", "\"true\"")]);
    assert!(!cfg.would_start());
    let ok = eff(BASE, &[("REGISTRY_STORAGE_REDIRECT_DISABLE", "true")]);
    assert!(ok.would_start());
}

#[test]
fn notification_endpoints_can_be_replaced_as_one_yaml_value_in_2_8() {
    let cfg = eff_v(
        BASE,
        &[(
            "REGISTRY_NOTIFICATIONS_ENDPOINTS",
            "[{name: a, url: 'https://a/', headers: {Authorization: [Bearer t0k3n]}}]",
        )],
        Version::V2_8,
    );
    let Value::List(items) = value(&cfg, "notifications.endpoints").unwrap() else {
        panic!()
    };
    assert_eq!(items[0].get("url").unwrap().value, s("https://a/"));
}

// ---- §4.4 driver / provider selection ----

#[test]
fn a_second_storage_driver_from_env_crashes_the_registry() {
    let cfg = eff(BASE, &[("REGISTRY_STORAGE_S3_BUCKET", "b")]);
    assert!(is_crash(outcome(&cfg, "REGISTRY_STORAGE_S3_BUCKET")));
}

#[test]
fn a_second_auth_provider_from_env_makes_the_provider_nondeterministic() {
    let y = format!("{BASE}auth:\n  silly:\n    realm: r\n    service: s\n");
    let cfg = eff(
        &y,
        &[
            ("REGISTRY_AUTH_HTPASSWD_REALM", "r"),
            ("REGISTRY_AUTH_HTPASSWD_PATH", "/p"),
        ],
    );
    assert!(matches!(
        outcome(&cfg, "REGISTRY_AUTH_HTPASSWD_PATH"),
        Outcome::Nondeterministic { .. }
    ));
}

// ---- §4.5 unaddressable keys and harmless prefixes ----

#[test]
fn keys_with_underscores_cannot_be_addressed_and_create_a_nested_key() {
    let y = "version: 0.1\nstorage:\n  azure:\n    accountname: a\n    max_retries: 5\n";
    let cfg = eff(y, &[("REGISTRY_STORAGE_AZURE_MAX_RETRIES", "3")]);
    assert_eq!(
        value(&cfg, "storage.azure.max_retries"),
        Some(Value::Int(5))
    );
    assert_eq!(
        value(&cfg, "storage.azure.max.retries"),
        Some(Value::Int(3))
    );
}

#[test]
fn kubernetes_service_links_and_configuration_path_are_harmless() {
    let cfg = eff(
        BASE,
        &[
            ("REGISTRY_PORT", "tcp://10.0.0.1:5000"),
            ("REGISTRY_SERVICE_HOST", "10.0.0.1"),
            ("REGISTRY_PORT_5000_TCP_ADDR", "10.0.0.1"),
            ("REGISTRY_CONFIGURATION_PATH", "/etc/x.yml"),
        ],
    );
    assert!(cfg.env.iter().all(|o| is_ignored(&o.outcome)));
    assert!(cfg.would_start());
}

// ---- §5.1 strictness ----

#[test]
fn unknown_keys_are_ignored_and_reported_with_the_nearest_known_key() {
    let y = format!(
        "{BASE}  delete:\n    enabeld: true\nfoo: 1\nlog:\n  levle: debug\nhttp:\n  relativeurl: true\n  tls:\n    certificat: /c\n"
    );
    let cfg = eff(&y, &[]);
    assert_ne!(
        interpreted(&cfg, "storage.delete.enabled"),
        Some(Value::Bool(true))
    );
    let find = |p: &str| {
        cfg.unknown_keys
            .iter()
            .find(|u| u.path == p)
            .unwrap_or_else(|| panic!("{p}: {:?}", cfg.unknown_keys))
    };
    assert_eq!(
        find("storage.delete.enabeld").suggestion.as_deref(),
        Some("enabled")
    );
    assert_eq!(find("log.levle").suggestion.as_deref(), Some("level"));
    assert_eq!(
        find("http.relativeurl").suggestion.as_deref(),
        Some("relativeurls")
    );
    assert_eq!(
        find("http.tls.certificat").suggestion.as_deref(),
        Some("certificate")
    );
    assert!(cfg.unknown_keys.iter().any(|u| u.path == "foo"));
    assert_eq!(find("storage.delete.enabeld").pos.line, 6);
}

#[test]
fn keys_are_case_sensitive_log_in_capitals_is_ignored() {
    let cfg = eff(
        &format!("{BASE}Log:\n  level: debug\nLOG: {{LEVEL: debug}}\n"),
        &[],
    );
    assert_eq!(value(&cfg, "log.level"), Some(s("info")));
    assert_eq!(cfg.unknown_keys.len(), 2);
}

#[test]
fn a_wrong_scalar_type_on_a_struct_field_is_fatal() {
    let cfg = eff(&format!("{BASE}http:\n  relativeurls: maybe\n"), &[]);
    assert!(!cfg.would_start());
    assert!(
        cfg.startup_errors[0].message.contains("maybe"),
        "{:?}",
        cfg.startup_errors
    );
}

#[test]
fn keys_of_another_version_are_reported_not_as_typos() {
    let cfg = eff(
        &format!("{BASE}compatibility:\n  schema1:\n    enabled: true\n"),
        &[],
    );
    assert_eq!(cfg.version_notes.len(), 1);
    assert!(cfg.version_notes[0].exists_in.contains("2.8"));
    let cfg = eff_v(&format!("{BASE}tags:\n  maxtags: 5\n"), &[], Version::V2_8);
    assert!(cfg.version_notes.iter().any(|n| n.path == "tags"));
}

// ---- §5.2 YAML 1.1 booleans and scalars ----

#[test]
fn delete_enabled_yaml_1_1_true_words_enable_deletes() {
    for v in ["yes", "Yes", "on", "ON", "y", "Y", "true"] {
        assert!(delete_enabled(v), "{v}");
    }
}

#[test]
fn delete_enabled_quoted_true_one_and_enable_silently_leave_deletes_off() {
    for v in ["1", "\"yes\"", "\"true\"", "enable", "yES"] {
        assert!(!delete_enabled(v), "{v}");
    }
}

#[test]
fn bool_tag_on_a_quoted_value_makes_it_a_bool_and_str_tag_makes_it_text() {
    assert!(delete_enabled("!!bool \"true\""));
    assert!(!delete_enabled("!!str true"));
}

#[test]
fn string_struct_fields_keep_the_literal_text() {
    let cfg = eff(
        &format!("{BASE}http:\n  secret: yes\n  prefix: 0123\n"),
        &[],
    );
    assert_eq!(value(&cfg, "http.secret"), Some(s("yes")));
    assert_eq!(value(&cfg, "http.prefix"), Some(s("0123")));
}

#[test]
fn free_form_values_keep_yaml_1_1_types_0777_is_511_and_0x10_is_16() {
    let cfg = eff(
        "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: 0x10\n    maxthreads: 0777\n",
        &[],
    );
    assert_eq!(
        value(&cfg, "storage.filesystem.rootdirectory"),
        Some(Value::Int(16))
    );
    assert_eq!(
        value(&cfg, "storage.filesystem.maxthreads"),
        Some(Value::Int(511))
    );
}

#[test]
fn s3_secure_parsebool_accepts_no_off_false_and_quoted_false() {
    for v in ["no", "off", "false", "\"false\"", "\"0\""] {
        let cfg = eff(
            &format!("version: 0.1\nstorage:\n  s3:\n    bucket: b\n    secure: {v}\n"),
            &[],
        );
        assert_eq!(
            interpreted(&cfg, "storage.s3.secure"),
            Some(Value::Bool(false)),
            "{v}"
        );
    }
}

#[test]
fn readonly_enabled_on_means_read_only() {
    let cfg = eff(
        &format!("{BASE}  maintenance:\n    readonly:\n      enabled: on\n"),
        &[],
    );
    assert_eq!(
        interpreted(&cfg, "storage.maintenance.readonly.enabled"),
        Some(Value::Bool(true))
    );
}

#[test]
fn struct_duration_bare_integer_is_nanoseconds() {
    let cfg = eff(&format!("{BASE}http:\n  draintimeout: 60\n"), &[]);
    assert_eq!(value(&cfg, "http.draintimeout"), Some(Value::Duration(60)));
}

#[test]
fn header_values_must_be_sequences() {
    let cfg = eff(
        &format!("{BASE}http:\n  headers:\n    X-Content-Type-Options: nosniff\n"),
        &[],
    );
    assert!(!cfg.would_start());
}

// ---- §5.3 duplicates, anchors, merges ----

#[test]
fn duplicate_struct_sections_merge_field_by_field() {
    let cfg = eff(
        &format!("{BASE}http:\n  addr: A\n  relativeurls: true\nhttp:\n  addr: B\n"),
        &[],
    );
    assert_eq!(value(&cfg, "http.addr"), Some(s("B")));
    assert_eq!(value(&cfg, "http.relativeurls"), Some(Value::Bool(true)));
    assert_eq!(cfg.duplicates.len(), 1);
}

#[test]
fn a_later_auth_section_replaces_the_earlier() {
    let cfg = eff(
        &format!(
            "{BASE}auth:\n  htpasswd:\n    realm: r\n    path: /p\nauth:\n  silly:\n    realm: r\n    service: s\n"
        ),
        &[],
    );
    assert_eq!(super::env::auth_providers(&cfg.root), ["silly"]);
    assert!(cfg.would_start());
}

#[test]
fn a_later_storage_section_replaces_the_earlier() {
    let cfg = eff(
        &format!("{BASE}  delete:\n    enabled: true\nstorage:\n  inmemory: {{}}\n"),
        &[],
    );
    assert!(cfg.get("storage.delete").is_none());
    assert!(cfg.get("storage.filesystem").is_none());
}

#[test]
fn merge_key_applies_in_document_order_a_later_merge_overrides_an_explicit_key() {
    let anchors = "x-on: &on {enabled: true}\nx-off: &off {enabled: false}\n";
    let first = format!("{anchors}{BASE}  delete: {{<<: *on, enabled: false}}\n");
    assert_eq!(
        interpreted(&eff(&first, &[]), "storage.delete.enabled"),
        Some(Value::Bool(false))
    );
    let later = format!("{anchors}{BASE}  delete: {{enabled: false, <<: *on}}\n");
    assert_eq!(
        interpreted(&eff(&later, &[]), "storage.delete.enabled"),
        Some(Value::Bool(true))
    );
}

#[test]
fn in_a_merge_list_the_first_mapping_wins() {
    let y = format!(
        "x-on: &on {{enabled: true}}\nx-off: &off {{enabled: false}}\n{BASE}  delete:\n    <<: [*off, *on]\n"
    );
    assert_eq!(
        interpreted(&eff(&y, &[]), "storage.delete.enabled"),
        Some(Value::Bool(false))
    );
}

#[test]
fn unknown_top_level_keys_can_carry_anchors() {
    let y = format!("x-defaults: &d\n  addr: :5000\n{BASE}http:\n  <<: *d\n");
    let cfg = eff(&y, &[]);
    assert_eq!(value(&cfg, "http.addr"), Some(s(":5000")));
}

// ---- §2 defaults and post-processing ----

#[test]
fn storage_may_be_a_bare_driver_name() {
    let cfg = eff("version: 0.1\nstorage: inmemory\n", &[]);
    assert!(cfg.get("storage.inmemory").is_some());
    assert!(cfg.would_start());
}

#[test]
fn log_level_is_lower_cased_and_deprecated_loglevel_is_used_when_empty() {
    let cfg = eff(&format!("{BASE}log:\n  level: DEBUG\n"), &[]);
    assert_eq!(value(&cfg, "log.level"), Some(s("debug")));
    let cfg = eff(&format!("{BASE}loglevel: warn\n"), &[]);
    assert_eq!(value(&cfg, "log.level"), Some(s("warn")));
    assert!(cfg.get("loglevel").is_none());
    let cfg = eff(
        &format!("{BASE}loglevel: warn\nlog:\n  level: error\n"),
        &[],
    );
    assert_eq!(value(&cfg, "log.level"), Some(s("error")));
}

#[test]
fn a_storage_section_without_a_driver_or_with_two_drivers_is_fatal() {
    let cfg = eff(
        "version: 0.1\nstorage:\n  delete:\n    enabled: true\n",
        &[],
    );
    assert!(!cfg.would_start());
    let cfg = eff(
        "version: 0.1\nstorage:\n  filesystem: {}\n  s3: {bucket: b}\n",
        &[],
    );
    assert!(!cfg.would_start());
    let cfg = eff_v(
        "version: 0.1\nstorage:\n  filesystem: {}\n  tag: {concurrencylimit: 2}\n",
        &[],
        Version::V2_8,
    );
    assert!(!cfg.would_start(), "tag counts as a second driver in 2.8");
    let cfg = eff(
        "version: 0.1\nstorage:\n  filesystem: {}\n  tag: {concurrencylimit: 2}\n",
        &[],
    );
    assert!(cfg.would_start(), "tag is a helper key in 3.x");
}

#[test]
fn env_provenance_is_recorded_per_key() {
    let cfg = eff(BASE, &[("REGISTRY_HTTP_ADDR", ":5000")]);
    assert_eq!(
        cfg.get("http.addr").unwrap().origin,
        Origin::Env {
            var: "REGISTRY_HTTP_ADDR".into()
        }
    );
    let root = cfg.get("storage.filesystem.rootdirectory").unwrap();
    assert_eq!(root.origin, Origin::File { line: 4, col: 20 });
    assert!(matches!(cfg.root.value, Value::Map(MapKind::Struct, _)));
}
