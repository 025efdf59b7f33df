//! Hard-coded secret detection: every detector with a positive and a
//! near-miss case, every config kind with exact spans, placeholders,
//! redaction, and agreement with the annotated fixtures in
//! `fixtures/config/`.
//!
//! Fake secrets are generated at run time from a seeded generator in each
//! provider's alphabet, so no real-looking key sits in this file and none
//! of them is a real key.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use backlint::secrets::detectors::builtin;
use backlint::secrets::{
    config_kind, is_example_file, is_placeholder, redact, scan_config, scan_config_file,
    scan_literal, ConfigKind, SecretFinding, MASK, MAX_PREFIX,
};

const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const BASE32: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const HEX: &str = "0123456789abcdef";
const DIGITS: &str = "0123456789";
const BASE64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URLSAFE: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/// A small deterministic generator (xorshift64*), enough for fake keys.
struct Fake(u64);

impl Fake {
    fn new(seed: u64) -> Self {
        Fake(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// `n` characters of `alphabet`, retried until the string is not itself
    /// a placeholder (a random `test` or `xxxx` inside would make it one).
    fn string(&mut self, alphabet: &str, n: usize) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        loop {
            let s: String = (0..n)
                .map(|_| chars[(self.next() % chars.len() as u64) as usize])
                .collect();
            if !is_placeholder(&s) {
                return s;
            }
        }
    }

    fn pem_body(&mut self, lines: usize, newline: &str) -> String {
        (0..lines)
            .map(|_| self.string(BASE64, 64))
            .collect::<Vec<_>>()
            .join(newline)
    }
}

/// One detector's cases: `make` returns (the text to scan, the secret it
/// holds); `near_miss` returns a text the detector must not flag.
struct Case {
    detector: &'static str,
    key: Option<&'static str>,
    near_miss_key: Option<&'static str>,
    make: fn(&mut Fake) -> (String, String),
    near_miss: fn(&mut Fake) -> String,
}

fn same(s: String) -> (String, String) {
    (s.clone(), s)
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            detector: "gcp-service-account-key",
            key: None,
            near_miss_key: None,
            make: |f| {
                let key = format!(
                    "-----BEGIN PRIVATE KEY-----\\n{}\\n-----END PRIVATE KEY-----\\n",
                    f.pem_body(4, "\\n")
                );
                let text = format!(
                    "{{\"type\": \"service_account\", \"private_key\": \"{key}\", \"client_email\": \"svc@p.iam.gserviceaccount.com\"}}"
                );
                (text, key)
            },
            near_miss: |_| {
                "{\"type\": \"service_account\", \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n...\\n-----END PRIVATE KEY-----\\n\"}".to_string()
            },
        },
        Case {
            detector: "private-key",
            key: None,
            near_miss_key: None,
            make: |f| {
                same(format!(
                    "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----",
                    f.pem_body(5, "\n")
                ))
            },
            near_miss: |f| {
                format!(
                    "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----",
                    f.pem_body(5, "\n")
                )
            },
        },
        Case {
            detector: "aws-access-key-id",
            key: None,
            near_miss_key: None,
            make: |f| same(format!("AKIA{}", f.string(BASE32, 16))),
            near_miss: |f| format!("AKIA{}", f.string(BASE32, 15)),
        },
        Case {
            detector: "github-pat",
            key: None,
            near_miss_key: None,
            make: |f| same(format!("ghp_{}", f.string(ALNUM, 36))),
            near_miss: |f| format!("ghp_{}", f.string(ALNUM, 35)),
        },
        Case {
            detector: "github-fine-grained-pat",
            key: None,
            near_miss_key: None,
            make: |f| {
                same(format!(
                    "github_pat_{}_{}",
                    f.string(ALNUM, 22),
                    f.string(ALNUM, 59)
                ))
            },
            near_miss: |f| format!("github_pat_{}", f.string(ALNUM, 22)),
        },
        Case {
            detector: "github-app-token",
            key: None,
            near_miss_key: None,
            make: |f| same(format!("ghs_{}", f.string(ALNUM, 36))),
            near_miss: |f| format!("ghx_{}", f.string(ALNUM, 36)),
        },
        Case {
            detector: "github-oauth-token",
            key: None,
            near_miss_key: None,
            make: |f| same(format!("gho_{}", f.string(ALNUM, 36))),
            near_miss: |f| format!("gho_{}", f.string(ALNUM, 20)),
        },
        Case {
            detector: "gitlab-pat",
            key: None,
            near_miss_key: None,
            make: |f| same(format!("glpat-{}", f.string(ALNUM, 20))),
            near_miss: |f| format!("glpat-{}", f.string(ALNUM, 12)),
        },
        Case {
            detector: "slack-token",
            key: None,
            near_miss_key: None,
            make: |f| {
                same(format!(
                    "xoxb-{}-{}-{}",
                    f.string(DIGITS, 11),
                    f.string(DIGITS, 12),
                    f.string(ALNUM, 24)
                ))
            },
            near_miss: |f| format!("xoxz-{}-{}", f.string(DIGITS, 11), f.string(ALNUM, 24)),
        },
        Case {
            detector: "slack-webhook",
            key: None,
            near_miss_key: None,
            make: |f| {
                same(format!(
                    "https://hooks.slack.com/services/T{}/B{}/{}",
                    f.string(BASE32, 10),
                    f.string(BASE32, 10),
                    f.string(ALNUM, 24)
                ))
            },
            near_miss: |f| format!("https://hooks.slack.com/services/T{}", f.string(BASE32, 10)),
        },
        Case {
            detector: "stripe-live-key",
            key: None,
            near_miss_key: None,
            make: |f| same(format!("sk_live_{}", f.string(ALNUM, 32))),
            near_miss: |f| format!("pk_live_{}", f.string(ALNUM, 32)),
        },
        Case {
            detector: "google-api-key",
            key: None,
            near_miss_key: None,
            make: |f| same(format!("AIza{}", f.string(URLSAFE, 35))),
            near_miss: |f| format!("AIza{}", f.string(URLSAFE, 30)),
        },
        Case {
            detector: "twilio-api-key",
            key: None,
            near_miss_key: None,
            make: |f| same(format!("SK{}", f.string(HEX, 32))),
            near_miss: |f| format!("SK{}", f.string(HEX, 31)),
        },
        Case {
            detector: "twilio-auth-token",
            key: None,
            near_miss_key: None,
            make: |f| {
                let token = f.string(HEX, 32);
                let text = format!("client = Client(\"AC{}\", \"{token}\")", f.string(HEX, 32));
                (text, token)
            },
            near_miss: |f| format!("client = Client(\"AC{}\", token)", f.string(HEX, 32)),
        },
        Case {
            detector: "sendgrid-api-key",
            key: None,
            near_miss_key: None,
            make: |f| {
                same(format!(
                    "SG.{}.{}",
                    f.string(URLSAFE, 22),
                    f.string(URLSAFE, 43)
                ))
            },
            near_miss: |f| format!("SG.{}", f.string(URLSAFE, 22)),
        },
        Case {
            detector: "npm-token",
            key: None,
            near_miss_key: None,
            make: |f| same(format!("npm_{}", f.string(ALNUM, 36))),
            near_miss: |f| format!("npm_{}", f.string(ALNUM, 30)),
        },
        Case {
            detector: "pypi-token",
            key: None,
            near_miss_key: None,
            make: |f| same(format!("pypi-AgEIcHlwaS5vcmc{}", f.string(URLSAFE, 70))),
            near_miss: |f| format!("pypi-{}", f.string(ALNUM, 20)),
        },
        Case {
            detector: "openai-api-key",
            key: None,
            near_miss_key: None,
            make: |f| same(format!("sk-proj-{}", f.string(ALNUM, 64))),
            near_miss: |f| format!("sk-{}", f.string(ALNUM, 20)),
        },
        Case {
            detector: "jwt",
            key: None,
            near_miss_key: None,
            make: |f| {
                same(format!(
                    "eyJ{}.eyJ{}.{}",
                    f.string(URLSAFE, 30),
                    f.string(URLSAFE, 60),
                    f.string(URLSAFE, 43)
                ))
            },
            // Unsigned (`alg: none`): no signature part.
            near_miss: |f| format!("eyJ{}.eyJ{}.", f.string(URLSAFE, 30), f.string(URLSAFE, 60)),
        },
        Case {
            detector: "connection-url-password",
            key: None,
            near_miss_key: None,
            make: |f| {
                let password = f.string(ALNUM, 18);
                (
                    format!("mongodb+srv://orders:{password}@cluster0.internal/orders"),
                    password,
                )
            },
            near_miss: |_| "postgres://orders@db.internal:5432/orders".to_string(),
        },
        Case {
            detector: "aws-secret-access-key",
            key: Some("AWS_SECRET_ACCESS_KEY"),
            near_miss_key: Some("aws_region_hint"),
            make: |f| same(f.string(BASE64, 40)),
            near_miss: |f| f.string(BASE64, 40),
        },
        Case {
            detector: "generic-password",
            key: Some("dbPassword"),
            near_miss_key: Some("db_password_file"),
            make: |f| same(format!("{}!", f.string(ALNUM, 14))),
            near_miss: |f| format!("/run/{}", f.string(ALNUM, 14)),
        },
        Case {
            detector: "generic-secret",
            key: Some("client_secret"),
            near_miss_key: Some("author"),
            make: |f| same(f.string(URLSAFE, 40)),
            near_miss: |f| f.string(URLSAFE, 40),
        },
    ]
}

#[test]
fn every_detector_has_cases() {
    let covered: BTreeSet<&str> = cases().iter().map(|c| c.detector).collect();
    for d in builtin().all() {
        assert!(
            covered.contains(d.id.as_str()),
            "no test case for detector `{}`",
            d.id
        );
    }
}

#[test]
fn every_detector_finds_its_positive_case() {
    for (seed, case) in cases().iter().enumerate() {
        let mut fake = Fake::new(seed as u64 + 1);
        let (text, secret) = (case.make)(&mut fake);
        let found = scan_literal(case.key, &text);
        let Some((detector, range)) = found else {
            panic!("{}: nothing found", case.detector);
        };
        assert_eq!(detector, case.detector, "wrong detector");
        assert_eq!(&text[range], secret, "{}: wrong span", case.detector);
    }
}

#[test]
fn no_detector_fires_on_its_near_miss() {
    for (seed, case) in cases().iter().enumerate() {
        let mut fake = Fake::new(seed as u64 + 100);
        let text = (case.near_miss)(&mut fake);
        let found = scan_literal(case.near_miss_key, &text);
        assert_eq!(
            found,
            None,
            "{}: near miss {:?} was flagged",
            case.detector,
            redact(&text)
        );
    }
}

#[test]
fn bound_detectors_need_their_key() {
    for case in cases().iter().filter(|c| c.key.is_some()) {
        let (text, _) = (case.make)(&mut Fake::new(7));
        assert_eq!(scan_literal(None, &text), None, "{}", case.detector);
    }
}

/// The redacted form of every detector's secret, over many generated
/// secrets, is a prefix of at most MAX_PREFIX characters plus the mask and
/// never contains the secret.
#[test]
fn redaction_never_reveals_a_secret() {
    for case in cases() {
        for seed in 0..25 {
            let (text, secret) = (case.make)(&mut Fake::new(seed * 31 + 5));
            let config = match case.key {
                Some(key) => format!("{key}={text}\n"),
                None => text.clone(),
            };
            let findings = scan_config(ConfigKind::Env, &config);
            let finding = findings
                .iter()
                .find(|f| f.detector == case.detector)
                .unwrap_or_else(|| panic!("{}: not found in config form", case.detector));
            assert_eq!(&config[finding.span.clone()], secret);
            let shown = &finding.redacted;
            assert!(!shown.contains(&secret), "{}: {shown}", case.detector);
            let prefix = shown
                .strip_suffix(MASK)
                .unwrap_or_else(|| panic!("{shown} lacks the mask"));
            assert!(prefix.chars().count() <= MAX_PREFIX);
            assert!(secret.starts_with(prefix));
        }
    }
}

#[test]
fn redact_keeps_at_most_a_short_prefix() {
    for n in 0..64 {
        let secret: String = "Zq7".chars().cycle().take(n).collect();
        let shown = redact(&secret);
        let prefix = shown.strip_suffix(MASK).unwrap_or_default();
        assert!(
            prefix.chars().count() <= MAX_PREFIX.min(n / 4 + 1),
            "{n}: {shown}"
        );
        if n > MAX_PREFIX {
            assert!(!shown.contains(&secret));
        }
    }
}

fn findings_as(text: &str, findings: &[SecretFinding]) -> Vec<(String, Option<String>, String)> {
    findings
        .iter()
        .map(|f| {
            (
                text[f.span.clone()].to_string(),
                f.key.clone(),
                f.detector.clone(),
            )
        })
        .collect()
}

fn expect(secret: &str, key: Option<&str>, detector: &str) -> (String, Option<String>, String) {
    (
        secret.to_string(),
        key.map(str::to_string),
        detector.to_string(),
    )
}

#[test]
fn every_config_kind_reports_exact_spans() {
    let mut f = Fake::new(42);
    let ghp = format!("ghp_{}", f.string(ALNUM, 36));
    let pw = format!("{}!", f.string(ALNUM, 14));
    let akia = format!("AKIA{}", f.string(BASE32, 16));
    let aws_secret = f.string(BASE64, 40);
    let npm = format!("npm_{}", f.string(ALNUM, 36));
    let pem = format!(
        "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----",
        f.pem_body(3, "\n")
    );

    let gp = "generic-password";
    let cases: Vec<(ConfigKind, String, Vec<_>)> = vec![
        (
            ConfigKind::Env,
            format!("# c\nexport GH_TOKEN=\"{ghp}\"\nDB_PASSWORD={pw} # note\n"),
            vec![expect(&ghp, Some("GH_TOKEN"), "github-pat"), expect(&pw, Some("DB_PASSWORD"), gp)],
        ),
        (
            ConfigKind::Yaml,
            format!("db:\n  password: '{pw}'\nenvironment:\n  - GH_TOKEN={ghp}\n"),
            vec![expect(&pw, Some("password"), gp), expect(&ghp, Some("GH_TOKEN"), "github-pat")],
        ),
        (
            ConfigKind::Json,
            format!("{{\"db\": {{\"password\": \"{pw}\"}}, \"keys\": [\"{akia}\"]}}"),
            vec![expect(&pw, Some("password"), gp), expect(&akia, Some("keys"), "aws-access-key-id")],
        ),
        (
            ConfigKind::Toml,
            format!("[db]\npassword = \"{pw}\"\n[aws]\nsecret_access_key = '''{aws_secret}'''\n"),
            vec![
                expect(&pw, Some("password"), gp),
                expect(&aws_secret, Some("secret_access_key"), "aws-secret-access-key"),
            ],
        ),
        (
            ConfigKind::Ini,
            format!("[default]\naws_access_key_id = {akia}\naws_secret_access_key = {aws_secret} ; c\n"),
            vec![
                expect(&akia, Some("aws_access_key_id"), "aws-access-key-id"),
                expect(&aws_secret, Some("aws_secret_access_key"), "aws-secret-access-key"),
            ],
        ),
        (
            ConfigKind::Properties,
            format!("spring.datasource.password = {pw}\ngithub.token:{ghp}\n"),
            vec![
                expect(&pw, Some("spring.datasource.password"), gp),
                expect(&ghp, Some("github.token"), "github-pat"),
            ],
        ),
        (
            ConfigKind::Dockerfile,
            format!("FROM x\nENV A=1 DB_PASSWORD=\"{pw}\" \\\n    NPM_TOKEN={npm}\n"),
            vec![expect(&pw, Some("DB_PASSWORD"), gp), expect(&npm, Some("NPM_TOKEN"), "npm-token")],
        ),
        (
            ConfigKind::Terraform,
            format!("variable \"db_password\" {{\n  default = \"{pw}\"\n}}\nprovider \"aws\" {{\n  access_key = \"{akia}\"\n}}\n"),
            vec![expect(&pw, Some("db_password"), gp), expect(&akia, Some("access_key"), "aws-access-key-id")],
        ),
        (
            ConfigKind::Pem,
            format!("Bag Attributes\n{pem}\n"),
            vec![expect(&pem, None, "private-key")],
        ),
        (
            ConfigKind::Npmrc,
            format!("//registry.npmjs.org/:_authToken={npm}\n//npm.internal/:_password={pw}\n"),
            vec![
                expect(&npm, Some("//registry.npmjs.org/:_authToken"), "npm-token"),
                expect(&pw, Some("//npm.internal/:_password"), gp),
            ],
        ),
        (
            ConfigKind::Netrc,
            format!("machine api.internal\n  login deploy\n  password {pw}\n"),
            vec![expect(&pw, Some("password"), gp)],
        ),
    ];
    for (kind, text, want) in cases {
        let got = findings_as(&text, &scan_config(kind, &text));
        assert_eq!(got, want, "{kind:?}");
    }
}

#[test]
fn broken_structured_files_fall_back_to_line_scanning() {
    let pw = format!("{}!", Fake::new(3).string(ALNUM, 14));
    let yaml = format!("db:\n  password: {pw}\n  hosts: [\n");
    let json = format!("{{\"password\": \"{pw}\", ");
    let toml = format!("password = \"{pw}\"\nbroken = \n");
    for (kind, text) in [
        (ConfigKind::Yaml, yaml),
        (ConfigKind::Json, json),
        (ConfigKind::Toml, toml),
    ] {
        let got = findings_as(&text, &scan_config(kind, &text));
        assert_eq!(
            got,
            [expect(&pw, Some("password"), "generic-password")],
            "{kind:?}"
        );
    }
}

#[test]
fn placeholders_are_not_secrets() {
    let text = "\
DB_PASSWORD=changeme
DB_PASSWORD=password
API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxx
API_TOKEN=<api-token>
API_TOKEN=${API_TOKEN}
API_TOKEN=$API_TOKEN
API_TOKEN={{ api_token }}
API_TOKEN=%(api_token)s
API_KEY=example-key-123456
API_KEY=dummy-key-123456
API_KEY=test-key-1234567
API_KEY=sample-key-12345
API_KEY=your-api-key-here
API_KEY=os.environ['API_KEY']
API_KEY=process.env.API_KEY
API_KEY=
AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
";
    let found = scan_config(ConfigKind::Env, text);
    assert!(found.is_empty(), "{:?}", findings_as(text, &found));
}

#[test]
fn literals_in_code() {
    let mut f = Fake::new(9);
    let high = f.string(URLSAFE, 32);
    // Provider formats need no key; generic values need a sensitive key.
    let ghp = format!("ghp_{}", f.string(ALNUM, 36));
    assert_eq!(
        scan_literal(None, &ghp),
        Some(("github-pat".to_string(), 0..ghp.len()))
    );
    let bearer = format!("Bearer {ghp}");
    assert_eq!(
        scan_literal(None, &bearer),
        Some(("github-pat".to_string(), 7..bearer.len()))
    );
    assert_eq!(scan_literal(None, &high), None);
    assert_eq!(scan_literal(Some("request_id"), &high), None);
    assert_eq!(
        scan_literal(Some("apiKey"), &high),
        Some(("generic-secret".to_string(), 0..high.len()))
    );
    assert_eq!(scan_literal(Some("API_KEY"), "process.env.API_KEY"), None);
    assert_eq!(
        scan_literal(Some("token_url"), "https://auth.internal/oauth/token"),
        None
    );
    // Short human passwords count; too-short values and bare defaults do not.
    assert_eq!(
        scan_literal(Some("password"), "hunter"),
        Some(("generic-password".to_string(), 0..6))
    );
    assert_eq!(scan_literal(Some("password"), "h4x!"), None);
    assert_eq!(scan_literal(Some("password"), "admin"), None);
}

// --- fixtures/config ---------------------------------------------------------------

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/config")
}

/// (line, expect) annotations of the `hardcoded-secret` rule, targeting
/// code lines: `#` comments, or a `.expect` sidecar for JSON.
fn annotations(path: &Path, text: &str) -> Vec<(usize, bool)> {
    let sidecar = PathBuf::from(format!("{}.expect", path.display()));
    if let Ok(sidecar) = fs::read_to_string(&sidecar) {
        return sidecar
            .lines()
            .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let (line, rest) = l.split_once(':')?;
                let mut words = rest.split_whitespace();
                let verdict = words.next()?;
                (words.next()? == "hardcoded-secret")
                    .then(|| Some((line.trim().parse().ok()?, verdict == "expect")))?
            })
            .collect();
    }
    backlint::fixture::annotations(text, "#")
        .into_iter()
        .filter(|a| a.rule == "hardcoded-secret")
        .map(|a| (a.target, a.expect))
        .collect()
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

/// Per fixture: (path, expected lines, ok lines, flagged lines).
type FixtureResult = (PathBuf, BTreeSet<usize>, BTreeSet<usize>, BTreeSet<usize>);

fn fixture_results() -> Vec<FixtureResult> {
    let mut paths: Vec<PathBuf> = fs::read_dir(fixture_dir())
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let Some(kind) = config_kind(&path) else {
            continue;
        };
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let notes = annotations(&path, &text);
        let expected = notes.iter().filter(|n| n.1).map(|n| n.0).collect();
        let ok = notes.iter().filter(|n| !n.1).map(|n| n.0).collect();
        let flagged = scan_config_file(&path, kind, &text)
            .iter()
            .map(|f| line_of(&text, f.span.start))
            .collect();
        out.push((path, expected, ok, flagged));
    }
    out
}

#[test]
fn config_fixtures_agree_with_the_scanner() {
    let results = fixture_results();
    assert!(
        results.len() >= 10,
        "fixtures/config has {} config files",
        results.len()
    );
    for (path, expected, ok, flagged) in results {
        let name = path.display();
        assert!(
            expected.len() >= 3 && ok.len() >= 3,
            "{name}: needs 3 expect and 3 ok cases"
        );
        let missing: Vec<_> = expected.difference(&flagged).collect();
        let unexpected: Vec<_> = flagged.difference(&expected).collect();
        assert!(
            missing.is_empty(),
            "{name}: expected findings missing on lines {missing:?}"
        );
        assert!(
            unexpected.is_empty(),
            "{name}: unexpected findings on lines {unexpected:?}"
        );
        assert!(ok.is_disjoint(&flagged), "{name}: ok lines flagged");
    }
}

/// Hand-run: prints backlint's per-file results on `fixtures/config` and
/// writes them as JSON for `scripts/compare-secrets.sh`.
#[test]
#[ignore = "run by scripts/compare-secrets.sh"]
fn compare_print_results() {
    let mut json = Vec::new();
    for (path, expected, ok, flagged) in fixture_results() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let hits = expected.intersection(&flagged).count();
        let false_pos = flagged.difference(&expected).count();
        println!(
            "backlint {name}: {hits}/{} expected found, {false_pos} false positives ({} ok lines)",
            expected.len(),
            ok.len()
        );
        json.push(serde_json::json!({"file": name, "flagged": flagged}));
    }
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/compare-secrets");
    fs::create_dir_all(&out).unwrap_or_else(|e| panic!("{e}"));
    fs::write(
        out.join("backlint.json"),
        serde_json::Value::Array(json).to_string(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn example_and_template_files_are_told_by_name() {
    for name in [
        ".env.example",
        "config.sample.yaml",
        "settings.template.json",
        "data/waf/examples-1.json",
        "Example.toml",
    ] {
        assert!(is_example_file(Path::new(name)), "{name}");
    }
    for name in [
        ".env",
        "config/settings.yaml",
        "examples/app/.env",
        "Cargo.toml",
    ] {
        assert!(!is_example_file(Path::new(name)), "{name}");
    }
}

#[test]
fn example_files_report_provider_formats_only() {
    let text = "API_TOKEN=Xk29fjQpLm83VbTzR4wN\n\
                GITHUB_TOKEN=ghp_q8STZHE6svi34zWH8xMS9BMoXOJrLo8F2nXM\n";
    let scan = |name: &str| -> Vec<(String, Option<String>)> {
        scan_config_file(Path::new(name), ConfigKind::Env, text)
            .into_iter()
            .map(|f| (f.detector, f.key))
            .collect()
    };
    assert_eq!(
        scan(".env").len(),
        2,
        "both values are secrets in a real .env"
    );
    let example = scan(".env.example");
    assert_eq!(example.len(), 1, "{example:?}");
    assert_ne!(example[0].0, "generic-secret");
    assert_eq!(
        example[0].1.as_deref(),
        Some("GITHUB_TOKEN"),
        "the key is still named"
    );
}
