//! Values that stand in for a secret without being one.
//!
//! Config files and examples are full of `changeme`, `${DB_PASSWORD}`,
//! `<your-token-here>` and `process.env.API_KEY`. Flagging them would bury
//! the real findings, so every candidate passes through [`is_placeholder`]
//! before it is reported, whichever detector found it.

/// Documented example credentials (AWS's documentation keys).
const KNOWN_EXAMPLES: &[&str] = &[
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
];

/// Case-insensitive substrings that mark a value as a stand-in. A random key
/// contains one of these with negligible probability.
const MARKER_WORDS: &[&str] = &[
    "changeme",
    "change_me",
    "change-me",
    "example",
    "dummy",
    "sample",
    "placeholder",
    "redacted",
    "fake",
    "notareal",
    "not_a_real",
    "not-a-real",
    "mock",
    "test",
    "your",
    "-here",
    "_here",
    "xxxx",
    "****",
    "....",
    "secret",
    "password",
    "replace",
    "insert",
    "todo",
];

/// Whole values (case-insensitive) that are not secrets.
const EXACT_WORDS: &[&str] = &[
    "pass",
    "passwd",
    "pwd",
    "token",
    "none",
    "null",
    "nil",
    "undefined",
    "true",
    "false",
    "tbd",
    "n/a",
    "na",
    "empty",
    "default",
    "admin",
    "root",
    "user",
    "username",
    "key",
    "apikey",
    "api_key",
    "unset",
    "required",
    "optional",
    "string",
    "str",
    "value",
];

/// Substrings of lookups that fetch the secret from elsewhere.
const REFERENCES: &[&str] = &[
    "${",
    "{{",
    "}}",
    "%(",
    "#{",
    "os.environ",
    "os.getenv",
    "getenv(",
    "process.env",
    "import.meta.env",
    "env::var",
    "env(",
    "env[",
    "environ[",
    "secretkeyref",
    "!ref",
    "vault:",
    "arn:aws:",
    "ssm:",
    "secretsmanager",
    "ref+",
    "keyvault",
];

/// Whether `value` is a placeholder, a reference to a secret stored
/// elsewhere, a documented example or empty, rather than a secret.
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    if v.is_empty() || KNOWN_EXAMPLES.contains(&v) {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    if EXACT_WORDS.contains(&lower.as_str()) {
        return true;
    }
    if MARKER_WORDS
        .iter()
        .chain(REFERENCES)
        .any(|m| lower.contains(m))
    {
        return true;
    }
    let angle_bracketed = v.contains('<') && v.contains('>');
    angle_bracketed || is_variable(v) || is_windows_variable(v) || few_distinct_characters(v)
}

/// `$NAME` (shell, Compose, Terraform-free references) as the whole value.
fn is_variable(v: &str) -> bool {
    v.strip_prefix('$').is_some_and(|rest| {
        rest.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// `%NAME%` (Windows batch) as the whole value.
fn is_windows_variable(v: &str) -> bool {
    v.len() > 2
        && v.starts_with('%')
        && v.ends_with('%')
        && v[1..v.len() - 1]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `aaaa`, `0000`, `abab`: too few distinct characters to be a key.
fn few_distinct_characters(v: &str) -> bool {
    let mut seen = [false; 256];
    let mut distinct = 0;
    for &b in v.as_bytes() {
        if !seen[usize::from(b)] {
            seen[usize::from(b)] = true;
            distinct += 1;
        }
    }
    distinct <= 3
}

#[cfg(test)]
mod tests {
    use super::is_placeholder;

    #[test]
    fn placeholders_and_references_are_recognised() {
        for v in [
            "",
            "   ",
            "changeme",
            "CHANGE_ME",
            "password",
            "xxxxxxxxxxxxxxxx",
            "<password>",
            "<your-api-key>",
            "${DB_PASSWORD}",
            "$DB_PASSWORD",
            "{{ vault_db_password }}",
            "%(db_password)s",
            "%DB_PASSWORD%",
            "example-key",
            "dummy",
            "test",
            "sample_token",
            "your-token-here",
            "notarealsessiontoken",
            "not-a-real-key-1234",
            "os.environ['TOKEN']",
            "process.env.API_KEY",
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db",
            "00000000",
        ] {
            assert!(is_placeholder(v), "{v:?} should be a placeholder");
        }
    }

    #[test]
    fn random_values_are_not_placeholders() {
        for v in [
            "q8Zr2LmX9vT4kPw7",
            "hunter22",
            "Tr0ub4dor&3",
            "$2b$12$q8Zr2LmX9vT4kPw7",
        ] {
            assert!(!is_placeholder(v), "{v:?} should not be a placeholder");
        }
    }
}
