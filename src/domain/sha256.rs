//! A SHA-256 digest as 64 lowercase hex digits: the content address of every blob.

use std::fmt;

/// Shown as its 64 hex digits (JSON, OpenAPI).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(value_type = String)]
pub struct Sha256Hex(String);

impl Sha256Hex {
    pub fn from_digest(digest: &[u8]) -> Sha256Hex {
        Sha256Hex(hex::encode(digest))
    }

    pub fn parse(text: &str) -> Option<Sha256Hex> {
        let ok = text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        ok.then(|| Sha256Hex(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 32 raw bytes.
    pub fn bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        // Both invariants hold by construction: 64 hex digits.
        hex::decode_to_slice(&self.0, &mut out).expect("64 hex digits");
        out
    }

    /// Base64 of the raw digest, as S3's `x-amz-checksum-sha256` wants it.
    pub fn base64(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(self.bytes())
    }

    /// The blob key: `sha256/ab/cd/abcd…`.
    pub fn blob_key(&self) -> String {
        format!("sha256/{}/{}/{}", &self.0[0..2], &self.0[2..4], self.0)
    }
}

impl fmt::Display for Sha256Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn keys_and_checksums_derive_from_the_digest() {
        let sha = Sha256Hex::from_digest(&Sha256::digest(b"abc"));
        assert_eq!(sha.as_str(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(sha.blob_key(), format!("sha256/ba/78/{sha}"));
        assert_eq!(sha.base64(), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
        assert_eq!(Sha256Hex::parse(sha.as_str()), Some(sha));
        assert_eq!(Sha256Hex::parse("../etc/passwd"), None);
    }
}
