//! Shannon entropy of a candidate secret.
//!
//! Random keys use their alphabet evenly; words, identifiers and
//! placeholders repeat a few letters. Entropy in bits per byte separates the
//! two well enough to keep generic "value under a secret-looking name"
//! findings from firing on `debug-mode` or `aaaaaaaa`.

/// Shannon entropy of `s` in bits per byte (0.0 for the empty string).
pub fn shannon(s: &str) -> f64 {
    let bytes = s.as_bytes();
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0usize; 256];
    for &b in bytes {
        counts[usize::from(b)] += 1;
    }
    let len = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / len;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::shannon;

    #[test]
    fn uniform_strings_have_zero_entropy() {
        assert_eq!(shannon(""), 0.0);
        assert_eq!(shannon("aaaaaaaa"), 0.0);
    }

    #[test]
    fn entropy_is_log2_of_alphabet_for_even_use() {
        assert!((shannon("abcd") - 2.0).abs() < 1e-9);
        assert!((shannon("0123456789abcdef") - 4.0).abs() < 1e-9);
    }

    #[test]
    fn random_looking_beats_words() {
        assert!(shannon("q8Zr2LmX9vT4kPw7") > shannon("passwordpassword"));
    }
}
