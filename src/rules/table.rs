//! The rule table: every rule regdrift can report, as data. Ids are stable forever: a rule
//! that is retired keeps its id out of use; the list is snapshot-tested.
//!
//! How section 7 of the reference ("proposed security classification") maps onto rules:
//! every row is a rule here, with two merges and one narrowing, stated so nobody looks for a
//! missing row:
//! - "`auth.token.rootcertbundle` / `jwks` path changed" is RD-AUTH-004 (one rule, both keys);
//! - "bucket / region / regionendpoint / redirectendpoint / azure ... / gcs bucket changed" is
//!   RD-STO-003 (one rule for every key that moves the data to another store);
//! - "running v3.0.0–v3.1.0" (RD-INT-002) fires for `--registry-version 3.0` only: regdrift's
//!   version lines do not tell 3.1.0 from 3.1.1, so 3.1 is assumed patched (documented in the
//!   rule's text).
//!
//! RD-PROBE-* are observed by the live probe (`crate::probe`) of a running registry, not read
//! from a config; they are posture rules of the running process (kind `posture`), and the probe
//! reuses the config rules' ids wherever the meaning is the same (RD-AUTH-001, RD-TLS-001, ...).
//!
//! Rules that do not come from section 7 extend it: RD-AUTH-010 (htpasswd path that is a
//! directory), RD-CFG-* (how the config is read: unknown keys, env outcomes, duplicates,
//! ignored documents, quoted booleans), RD-DRIFT-* and RD-WAIVER-* (the drift and waiver
//! machinery itself).

use super::{Category, Rule, RuleKind, Severity};

use Category::*;
use RuleKind::*;
use Severity::*;

const REF: &str = "https://distribution.github.io/distribution/about/configuration/";

macro_rules! rule {
    ($id:literal, $slug:literal, $cat:expr, $sev:expr, $kind:expr, $title:literal, $why:literal, $fix:literal) => {
        Rule {
            id: $id,
            slug: $slug,
            category: $cat,
            severity: $sev,
            kind: $kind,
            title: $title,
            why: $why,
            fix: $fix,
            references: &[REF],
        }
    };
}

/// Every rule, sorted by id.
pub static RULES: &[Rule] = &[
    rule!(
        "RD-AUD-001",
        "access-log-disabled",
        Audit,
        Medium,
        Posture,
        "Access log is disabled",
        "log.accesslog.disabled: true turns off the per-request access log (written to stdout): who pulled or pushed what is no longer recorded.",
        "Remove log.accesslog.disabled or set it to false."
    ),
    rule!(
        "RD-AUD-002",
        "log-level-reduced",
        Audit,
        Medium,
        Posture,
        "Log level hides request and authentication events",
        "At log.level error or warn the registry stops logging successful requests and authentication events at info level; incident response loses its trail.",
        "Set log.level: info."
    ),
    rule!(
        "RD-AUD-003",
        "verbose-logging",
        Audit,
        Low,
        Posture,
        "Debug logging may write sensitive detail",
        "log.level debug, or storage.s3.loglevel debugwithhttpbody/debugwithsigning (medium), writes request detail and AWS SDK dumps (including signing material) to the logs.",
        "Use log.level info and storage.s3.loglevel off in production."
    ),
    rule!(
        "RD-AUD-004",
        "no-notifications",
        Audit,
        Low,
        Posture,
        "No notification endpoint receives registry events",
        "Without an enabled notifications endpoint, pushes and deletes are not forwarded to scanning, SIEM or audit systems.",
        "Configure notifications.endpoints with an https URL of your audit or scanning service."
    ),
    rule!(
        "RD-AUD-005",
        "notification-endpoint-reduced",
        Audit,
        High,
        Drift,
        "A notification endpoint was removed, disabled or told to ignore events",
        "Events (pushes, deletes) that the baseline sends downstream are no longer delivered: scanning and audit miss them.",
        "Restore the endpoint from the baseline (remove disabled: true and the added ignore entries)."
    ),
    rule!(
        "RD-AUD-006",
        "notification-url-changed",
        Audit,
        High,
        Drift,
        "A notification endpoint sends events to a different URL",
        "Events, and the endpoint's headers (often an Authorization token), now go to another host.",
        "Restore the endpoint URL from the baseline; rotate the endpoint's token if the new host is not yours."
    ),
    rule!(
        "RD-AUD-007",
        "mail-hook-changed",
        Audit,
        Medium,
        Drift,
        "A log mail hook was added or changed",
        "Log hooks mail log entries to external addresses over SMTP with credentials in the config.",
        "Remove the hook or restore it from the baseline."
    ),
    rule!(
        "RD-AUTH-001",
        "auth-disabled",
        Authentication,
        Critical,
        Posture,
        "Authentication is off",
        "With no auth section (absent, `none`, or blanked by REGISTRY_AUTH=), anyone who can reach the registry can pull, push and list the catalog.",
        "Configure auth.htpasswd or auth.token, and remove any REGISTRY_AUTH override that blanks it."
    ),
    rule!(
        "RD-AUTH-002",
        "silly-auth",
        Authentication,
        Critical,
        Posture,
        "The `silly` test provider accepts any credentials",
        "auth.silly lets any request with any Authorization header through as user \"silly\".",
        "Replace auth.silly with auth.htpasswd or auth.token."
    ),
    rule!(
        "RD-AUTH-003",
        "auth-provider-nondeterministic",
        Authentication,
        High,
        Posture,
        "More than one auth provider is configured",
        "With two providers (for example one from the file and one from env), the registry picks one at random at every start, or panics.",
        "Keep exactly one provider: remove the extra REGISTRY_AUTH_* variables or file section."
    ),
    rule!(
        "RD-AUTH-004",
        "token-trust-anchor-changed",
        Authentication,
        Critical,
        Drift,
        "The token auth trust anchor changed",
        "auth.token.rootcertbundle or jwks names the keys that verify tokens; a different file means tokens signed by someone else are accepted.",
        "Restore the baseline's rootcertbundle/jwks path and check the file's contents."
    ),
    rule!(
        "RD-AUTH-005",
        "token-realm-changed",
        Authentication,
        Critical,
        Drift,
        "The token realm points elsewhere",
        "Clients send user credentials to the realm; a different host (critical) or path (medium) can harvest them.",
        "Restore auth.token.realm from the baseline."
    ),
    rule!(
        "RD-AUTH-006",
        "token-autoredirect",
        Authentication,
        Medium,
        Posture,
        "Token realm is derived from the request Host header",
        "auth.token.autoredirect: true builds the realm from the request's Host (and in 3.x X-Forwarded-Proto): a crafted Host sends clients' credentials elsewhere.",
        "Set auth.token.autoredirect: false and a fixed realm."
    ),
    rule!(
        "RD-AUTH-007",
        "token-issuer-service-changed",
        Authentication,
        Medium,
        Drift,
        "Token issuer or service changed",
        "The registry now accepts tokens minted for another issuer or service.",
        "Restore auth.token.issuer and service from the baseline."
    ),
    rule!(
        "RD-AUTH-008",
        "token-algorithms-widened",
        Authentication,
        Medium,
        Drift,
        "Accepted token signing algorithms were widened",
        "Removing or widening auth.token.signingalgorithms (for example adding HS*) widens the algorithm-confusion surface.",
        "Restore auth.token.signingalgorithms from the baseline."
    ),
    rule!(
        "RD-AUTH-009",
        "htpasswd-file-changed",
        Authentication,
        High,
        Drift,
        "The htpasswd file path changed",
        "A different htpasswd file is a different credential database; a missing file is auto-created with user `docker` and a password written to the log.",
        "Restore auth.htpasswd.path from the baseline."
    ),
    rule!(
        "RD-AUTH-010",
        "htpasswd-path-directory",
        Authentication,
        Medium,
        Posture,
        "auth.htpasswd.path names a directory",
        "The registry's sample and Debian configs point htpasswd at a directory: every login then fails with 400 (fail-closed), so operators are tempted to remove auth.",
        "Point auth.htpasswd.path at the htpasswd file itself."
    ),
    rule!(
        "RD-AUTH-011",
        "client-cert-auth-removed",
        Authentication,
        High,
        Drift,
        "Client-certificate authentication was removed",
        "Emptying http.tls.clientcas removes the mTLS gate: clients no longer need a certificate.",
        "Restore http.tls.clientcas from the baseline."
    ),
    rule!(
        "RD-AUTH-012",
        "client-cert-not-verified",
        Authentication,
        High,
        Posture,
        "Client certificates are requested but not verified",
        "http.tls.clientauth request-client-cert or require-any-client-cert does not verify the chain (high); verify-client-cert-if-given lets clients without a certificate in (medium).",
        "Set http.tls.clientauth: require-and-verify-client-cert (the default)."
    ),
    rule!(
        "RD-AUTHZ-001",
        "token-to-htpasswd",
        Authorization,
        High,
        Drift,
        "Token auth was replaced by htpasswd",
        "htpasswd authenticates but does not authorise: every valid user can push to every repository and list the catalog.",
        "Restore auth.token from the baseline."
    ),
    rule!(
        "RD-AUTHZ-002",
        "proxy-credentials-without-auth",
        Authorization,
        High,
        Posture,
        "Pull-through cache has upstream credentials but no auth",
        "With proxy.username/password or proxy.exec and no auth, anyone who reaches the cache can pull the private upstream repositories those credentials open.",
        "Configure auth on the cache, or remove the upstream credentials."
    ),
    rule!(
        "RD-AUTHZ-003",
        "repository-classes-opened",
        Authorization,
        Low,
        Drift,
        "Allowed manifest classes were removed or widened",
        "policy.repository.classes restricts what can be pushed; removing or widening it accepts other artifact classes.",
        "Restore policy.repository.classes from the baseline."
    ),
    rule!(
        "RD-AVL-001",
        "http-secret-missing",
        Availability,
        Low,
        Posture,
        "http.secret is not set",
        "Without a shared http.secret every instance generates its own: uploads that cross instances behind a load balancer fail, and 3.x in proxy mode has none at all.",
        "Set http.secret from a secret store (REGISTRY_HTTP_SECRET), the same on every replica."
    ),
    rule!(
        "RD-AVL-002",
        "env-would-crash",
        Availability,
        Medium,
        Posture,
        "An environment variable would crash the registry at start",
        "The registry panics or refuses to start on this variable (second storage driver, readonly/uploadpurging set key by key, bad list index, value of the wrong type): a crash loop.",
        "Fix or remove the variable (see the outcome's reason)."
    ),
    rule!(
        "RD-AVL-003",
        "would-not-start",
        Availability,
        High,
        Posture,
        "The registry would refuse to start with this configuration",
        "A type error, a second driver or provider, an unregistered driver or middleware, or an invalid value makes the registry exit at start.",
        "Fix the value named in the finding."
    ),
    rule!(
        "RD-AVL-004",
        "inmemory-storage",
        Availability,
        Medium,
        Posture,
        "Storage is in memory",
        "The inmemory driver loses every image at restart.",
        "Use a persistent driver (filesystem, s3, gcs, azure)."
    ),
    rule!(
        "RD-AVL-005",
        "catalog-page-raised",
        Availability,
        Low,
        Drift,
        "catalog.maxentries was raised",
        "Larger catalog pages make enumeration and denial of service cheaper.",
        "Restore catalog.maxentries from the baseline."
    ),
    rule!(
        "RD-AVL-006",
        "redis-cache-without-redis",
        Availability,
        Medium,
        Posture,
        "Blob descriptor cache is redis but redis is not configured",
        "storage.cache.blobdescriptor: redis without a redis section panics at start.",
        "Configure redis, or use blobdescriptor: inmemory."
    ),
    rule!(
        "RD-AVL-007",
        "health-file-check",
        Availability,
        Low,
        Posture,
        "A file health check can take the registry out of service",
        "health.file fails while the file exists: creating it turns every request into 503.",
        "Remove health.file unless it is your intended maintenance switch."
    ),
    rule!(
        "RD-AVL-008",
        "upload-purging-disabled",
        Availability,
        Low,
        Posture,
        "Upload purging is disabled",
        "Abandoned uploads are never removed and fill the disk.",
        "Remove storage.maintenance.uploadpurging.enabled: false."
    ),
    rule!(
        "RD-AVL-009",
        "proxy-cache-never-expires",
        Availability,
        Low,
        Posture,
        "Pull-through cache content never expires",
        "proxy.ttl 0 or negative keeps cached content forever: upstream fixes are never picked up.",
        "Remove proxy.ttl or set a positive duration (default 168h)."
    ),
    rule!(
        "RD-CFG-001",
        "unknown-key",
        Config,
        Low,
        Posture,
        "The registry ignores an unknown or misspelled key",
        "yaml.v2 silently ignores keys it does not know: a typo such as delete.enabeld turns a control off without any error (medium in security sections).",
        "Fix the spelling (the finding names the nearest known key) or remove the key."
    ),
    rule!(
        "RD-CFG-002",
        "env-replaces-section",
        Config,
        Medium,
        Posture,
        "An environment variable blanks or replaces a whole section",
        "REGISTRY_AUTH=, REGISTRY_HTTP_TLS=, REGISTRY_STORAGE=<driver> and similar replace what config.yml says without any trace in the file.",
        "Remove the variable, or move the setting into the reviewed config file."
    ),
    rule!(
        "RD-CFG-003",
        "env-ignored",
        Config,
        Low,
        Posture,
        "The registry ignores an environment variable",
        "A REGISTRY_* variable that matches no field (wrong Go field name, mixed case, list index in 2.8, nested map from the file) does nothing: whoever set it believes otherwise.",
        "Fix the variable name (the finding says why it is ignored) or remove it."
    ),
    rule!(
        "RD-CFG-004",
        "key-not-in-version",
        Config,
        Low,
        Posture,
        "A key does not exist in this registry version",
        "Keys removed or added between 2.8, 3.0 and 3.1 are silently ignored by versions that lack them.",
        "Use the key spelling of the version you run, or remove the key."
    ),
    rule!(
        "RD-CFG-005",
        "duplicate-key",
        Config,
        Low,
        Posture,
        "A key appears more than once in one mapping",
        "yaml.v2 keeps the last value; struct sections merge field by field while storage and auth replace: easy to misread.",
        "Keep one occurrence of the key."
    ),
    rule!(
        "RD-CFG-006",
        "ignored-document",
        Config,
        Medium,
        Posture,
        "A second YAML document is ignored",
        "The registry reads only the first document: settings after `---` (an auth section, for example) have no effect.",
        "Merge the settings into the first document and remove the `---` separator."
    ),
    rule!(
        "RD-CFG-007",
        "ineffective-boolean",
        Config,
        Medium,
        Posture,
        "A boolean switch has a value the registry does not read as a boolean",
        "Keys such as storage.delete.enabled need a real YAML bool: \"true\" (quoted), 1 or enable are silently ignored and the default applies.",
        "Write an unquoted true or false."
    ),
    rule!(
        "RD-CFG-008",
        "env-from-reference",
        Config,
        Info,
        Meta,
        "An environment variable comes from a reference regdrift does not read",
        "A Kubernetes valueFrom or envFrom (Secret or ConfigMap) sets a REGISTRY_* variable; regdrift does not read cluster secrets, so its effect is not in the effective config.",
        "Supply the variable to the check through env.files or env.vars, or accept that it is not compared."
    ),
    rule!(
        "RD-DRIFT-001",
        "changed-from-baseline",
        Config,
        Low,
        Drift,
        "A setting differs from the baseline",
        "The deployed configuration is not the approved one at this key.",
        "Restore the baseline value, or update and re-sign the baseline if the change is approved."
    ),
    rule!(
        "RD-DRIFT-002",
        "cosmetic-change",
        Config,
        Info,
        Drift,
        "The file differs from the baseline only cosmetically",
        "Comments, order, quoting or boolean spelling differ but the registry runs the same configuration.",
        "Nothing to fix; restore the baseline file to silence this."
    ),
    rule!(
        "RD-EXP-001",
        "debug-listener-exposed",
        Exposure,
        High,
        Posture,
        "Debug listener is reachable beyond loopback",
        "http.debug.addr serves pprof, expvar (with redis passwords and notification headers in clear) and metrics without authentication (critical when redis or notification headers hold secrets).",
        "Bind http.debug.addr to 127.0.0.1, or remove it."
    ),
    rule!(
        "RD-EXP-002",
        "prometheus-metrics",
        Exposure,
        Low,
        Posture,
        "Prometheus metrics are exposed on the debug listener",
        "Metrics reveal repository names and traffic patterns.",
        "Keep the debug listener on loopback, or disable http.debug.prometheus."
    ),
    rule!(
        "RD-EXP-003",
        "listen-address-widened",
        Exposure,
        Medium,
        Drift,
        "The registry listens more widely than the baseline",
        "http.addr moved from loopback to all interfaces.",
        "Restore http.addr from the baseline."
    ),
    rule!(
        "RD-EXP-004",
        "external-host-changed",
        Exposure,
        Medium,
        Drift,
        "http.host changed",
        "Absolute Location headers (upload URLs) now point at another host.",
        "Restore http.host from the baseline."
    ),
    rule!(
        "RD-EXP-005",
        "security-header-removed",
        Exposure,
        Low,
        Drift,
        "A security response header was removed",
        "X-Content-Type-Options or Strict-Transport-Security in http.headers protects clients and browsers.",
        "Restore the header in http.headers."
    ),
    rule!(
        "RD-EXP-006",
        "storage-redirects-enabled",
        Exposure,
        Low,
        Drift,
        "Blob redirects to storage were re-enabled",
        "With redirects on, blob GETs get a 307 to a presigned storage URL valid for 20 minutes: a bearer URL anyone can replay.",
        "Restore storage.redirect.disable: true."
    ),
    rule!(
        "RD-EXP-007",
        "blob-redirect-middleware",
        Exposure,
        High,
        Posture,
        "Blob downloads are redirected to another host",
        "The redirect and rewrite storage middlewares send blob downloads to another host with unsigned URLs: content is reachable there without registry auth (added or changed cloudfront counts in drift).",
        "Remove the middleware or restore it from the baseline."
    ),
    rule!(
        "RD-EXP-008",
        "third-party-reporting",
        Exposure,
        Medium,
        Posture,
        "Error reporting to a third party is on",
        "reporting.bugsnag and reporting.newrelic (2.8) send error and request data to a third-party service.",
        "Remove the reporting section."
    ),
    rule!(
        "RD-GRP-001",
        "group-disagreement",
        Integrity,
        Medium,
        Meta,
        "Replicas of one group disagree",
        "Targets of a group (replicas behind one load balancer) must share http.secret (else uploads fail across instances), the storage location (else they serve different data) and the auth realm.",
        "Make the replicas' configurations agree, or exempt the target with group_exempt."
    ),
    rule!(
        "RD-INT-001",
        "deletes-enabled",
        Integrity,
        Medium,
        Posture,
        "Deletes are enabled",
        "storage.delete.enabled lets API clients delete manifests and blobs (high with htpasswd, which does not authorise; critical with no auth).",
        "Set storage.delete.enabled: false unless garbage collection needs it, and restrict who can DELETE."
    ),
    rule!(
        "RD-INT-002",
        "tag-delete-ungated",
        Integrity,
        Medium,
        Posture,
        "Tag deletion is not gated by storage.delete.enabled",
        "Registry v3.0.0 to v3.1.0 let any client allowed to DELETE untag images even with deletes disabled (fixed in v3.1.1, CVE-2026-41888); regdrift assumes 3.1 means 3.1.1 or later.",
        "Upgrade to v3.1.1 or later."
    ),
    rule!(
        "RD-INT-003",
        "read-only-disabled",
        Integrity,
        Medium,
        Drift,
        "Read-only mode was turned off",
        "The baseline keeps the registry read-only; writes are accepted again.",
        "Restore storage.maintenance.readonly.enabled: true."
    ),
    rule!(
        "RD-INT-004",
        "manifest-validation-off",
        Integrity,
        Medium,
        Posture,
        "Manifest validation is disabled",
        "validation.disabled: true accepts foreign-layer URLs anywhere and (3.x) skips index platform checks.",
        "Remove validation.disabled."
    ),
    rule!(
        "RD-INT-005",
        "url-validation-widened",
        Integrity,
        Medium,
        Drift,
        "Foreign-layer URL validation was widened",
        "validation.manifests.urls.allow was widened or deny was removed.",
        "Restore validation.manifests.urls from the baseline."
    ),
    rule!(
        "RD-INT-006",
        "index-platform-checks-reduced",
        Integrity,
        Low,
        Posture,
        "Index platform checks are reduced",
        "validation.manifests.indexes.platforms none or list accepts indexes whose children are missing.",
        "Use platforms: all (the default)."
    ),
    rule!(
        "RD-INT-007",
        "schema1-enabled",
        Integrity,
        Medium,
        Posture,
        "Schema 1 manifests can be pushed",
        "compatibility.schema1.enabled (2.8) accepts legacy signed manifests.",
        "Remove compatibility.schema1.enabled."
    ),
    rule!(
        "RD-INT-008",
        "proxy-upstream-changed",
        Integrity,
        High,
        Drift,
        "The pull-through upstream was added or changed",
        "Content is now sourced from another upstream and tags are not integrity-pinned.",
        "Restore proxy.remoteurl from the baseline."
    ),
    rule!(
        "RD-INT-009",
        "proxy-exec-command-changed",
        Integrity,
        Critical,
        Drift,
        "The proxy credential helper command changed",
        "proxy.exec.command is run as the registry user: a different program is arbitrary code execution.",
        "Restore proxy.exec.command from the baseline."
    ),
    rule!(
        "RD-PROBE-001",
        "probe-failed",
        Availability,
        High,
        Posture,
        "The running registry could not be probed",
        "The live probe got no registry answer in time (nothing listening, no answer, TLS refused, or not a registry API): what the registry runs with could not be checked, and the registry may be down for its clients too.",
        "Check that the registry runs and is reachable at the probe URL (and that probe.url, probe.timeout and probe.ca are right)."
    ),
    rule!(
        "RD-PROBE-002",
        "live-auth-challenge-differs",
        Authentication,
        High,
        Posture,
        "The running registry's authentication challenge differs from the baseline",
        "The 401 challenge of anonymous GET /v2/ (scheme, realm, service) is not the one the baseline's auth provider sends: the process runs with another provider or settings than the approved config (env overrides, another config file, a hand-started container).",
        "Find where the running process gets its auth settings (REGISTRY_AUTH* env variables, the config file path the version reads) and restart it with the baseline's."
    ),
    rule!(
        "RD-PROBE-003",
        "live-catalog-anonymous",
        Exposure,
        Medium,
        Posture,
        "The catalog is readable without credentials",
        "Anonymous GET /v2/_catalog answered 200 on a registry whose baseline has auth: every repository name is listed to anyone who can reach it.",
        "Restore authentication in the running registry (see RD-AUTH-001) and restart it with the baseline's config."
    ),
    rule!(
        "RD-PROBE-004",
        "live-certificate-expiring",
        Transport,
        Medium,
        Posture,
        "The registry's TLS certificate expires soon or has expired",
        "A certificate within 14 days of notAfter (medium) or past it (high) breaks every client's pulls and pushes when it lapses, and pushes operators to turn verification off.",
        "Renew the certificate (http.tls.certificate) and restart or reload the registry; automate renewal."
    ),
    rule!(
        "RD-PROBE-005",
        "live-certificate-untrusted",
        Transport,
        High,
        Posture,
        "The registry's TLS certificate is not trusted",
        "The certificate chain does not verify against the probe's trust anchors (probe.ca, else the Mozilla roots), or does not match the host: clients either fail or are told to skip verification, which opens them to interception.",
        "Serve a certificate for this host issued by a CA clients trust (or give probe.ca the private CA the fleet trusts)."
    ),
    rule!(
        "RD-SEC-001",
        "sample-credential",
        Secrets,
        High,
        Posture,
        "A known sample credential is in use",
        "Values from upstream samples (http.secret asecretforlocaldevelopment, redis.password asecret, proxy username/password, hmacsecret) are public.",
        "Generate a new secret and supply it from a secret store via REGISTRY_* env."
    ),
    rule!(
        "RD-SEC-002",
        "plaintext-secret",
        Secrets,
        Medium,
        Posture,
        "A secret is stored in plaintext in the config file",
        "Secrets in config.yml end up in git, backups and (with the debug listener or redis on 3.x) in /debug/vars (high then).",
        "Move the secret to the environment (REGISTRY_*) from a secret store."
    ),
    rule!(
        "RD-SEC-003",
        "weak-http-secret",
        Secrets,
        Medium,
        Posture,
        "http.secret is short or guessable",
        "http.secret signs upload state; a short or guessable value lets clients forge it.",
        "Use at least 32 random characters."
    ),
    rule!(
        "RD-STO-001",
        "s3-public-acl",
        Storage,
        Critical,
        Posture,
        "S3 objects are written with a public ACL",
        "storage.s3.objectacl public-read, public-read-write or authenticated-read makes every layer readable (or writable) at the bucket, bypassing registry auth.",
        "Set storage.s3.objectacl: private (the default)."
    ),
    rule!(
        "RD-STO-002",
        "s3-encryption-off",
        Storage,
        Medium,
        Posture,
        "S3 server-side encryption is off",
        "storage.s3.encrypt false (medium when explicit, low when left at the default) writes layers without requested SSE.",
        "Set storage.s3.encrypt: true (and keyid for KMS)."
    ),
    rule!(
        "RD-STO-003",
        "storage-location-changed",
        Storage,
        High,
        Drift,
        "Images are stored somewhere else",
        "A different driver, bucket, region, endpoint, account or container sends data and signed requests to a possibly foreign store.",
        "Restore the storage location from the baseline."
    ),
    rule!(
        "RD-STO-004",
        "rootdirectory-changed",
        Storage,
        Medium,
        Drift,
        "The storage root directory changed",
        "A different rootdirectory serves a different data set (possibly a swapped one).",
        "Restore rootdirectory from the baseline."
    ),
    rule!(
        "RD-TLS-001",
        "tls-disabled",
        Transport,
        High,
        Posture,
        "TLS is off",
        "Without http.tls the registry serves plain HTTP while still issuing Basic/Bearer challenges: credentials and tokens travel in clear (critical with htpasswd or silly). Waive it if TLS terminates at a trusted proxy.",
        "Configure http.tls.certificate and key (or letsencrypt), and remove REGISTRY_HTTP_TLS overrides."
    ),
    rule!(
        "RD-TLS-002",
        "minimum-tls-below-1-2",
        Transport,
        Medium,
        Posture,
        "Minimum TLS version is below 1.2",
        "http.tls.minimumtls tls1.0 or tls1.1 (accepted by 2.8) allows downgraded connections.",
        "Set http.tls.minimumtls: tls1.2 or tls1.3."
    ),
    rule!(
        "RD-TLS-003",
        "weak-cipher-suites",
        Transport,
        Medium,
        Posture,
        "Weak TLS cipher suites are allowed",
        "RC4, 3DES, CBC and static-RSA suites in http.tls.ciphersuites are downgradeable or broken.",
        "Remove http.tls.ciphersuites (the defaults are AEAD-only) or list only ECDHE AEAD suites."
    ),
    rule!(
        "RD-TLS-004",
        "h2c-enabled",
        Transport,
        Low,
        Posture,
        "Cleartext HTTP/2 is enabled",
        "http.h2c.enabled serves HTTP/2 without TLS.",
        "Remove http.h2c.enabled."
    ),
    rule!(
        "RD-TLS-005",
        "letsencrypt-any-host",
        Transport,
        Medium,
        Posture,
        "Let's Encrypt certificates are issued for any host name",
        "In 2.8 an empty http.tls.letsencrypt.hosts means no restriction: certificates are requested for any SNI name.",
        "List the registry's host names in http.tls.letsencrypt.hosts."
    ),
    rule!(
        "RD-TLS-006",
        "s3-plaintext",
        Transport,
        High,
        Posture,
        "Registry to S3 traffic is plain HTTP",
        "storage.s3.secure false (also no, off, \"false\") sends blobs and signed requests to the S3 endpoint in clear.",
        "Remove storage.s3.secure or set it to true."
    ),
    rule!(
        "RD-TLS-007",
        "storage-tls-verify-off",
        Transport,
        High,
        Posture,
        "TLS certificate checks to storage are off",
        "skipverify (s3, azure) or insecureskipverify (swift) allows a man in the middle between the registry and its storage.",
        "Remove skipverify; trust a private CA through the system store instead."
    ),
    rule!(
        "RD-TLS-008",
        "s3-v2-signing",
        Transport,
        Low,
        Posture,
        "S3 requests use v2 signatures",
        "storage.s3.v4auth false uses the weaker v2 signing (refused by AWS in 3.x).",
        "Remove storage.s3.v4auth."
    ),
    rule!(
        "RD-TLS-009",
        "redis-without-tls",
        Transport,
        Medium,
        Posture,
        "Redis is used without TLS",
        "Cache entries and the redis password cross the network in clear: cache poisoning and credential theft.",
        "Configure redis.tls (3.x) or keep redis on a private link."
    ),
    rule!(
        "RD-TLS-010",
        "notification-plaintext",
        Transport,
        Medium,
        Posture,
        "A notification endpoint uses plain HTTP",
        "Events and the endpoint's headers (often an Authorization token) travel in clear.",
        "Use an https URL."
    ),
    rule!(
        "RD-WAIVER-001",
        "waiver-expired",
        Config,
        Medium,
        Meta,
        "A waiver has expired",
        "The waiver's expiry date has passed: the finding it covered counts again.",
        "Fix the finding, or renew the waiver with a new reason and date."
    ),
    rule!(
        "RD-WAIVER-002",
        "waiver-unmatched",
        Config,
        Info,
        Meta,
        "A waiver matches no finding",
        "A waiver that matches nothing is stale and may hide a future finding.",
        "Remove the waiver."
    ),
];
