//! The server's signing key and the checks every token it accepts passes.
//!
//! One HS256 secret, created once and stored in the database so every server process
//! signs and verifies alike, signs both the API's access tokens and the dashboard's
//! session cookies (under different audiences). A token must name this key (`kid`) and
//! carry no key of its own; its times must be whole numbers. The same secret derives the
//! successor of a refresh token, so a repeated refresh is answered alike everywhere.

use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::db::server_keys;

/// The key id every token this server signs carries in its header, and every token it
/// accepts must carry: a token naming another key is not one of ours.
pub const KEY_ID: &str = "jwt-hs256";

/// The JWT signing keys, loaded from (or created in) the database at start-up.
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// The raw secret, for deriving refresh-token successors ([`Keys::successor`]).
    secret: Vec<u8>,
}

impl Keys {
    pub async fn load_or_create(db: &DatabaseConnection) -> anyhow::Result<Keys> {
        const ID: &str = KEY_ID;
        let existing = server_keys::Entity::find_by_id(ID).one(db).await?;
        let secret = match existing {
            Some(k) => k.secret,
            None => {
                let mut bytes = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut bytes);
                let secret = base64::engine::general_purpose::STANDARD.encode(bytes);
                // Two processes starting together may race here: the loser's insert fails
                // on the primary key and it reads the winner's secret below.
                let _ = server_keys::ActiveModel {
                    id: Set(ID.into()),
                    secret: Set(secret),
                    created_at: Set(crate::clock::now_ms()),
                }
                .insert(db)
                .await;
                server_keys::Entity::find_by_id(ID)
                    .one(db)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("signing key missing after creation"))?
                    .secret
            }
        };
        let raw = base64::engine::general_purpose::STANDARD.decode(secret)?;
        Ok(Keys {
            encoding: EncodingKey::from_secret(&raw),
            decoding: DecodingKey::from_secret(&raw),
            secret: raw,
        })
    }
}

impl Keys {
    /// Signs `claims` with the server's HS256 key. The dashboard's session tokens use it
    /// too, under their own audience, so an API token never opens a dashboard session and
    /// a session cookie is never a bearer token.
    pub fn sign<C: Serialize>(&self, claims: &C) -> anyhow::Result<String> {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(KEY_ID.to_owned());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| anyhow::anyhow!("signing token: {e}"))
    }

    /// The successor of a refresh token: derived from it with the server's secret, so
    /// every server process answers a repeated refresh with the same successor, and only
    /// the holder of the token (and the server) can know it.
    pub fn successor(&self, refresh_token: &str) -> String {
        let mut message = b"rapport refresh successor\0".to_vec();
        message.extend_from_slice(refresh_token.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hmac_sha256(&self.secret, &message))
    }

    /// The claims of a token signed with [`Keys::sign`], if it passes `validation`.
    pub fn verify<C: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        validation: &Validation,
    ) -> Option<C> {
        self.decode(token, validation).ok()
    }

    /// The claims of a token signed with [`Keys::sign`], or why it is refused. The header
    /// is read first: it must name this server's key and carry no key of its own, since
    /// the JWT library checks neither. The parser's own words are logged, never answered.
    pub fn decode<C: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        validation: &Validation,
    ) -> Result<C, TokenError> {
        let invalid = |e: jsonwebtoken::errors::Error| {
            tracing::debug!(error = %e, "token refused");
            match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            }
        };
        let header = jsonwebtoken::decode_header(token).map_err(invalid)?;
        if header.kid.as_deref() != Some(KEY_ID) {
            return Err(TokenError::UnknownKey);
        }
        if header.jku.is_some()
            || header.jwk.is_some()
            || header.x5u.is_some()
            || header.x5c.is_some()
        {
            return Err(TokenError::OwnKey);
        }
        jsonwebtoken::decode::<C>(token, &self.decoding, validation)
            .map(|t| t.claims)
            .map_err(invalid)
    }
}

/// Why a token is refused, in words fixed here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Expired,
    UnknownKey,
    OwnKey,
    Invalid,
}

impl TokenError {
    pub fn message(self) -> &'static str {
        match self {
            TokenError::Expired => "token expired: refresh it or sign in again",
            TokenError::UnknownKey => "token signed with an unknown key",
            TokenError::OwnKey => "a token may not name its own key",
            TokenError::Invalid => "not a valid token: sign in again",
        }
    }
}

/// Reads an optional time claim that, when present, must be a whole number of seconds:
/// `null`, a string or a fraction is refused (the JWT library would let them pass).
pub fn strict_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    i64::deserialize(d).map(Some)
}

/// The checks of every token this server accepts, for one audience (API or dashboard).
pub fn validation_for(issuer: &str, audience: &str) -> Validation {
    let mut v = Validation::new(Algorithm::HS256);
    v.set_issuer(&[issuer]);
    v.set_audience(&[audience]);
    v.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    v.leeway = 30;
    v.validate_exp = true;
    v.validate_nbf = true;
    v
}

/// HMAC-SHA-256 (RFC 2104).
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    // HMAC takes a key of any length (a long one is hashed first): this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        let hex = |b: [u8; 32]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        assert_eq!(
            hex(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // A key longer than the block is hashed first (test case 6).
        assert_eq!(
            hex(hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }
}
