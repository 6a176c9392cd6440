//! A small standard-alphabet base64 decoder for Kubernetes Secret `data` and ConfigMap
//! `binaryData` (RFC 4648 §4, what the Kubernetes API uses). Written here rather than adding a
//! crate for one function.
//!
//! Lenient only where kubectl users are: ASCII whitespace (a folded YAML block) is skipped and
//! padding may be left out. Anything else that is not base64 is an error, never a guess.

/// Why a string is not base64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base64Error {
    /// A character outside the alphabet, at this character index.
    InvalidCharacter { index: usize, character: char },
    /// `=` somewhere other than at the end, or too much of it.
    BadPadding,
    /// A length that no encoding produces (one character left over).
    BadLength,
}

impl std::fmt::Display for Base64Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Base64Error::InvalidCharacter { index, character } => {
                write!(f, "character {character:?} at index {index} is not base64")
            }
            Base64Error::BadPadding => f.write_str("the `=` padding is misplaced"),
            Base64Error::BadLength => f.write_str("the length is not that of base64 text"),
        }
    }
}

/// Decodes standard base64 (`A-Z a-z 0-9 + /`, optional `=` padding, whitespace ignored).
pub fn decode(text: &str) -> Result<Vec<u8>, Base64Error> {
    let mut sextets = Vec::with_capacity(text.len());
    let mut padding = 0usize;
    for (index, character) in text.chars().enumerate() {
        if character.is_ascii_whitespace() {
            continue;
        }
        if character == '=' {
            padding += 1;
            continue;
        }
        if padding > 0 {
            return Err(Base64Error::BadPadding);
        }
        let value = match character {
            'A'..='Z' => character as u32 - 'A' as u32,
            'a'..='z' => character as u32 - 'a' as u32 + 26,
            '0'..='9' => character as u32 - '0' as u32 + 52,
            '+' => 62,
            '/' => 63,
            _ => return Err(Base64Error::InvalidCharacter { index, character }),
        };
        sextets.push(value);
    }
    let rest = sextets.len() % 4;
    if rest == 1 {
        return Err(Base64Error::BadLength);
    }
    if padding > 0 && (padding > 2 || (sextets.len() + padding) % 4 != 0) {
        return Err(Base64Error::BadPadding);
    }
    let mut out = Vec::with_capacity(sextets.len() / 4 * 3 + 2);
    for chunk in sextets.chunks(4) {
        let mut n = 0u32;
        for (i, sextet) in chunk.iter().enumerate() {
            n |= sextet << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_rfc4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(decode(encoded).unwrap(), plain.as_bytes(), "{encoded}");
        }
        assert_eq!(decode("Zm9v\n YmE").unwrap(), b"fooba");
        assert_eq!(decode("//8=").unwrap(), [0xff, 0xff]);
    }

    #[test]
    fn rejects_what_is_not_base64() {
        assert!(matches!(
            decode("Zm9v*"),
            Err(Base64Error::InvalidCharacter { index: 4, .. })
        ));
        assert_eq!(decode("Zg=a"), Err(Base64Error::BadPadding));
        assert_eq!(decode("Zg==="), Err(Base64Error::BadPadding));
        assert_eq!(decode("Zm9vY"), Err(Base64Error::BadLength));
        assert_eq!(decode("Zm9=="), Err(Base64Error::BadPadding));
    }
}
