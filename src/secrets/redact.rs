//! Masking secrets for display.
//!
//! backlint never prints a secret in full, in any output. [`redact`] keeps at
//! most a four-character prefix (enough to tell an `AKIA` key from a `ghp_`
//! token) and replaces the rest with a fixed mask, so neither the secret nor
//! its length can be recovered from the output.

/// The mask appended after the kept prefix; fixed so it leaks no length.
pub const MASK: &str = "****";

/// Longest prefix kept, in characters.
pub const MAX_PREFIX: usize = 4;

/// A display form of `secret`: a short prefix then [`MASK`].
///
/// Secrets of 16 characters or more keep 4 characters, of 8 or more keep 2,
/// shorter ones keep nothing (a prefix of a short password is too much of it).
pub fn redact(secret: &str) -> String {
    let chars = secret.chars().count();
    let keep = match chars {
        16.. => MAX_PREFIX,
        8..=15 => 2,
        _ => 0,
    };
    let prefix: String = secret.chars().take(keep).collect();
    format!("{prefix}{MASK}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_secrets_keep_four_characters() {
        // backlint: ignore[hardcoded-secret] -- a made-up key in AWS's format
        assert_eq!(redact("AKIAQ2W3E4R5T6Y7U2I3"), "AKIA****");
    }

    #[test]
    fn short_secrets_keep_less() {
        assert_eq!(redact("hunter22"), "hu****");
        assert_eq!(redact("abc"), "****");
        assert_eq!(redact(""), "****");
    }

    #[test]
    fn multibyte_prefixes_are_cut_on_characters() {
        assert_eq!(redact("ééééééééééééééééé"), "éééé****");
    }

    #[test]
    fn mask_does_not_depend_on_length() {
        assert_eq!(
            redact(&"k".repeat(20)).len(),
            redact(&"k".repeat(200)).len()
        );
    }
}
