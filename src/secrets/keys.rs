//! Key names in one spelling.
//!
//! The same setting is `dbPassword` in JSON, `DB_PASSWORD` in `.env`,
//! `db-password` in YAML and `db.password` in `.properties`. Detectors match
//! key names in one normal form, lower snake case, so their `key` regexes
//! stay short and word-aware.

/// `dbPassword`, `DB_PASSWORD`, `db-password`, `db.password` → `db_password`;
/// `APIKey` → `api_key`; `//registry/:_authToken` → `registry_auth_token`.
pub fn normalize(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    let mut out = String::with_capacity(key.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_alphanumeric() {
            if c.is_uppercase() && i > 0 {
                let prev = chars[i - 1];
                let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
                if prev.is_lowercase()
                    || prev.is_ascii_digit()
                    || (prev.is_uppercase() && next_lower)
                {
                    out.push('_');
                }
            }
            out.extend(c.to_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn spellings_converge() {
        for k in [
            "dbPassword",
            "DB_PASSWORD",
            "db-password",
            "db.password",
            "DbPassword",
        ] {
            assert_eq!(normalize(k), "db_password", "{k}");
        }
    }

    #[test]
    fn acronyms_and_punctuation() {
        assert_eq!(normalize("APIKey"), "api_key");
        assert_eq!(
            normalize("//registry.npmjs.org/:_authToken"),
            "registry_npmjs_org_auth_token"
        );
        assert_eq!(normalize("__"), "");
        assert_eq!(normalize("secret2Key"), "secret2_key");
    }
}
