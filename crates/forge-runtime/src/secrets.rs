//! Secret input fields (`"isSecret": true`), decrypted as the Apify SDKs decrypt them.
//!
//! On the Apify platform, the value of every top-level input field that the Actor's input
//! schema marks `isSecret` is stored encrypted in the run's `INPUT` record, and the run gets
//! the private key to decrypt it in its environment. Only the SDKs' `Actor.getInput()` /
//! `Actor.get_input()` decrypt; [`crate::actor::run_tool`] does the same here before it
//! validates the input, so a tool sees the plain value.
//!
//! # The scheme, as verified in Apify's own code
//!
//! Sources (apify/apify-shared-js, `@apify/input_secrets` ≥ 1.2.1 and `@apify/utilities`):
//! `packages/input_secrets/src/input_secrets.ts` (`encryptInputSecrets`,
//! `decryptInputSecrets`), `packages/input_secrets/src/field_schema_utils.ts`,
//! `packages/utilities/src/crypto.ts` (`publicEncrypt`, `privateDecrypt`),
//! `packages/consts/src/consts.ts` (`APIFY_ENV_VARS`), `test/crypto.test.ts` and
//! `test/input_secrets.test.ts`; apify/apify-sdk-python `src/apify/_crypto.py`
//! (`public_encrypt`, `private_decrypt`, `load_private_key`, `decrypt_input_secrets`) and
//! `tests/unit/test_crypto.py`; apify/apify-sdk-js `packages/apify/src/actor.ts`
//! (`getInput`); docs.apify.com, "Secret input".
//!
//! * **Value format.** `ENCRYPTED_VALUE:<password>:<value>` for a string, the original form.
//!   Since `@apify/input_secrets` 1.2.0/1.2.1 (July 2025, "Enable secret objects"), secret
//!   fields may also be objects and arrays: those are serialised with `JSON.stringify` and
//!   stored as `ENCRYPTED_JSON:[<schemaHash>:]<password>:<value>`; the decrypted text is parsed
//!   back as JSON. (Strings still use `ENCRYPTED_VALUE`; the SDKs also accept a string as
//!   `ENCRYPTED_JSON` of its JSON text.) The whole value must match
//!   `^(ENCRYPTED_VALUE|ENCRYPTED_JSON):(?:(B):)?(B):(B)$` with `B = [-A-Za-z0-9+/]*={0,3}`.
//!   `schemaHash`, when present, is the first 10 hex digits of the SHA-256 of the field's schema
//!   (keys sorted, `title`/`description`/`editor`/... dropped): the platform's check that the
//!   schema did not change since; decryption ignores it. (Drafts in that history, objects as
//!   `{"secret": "ENCRYPTED_VALUE:..."}` and an `ENCRYPTED_JSON_VALUE` prefix, were replaced
//!   before 1.2.1; no SDK reads them, and neither does this module.)
//! * **`<password>`**: base64 of the RSA encryption of 48 bytes: a 32-character AES key
//!   followed by a 16-character IV, both random strings over `[A-Za-z0-9]`
//!   (`cryptoRandomObjectId`) used as their UTF-8 bytes. RSA padding: **OAEP with SHA-1** and
//!   MGF1-SHA-1, empty label (Node's `crypto.publicEncrypt` default; the Python SDK spells it
//!   out as `OAEP(MGF1(SHA1()), SHA1(), label=None)`). A password that does not decrypt to
//!   exactly 48 bytes is rejected.
//! * **`<value>`**: base64 of **AES-256-GCM** ciphertext of the UTF-8 value with the 16-byte
//!   **authentication tag appended** (`ciphertext || tag`), the 32-byte key and the **16-byte
//!   IV** (not GCM's usual 12) from the password, no associated data.
//! * **Key**: `APIFY_INPUT_SECRETS_PRIVATE_KEY_FILE` holds, despite its name, the
//!   **base64-encoded PEM text** of the private key (both SDKs base64-decode it), and
//!   `APIFY_INPUT_SECRETS_PRIVATE_KEY_PASSPHRASE` the passphrase it is encrypted with. Apify's
//!   test key is a traditional OpenSSL PEM, `BEGIN RSA PRIVATE KEY` with
//!   `Proc-Type: 4,ENCRYPTED` and `DEK-Info: DES-EDE3-CBC,<iv>` (key from `EVP_BytesToKey`:
//!   MD5, one round, salt = the IV's first 8 bytes); Node and Python load any PEM OpenSSL
//!   reads. Accepted here: that legacy form (DES-EDE3-CBC, AES-128/192/256-CBC), PKCS#8
//!   `ENCRYPTED PRIVATE KEY` (PBES2: PBKDF2 or scrypt, AES-CBC or 3DES), and unencrypted
//!   PKCS#1 / PKCS#8. There are no `ACTOR_*` names for these two variables in
//!   `@apify/consts`; the `ACTOR_*` spellings are read too, as a fallback, like the rest of
//!   [`crate::env`].
//!
//! # Deliberate differences from the SDKs
//!
//! The SDKs decrypt every top-level string that matches the pattern, secret or not; here only
//! the fields the input schema marks `isSecret` are decrypted ([`decrypt_input_secrets`]), and
//! any other value is left exactly as it is. A secret field holding a plain value (the CLI
//! flow, a local `INPUT.json`) is left as is too. A secret field that carries the prefix but is
//! malformed, or that cannot be decrypted, is an error naming the field, and so is an encrypted
//! value when the run has no key: never a panic, and never a silent fallback to the ciphertext.
//! No error, `Debug` output or log line holds the encrypted or the decrypted value.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use serde_json::Value;
use zeroize::Zeroizing;

pub use rsa::PrivateKey;

/// The variable with the base64-encoded PEM of the run's input-secrets private key.
pub const KEY_FILE_ENV: &str = "APIFY_INPUT_SECRETS_PRIVATE_KEY_FILE";
/// The variable with the passphrase of that key.
pub const KEY_PASSPHRASE_ENV: &str = "APIFY_INPUT_SECRETS_PRIVATE_KEY_PASSPHRASE";
const KEY_FILE_ENV_ACTOR: &str = "ACTOR_INPUT_SECRETS_PRIVATE_KEY_FILE";
const KEY_PASSPHRASE_ENV_ACTOR: &str = "ACTOR_INPUT_SECRETS_PRIVATE_KEY_PASSPHRASE";

/// The prefix of an encrypted string value.
pub const ENCRYPTED_STRING_PREFIX: &str = "ENCRYPTED_VALUE:";
/// The prefix of an encrypted JSON value (object, array, or a string's JSON text).
pub const ENCRYPTED_JSON_PREFIX: &str = "ENCRYPTED_JSON:";

const AES_KEY_LEN: usize = 32;
const AES_IV_LEN: usize = 16;
const TAG_LEN: usize = 16;

/// AES-256-GCM with the 16-byte IV Apify uses.
type Aes256Gcm16 = aes_gcm::AesGcm<aes_gcm::aes::Aes256, aes_gcm::aead::consts::U16>;

/// Why secret inputs could not be decrypted. Names fields and environment variables, never a
/// value, encrypted or not.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error(
        "input field{} {} {} encrypted but the run has no input-secrets key ({KEY_FILE_ENV} and \
         {KEY_PASSPHRASE_ENV} are not set): only the platform run the input was given to can \
         decrypt it; outside the platform, give the plain value",
        if .fields.len() == 1 { "" } else { "s" },
        list(.fields),
        if .fields.len() == 1 { "is" } else { "are" }
    )]
    NoKey { fields: Vec<String> },
    #[error(
        "input field `{field}` could not be decrypted ({reason}); update the field's value in \
         the input editor"
    )]
    Undecryptable { field: String, reason: &'static str },
    #[error("the input-secrets key in {var} cannot be loaded: {reason}")]
    BadKey { var: &'static str, reason: String },
}

fn list(fields: &[String]) -> String {
    fields
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The top-level properties an Apify input schema marks `"isSecret": true`, in schema order.
pub fn secret_fields(input_schema: &Value) -> Vec<String> {
    input_schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|props| {
            props
                .iter()
                .filter(|(_, p)| p.get("isSecret").and_then(Value::as_bool) == Some(true))
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `value` carries one of the two encrypted-value prefixes.
pub fn is_encrypted(value: &str) -> bool {
    value.starts_with(ENCRYPTED_STRING_PREFIX) || value.starts_with(ENCRYPTED_JSON_PREFIX)
}

/// The fields among `fields` whose value in `input` is an encrypted string.
fn encrypted_fields(input: &Value, fields: &[String]) -> Vec<String> {
    fields
        .iter()
        .filter(|f| {
            input
                .get(f.as_str())
                .and_then(Value::as_str)
                .is_some_and(is_encrypted)
        })
        .cloned()
        .collect()
}

/// Replaces, in `input`, the value of every field of `schema_secret_fields` that holds an
/// encrypted value (see the module docs) with the decrypted one: a string for
/// `ENCRYPTED_VALUE`, the parsed JSON for `ENCRYPTED_JSON`. Every other value, and every other
/// field, is left as it is. On an error `input` is unchanged.
pub fn decrypt_input_secrets(
    input: &mut Value,
    schema_secret_fields: &[String],
    key: &PrivateKey,
) -> Result<(), SecretsError> {
    let mut decrypted = Vec::new();
    for field in encrypted_fields(input, schema_secret_fields) {
        let sealed = input[field.as_str()].as_str().unwrap_or_default();
        let plain = decrypt_value(sealed, key).map_err(|reason| SecretsError::Undecryptable {
            field: field.clone(),
            reason,
        })?;
        decrypted.push((field, plain));
    }
    if let Some(o) = input.as_object_mut() {
        for (field, plain) in decrypted {
            o.insert(field, plain);
        }
    }
    Ok(())
}

/// [`decrypt_input_secrets`] for a tool: the secret fields come from its input schema (the
/// text of `.actor/input_schema.json`), the key from the run's environment, read only when a
/// secret field actually holds an encrypted value. Returns the input's secret fields, for
/// [`SecretFields::redact`].
pub fn decrypt_with_env_key(
    input: &mut Value,
    input_schema: &str,
) -> Result<SecretFields, SecretsError> {
    decrypt_with_key_from(input, input_schema, |name| std::env::var(name).ok())
}

/// [`decrypt_with_env_key`] with the environment given as a lookup function.
pub fn decrypt_with_key_from(
    input: &mut Value,
    input_schema: &str,
    env: impl Fn(&str) -> Option<String>,
) -> Result<SecretFields, SecretsError> {
    let schema: Value = serde_json::from_str(input_schema).unwrap_or(Value::Null);
    let fields = secret_fields(&schema);
    let encrypted = encrypted_fields(input, &fields);
    if !encrypted.is_empty() {
        let var = |names: [&str; 2]| {
            names
                .into_iter()
                .find_map(|n| env(n).filter(|v| !v.trim().is_empty()))
        };
        let Some(key_file) = var([KEY_FILE_ENV, KEY_FILE_ENV_ACTOR]).map(Zeroizing::new) else {
            return Err(SecretsError::NoKey { fields: encrypted });
        };
        let passphrase =
            Zeroizing::new(var([KEY_PASSPHRASE_ENV, KEY_PASSPHRASE_ENV_ACTOR]).unwrap_or_default());
        let key = load_private_key(&key_file, &passphrase)?;
        decrypt_input_secrets(input, &fields, &key)?;
    }
    let values = fields
        .iter()
        .filter_map(|f| input.get(f.as_str()))
        .map(|v| Zeroizing::new(v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
        .filter(|v| v.chars().count() >= SecretFields::MIN_REDACTED_CHARS)
        .collect();
    Ok(SecretFields { fields, values })
}

/// The secret fields of an input and their (decrypted) values, kept only to keep them out of
/// validation errors: a JSON Schema error message quotes the value it rejects.
#[derive(Default)]
pub struct SecretFields {
    fields: Vec<String>,
    values: Vec<Zeroizing<String>>,
}

impl std::fmt::Debug for SecretFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretFields")
            .field("fields", &self.fields)
            .finish_non_exhaustive()
    }
}

impl SecretFields {
    /// Shorter values are not searched for in messages (they would match too much).
    const MIN_REDACTED_CHARS: usize = 4;

    /// `e` with the message of every error about a secret field, or quoting a secret value,
    /// replaced by one that shows nothing of the value.
    pub fn redact(&self, e: forge_core::input::InputError) -> forge_core::input::InputError {
        use forge_core::input::{FieldError, InputError};
        let InputError::Invalid(errors) = e else {
            return e;
        };
        let secret_field = |field: &str| {
            self.fields.iter().any(|f| {
                field == f
                    || field
                        .strip_prefix(f.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            })
        };
        let errors = errors
            .into_iter()
            .map(|FieldError { field, message }| {
                let leaks = self.values.iter().any(|v| message.contains(v.as_str()));
                if secret_field(&field) || leaks {
                    FieldError {
                        field,
                        message: "is invalid (the value is secret: not shown)".into(),
                    }
                } else {
                    FieldError { field, message }
                }
            })
            .collect();
        InputError::Invalid(errors)
    }
}

/// Loads the input-secrets private key as the platform passes it: `key_file` is the
/// base64-encoded PEM text (the value of [`KEY_FILE_ENV`]; PEM text itself is accepted too),
/// `passphrase` the passphrase of an encrypted PEM (ignored for an unencrypted one).
pub fn load_private_key(key_file: &str, passphrase: &str) -> Result<PrivateKey, SecretsError> {
    let bad = |reason: &str| SecretsError::BadKey {
        var: KEY_FILE_ENV,
        reason: reason.to_owned(),
    };
    let trimmed = key_file.trim();
    let pem_text = if trimmed.starts_with("-----BEGIN") {
        Zeroizing::new(trimmed.to_owned())
    } else {
        let compact: String = trimmed.split_whitespace().collect();
        let bytes = Zeroizing::new(
            lenient_base64(&compact).map_err(|_| bad("neither PEM nor base64-encoded PEM"))?,
        );
        Zeroizing::new(
            String::from_utf8(bytes.to_vec())
                .map_err(|_| bad("its base64 does not decode to PEM text"))?,
        )
    };
    let pem = Pem::parse(&pem_text).ok_or_else(|| bad("no PEM block in it"))?;
    let key = match pem.label.as_str() {
        "RSA PRIVATE KEY" => {
            let encrypted = pem
                .header("Proc-Type")
                .is_some_and(|p| p.contains("ENCRYPTED"));
            let der = match encrypted {
                true => {
                    if passphrase.is_empty() {
                        return Err(SecretsError::BadKey {
                            var: KEY_PASSPHRASE_ENV,
                            reason: "the key is encrypted and no passphrase is set".into(),
                        });
                    }
                    let dek = pem
                        .header("DEK-Info")
                        .ok_or_else(|| bad("encrypted PEM without DEK-Info"))?;
                    legacy_pem_decrypt(dek, passphrase, &pem.body)?
                }
                false => Zeroizing::new(pem.body.to_vec()),
            };
            <PrivateKey as rsa::pkcs1::DecodeRsaPrivateKey>::from_pkcs1_der(&der).map_err(|_| {
                if encrypted {
                    wrong_passphrase()
                } else {
                    bad("not an RSA private key")
                }
            })?
        }
        "PRIVATE KEY" => <PrivateKey as rsa::pkcs8::DecodePrivateKey>::from_pkcs8_der(&pem.body)
            .map_err(|_| bad("not an RSA private key"))?,
        "ENCRYPTED PRIVATE KEY" => {
            <PrivateKey as rsa::pkcs8::DecodePrivateKey>::from_pkcs8_encrypted_der(
                &pem.body, passphrase,
            )
            .map_err(|_| wrong_passphrase())?
        }
        other => return Err(bad(&format!("unexpected PEM label {other:?}"))),
    };
    Ok(key)
}

fn wrong_passphrase() -> SecretsError {
    SecretsError::BadKey {
        var: KEY_PASSPHRASE_ENV,
        reason: "the passphrase does not decrypt the key (or the key is corrupt, or not RSA)"
            .into(),
    }
}

/// Decrypts one `ENCRYPTED_VALUE:` / `ENCRYPTED_JSON:` value. The error is a fixed phrase: it
/// can hold nothing of the value.
fn decrypt_value(sealed: &str, key: &PrivateKey) -> Result<Value, &'static str> {
    let (json, rest) = if let Some(rest) = sealed.strip_prefix(ENCRYPTED_STRING_PREFIX) {
        (false, rest)
    } else if let Some(rest) = sealed.strip_prefix(ENCRYPTED_JSON_PREFIX) {
        (true, rest)
    } else {
        return Err("not an encrypted value");
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let (password, value) = match parts.as_slice() {
        [password, value] | [_, password, value] => (*password, *value),
        _ => return Err("malformed encrypted value"),
    };
    if !parts.iter().all(|p| is_base64_part(p)) {
        return Err("malformed encrypted value");
    }
    let password = lenient_base64(password).map_err(|_| "malformed encrypted value")?;
    let value = lenient_base64(value).map_err(|_| "malformed encrypted value")?;
    let secret = Zeroizing::new(
        key.oaep_decrypt::<sha1::Sha1>(&password)
            .map_err(|_| "RSA-OAEP decryption failed: encrypted with another key")?,
    );
    if secret.len() != AES_KEY_LEN + AES_IV_LEN {
        return Err("the decrypted AES key and IV have the wrong length");
    }
    if value.len() < TAG_LEN {
        return Err("the ciphertext is shorter than its authentication tag");
    }
    use aes_gcm::aead::{Aead, KeyInit};
    let cipher = Aes256Gcm16::new_from_slice(&secret[..AES_KEY_LEN])
        .map_err(|_| "the decrypted AES key has the wrong length")?;
    let nonce = aes_gcm::Nonce::<aes_gcm::aead::consts::U16>::try_from(&secret[AES_KEY_LEN..])
        .map_err(|_| "the decrypted IV has the wrong length")?;
    let plain = Zeroizing::new(
        cipher
            .decrypt(&nonce, value.as_slice())
            .map_err(|_| "AES-GCM authentication failed: the value was altered")?,
    );
    let text = std::str::from_utf8(&plain).map_err(|_| "the decrypted value is not UTF-8")?;
    if json {
        serde_json::from_str(text).map_err(|_| "the decrypted value is not valid JSON")
    } else {
        Ok(Value::String(text.to_owned()))
    }
}

/// One part of the value pattern: `[-A-Za-z0-9+/]*={0,3}`.
fn is_base64_part(part: &str) -> bool {
    let body = part.trim_end_matches('=');
    part.len() - body.len() <= 3
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-'))
}

/// Base64 as Node's `Buffer.from(s, 'base64')` reads it: `-`/`_` as `+`/`/`, padding optional.
fn lenient_base64(s: &str) -> Result<Vec<u8>, base64::DecodeError> {
    const ENGINE: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let normalized: String = s
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    ENGINE.decode(normalized)
}

/// A PEM block with RFC 1421 headers (`Proc-Type`, `DEK-Info`), which RFC 7468 parsers refuse.
struct Pem {
    label: String,
    headers: Vec<(String, String)>,
    body: Zeroizing<Vec<u8>>,
}

impl Pem {
    fn parse(text: &str) -> Option<Pem> {
        let mut lines = text.lines().map(str::trim);
        let label = lines.find_map(|l| {
            l.strip_prefix("-----BEGIN ")
                .and_then(|r| r.strip_suffix("-----"))
        })?;
        let end = format!("-----END {label}-----");
        let mut headers = Vec::new();
        let mut body = Zeroizing::new(String::new());
        let mut in_headers = true;
        let mut closed = false;
        for line in lines {
            if line == end {
                closed = true;
                break;
            }
            if in_headers {
                if let Some((k, v)) = line.split_once(':') {
                    headers.push((k.trim().to_owned(), v.trim().to_owned()));
                    continue;
                }
                in_headers = false;
            }
            body.push_str(line);
        }
        if !closed {
            return None;
        }
        let body = Zeroizing::new(lenient_base64(&body).ok()?);
        Some(Pem {
            label: label.to_owned(),
            headers,
            body,
        })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// OpenSSL's traditional PEM encryption (`DEK-Info: <cipher>,<iv hex>`): the key is
/// `EVP_BytesToKey(MD5, salt = iv[..8], passphrase, 1 round)`, the body CBC with PKCS#7.
fn legacy_pem_decrypt(
    dek_info: &str,
    passphrase: &str,
    body: &[u8],
) -> Result<Zeroizing<Vec<u8>>, SecretsError> {
    use cbc::cipher::{block_padding::Pkcs7, BlockModeDecrypt, KeyIvInit};
    let unsupported = |why: String| SecretsError::BadKey {
        var: KEY_FILE_ENV,
        reason: why,
    };
    let (cipher, iv_hex) = dek_info
        .split_once(',')
        .ok_or_else(|| unsupported("malformed DEK-Info".into()))?;
    let iv =
        hex_decode(iv_hex.trim()).ok_or_else(|| unsupported("malformed DEK-Info IV".into()))?;
    let cipher = cipher.trim().to_ascii_uppercase();
    let (key_len, iv_len) = match cipher.as_str() {
        "DES-EDE3-CBC" => (24, 8),
        "AES-128-CBC" => (16, 16),
        "AES-192-CBC" => (24, 16),
        "AES-256-CBC" => (32, 16),
        other => return Err(unsupported(format!("unsupported PEM encryption {other}"))),
    };
    if iv.len() != iv_len {
        return Err(unsupported("DEK-Info IV of the wrong length".into()));
    }
    let key = evp_bytes_to_key(passphrase.as_bytes(), &iv[..8], key_len);
    let wrong = wrong_passphrase;
    let plain = match cipher.as_str() {
        "DES-EDE3-CBC" => cbc::Decryptor::<des::TdesEde3>::new_from_slices(&key, &iv)
            .map_err(|_| wrong())?
            .decrypt_padded_vec::<Pkcs7>(body),
        "AES-128-CBC" => cbc::Decryptor::<aes_gcm::aes::Aes128>::new_from_slices(&key, &iv)
            .map_err(|_| wrong())?
            .decrypt_padded_vec::<Pkcs7>(body),
        "AES-192-CBC" => cbc::Decryptor::<aes_gcm::aes::Aes192>::new_from_slices(&key, &iv)
            .map_err(|_| wrong())?
            .decrypt_padded_vec::<Pkcs7>(body),
        _ => cbc::Decryptor::<aes_gcm::aes::Aes256>::new_from_slices(&key, &iv)
            .map_err(|_| wrong())?
            .decrypt_padded_vec::<Pkcs7>(body),
    };
    plain.map(Zeroizing::new).map_err(|_| wrong())
}

/// OpenSSL's `EVP_BytesToKey` with MD5 and one round: `D_i = MD5(D_{i-1} || pass || salt)`.
fn evp_bytes_to_key(pass: &[u8], salt: &[u8], len: usize) -> Zeroizing<Vec<u8>> {
    use md5::{Digest, Md5};
    let mut out = Zeroizing::new(Vec::with_capacity(len + 16));
    let mut prev: Vec<u8> = Vec::new();
    while out.len() < len {
        let mut h = Md5::new();
        h.update(&prev);
        h.update(pass);
        h.update(salt);
        prev = h.finalize().to_vec();
        out.extend_from_slice(&prev);
    }
    out.truncate(len);
    out
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

impl From<SecretsError> for crate::error::RuntimeError {
    /// A value that cannot be decrypted is a bad input (exit code 2, the field named); a missing
    /// or unusable key is the run's environment.
    fn from(e: SecretsError) -> Self {
        use forge_core::input::{FieldError, InputError};
        match e {
            SecretsError::Undecryptable { field, reason } => {
                crate::error::RuntimeError::InvalidInput(InputError::Invalid(vec![FieldError {
                    field,
                    message: format!(
                        "encrypted, but it could not be decrypted ({reason}); update the field's \
                         value in the input editor"
                    ),
                }]))
            }
            other => crate::error::RuntimeError::Env(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes_gcm::aead::{Aead, KeyInit};
    use rand::RngExt;
    use serde_json::json;
    use std::sync::OnceLock;

    /// The test key of Apify's own crypto tests (apify/apify-shared-js `test/crypto.test.ts` and
    /// `test/input_secrets.test.ts`, apify/apify-sdk-python `tests/_utils.py`): the base64 of a
    /// traditional OpenSSL PEM, `DEK-Info: DES-EDE3-CBC`, passphrase `pwd1234`. Public test data.
    const APIFY_TEST_KEY_B64: &str = "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpQcm9jLVR5cGU6IDQsRU5DUllQVEVECkRFSy1JbmZvOiBERVMtRURFMy1DQkMsNTM1QURERjIzNUQ4QkFGOQoKMXFWUzl0S0FhdkVhVUVFMktESnpjM3plMk1lZkc1dmVEd2o1UVJ0ZkRaMXdWNS9VZmIvcU5sVThTSjlNaGhKaQp6RFdrWExueUUzSW0vcEtITVZkS0czYWZkcFRtcis2TmtidXptd0dVMk0vSWpzRjRJZlpad0lGbGJoY09jUnp4CmZmWVIvTlVyaHNrS1RpNGhGV0lBUDlLb3Z6VDhPSzNZY3h6eVZQWUxYNGVWbWt3UmZzeWkwUU5Xb0tGT3d0ZC8KNm9HYzFnd2piRjI5ZDNnUThZQjFGWmRLa1AyMTJGbkt1cTIrUWgvbE1zTUZrTHlTQTRLTGJ3ZG1RSXExbE1QUwpjbUNtZnppV3J1MlBtNEZoM0dmWlQyaE1JWHlIRFdEVzlDTkxKaERodExOZ2RRamFBUFpVT1E4V2hwSkE5MS9vCjJLZzZ3MDd5Z2RCcVd5dTZrc0pXcjNpZ1JpUEJ5QmVNWEpEZU5HY3NhaUZ3Q2c5eFlja1VORXR3NS90WlRsTjIKSEdZV0NpVU5Ed0F2WllMUHR1SHpIOFRFMGxsZm5HR0VuVC9QQlp1UHV4andlZlRleE1mdzFpbGJRU3lkcy9HMgpOOUlKKzkydms0N0ZXR2NOdGh1Q3lCbklva0NpZ0c1ZlBlV2IwQTdpdjk0UGtwRTRJZ3plc0hGQ0ZFQWoxWldLCnpQdFRBQlkwZlJrUzBNc3UwMHYxOXloTTUrdFUwYkVCZWo2eWpzWHRoYzlwS01hcUNIZWlQTC9TSHRkaWsxNVMKQmU4Sml4dVJxZitUeGlYWWVuNTg2aDlzTFpEYzA3cGpkUGp2NVNYRnBYQjhIMlVxQ0tZY2p4R3RvQWpTV0pjWApMNHc3RHNEby80bVg1N0htR09iamlCN1ZyOGhVWEJDdFh2V0dmQXlmcEFZNS9vOXowdm4zREcxaDc1NVVwdDluCkF2MFZrbm9qcmJVYjM1ZlJuU1lYTVltS01LSnpNRlMrdmFvRlpwV0ZjTG10cFRWSWNzc0JGUEYyZEo3V1c0WHMKK0d2Vkl2eFl3S2wyZzFPTE1TTXRZa09vekdlblBXTzdIdU0yMUVKVGIvbHNEZ25GaTkrYWRGZHBLY3R2cm0zdgpmbW1HeG5pRmhLU05GU0xtNms5YStHL2pjK3NVQVBhb2FZNEQ3NHVGajh0WGp0eThFUHdRRGxVUGRVZld3SE9PClF3bVgyMys1REh4V0VoQy91Tm8yNHNNY2ZkQzFGZUpBV281bUNuVU5vUVVmMStNRDVhMzNJdDhhMmlrNUkxUWoKeSs1WGpRaG0xd3RBMWhWTWE4aUxBR0toT09lcFRuK1VBZHpyS0hvNjVtYzNKbGgvSFJDUXJabnVxWkErK0F2WgpjeWU0dWZGWC8xdmRQSTdLb2Q0MEdDM2dlQnhweFFNYnp1OFNUcGpOcElJRkJvRVc5dFRhemUzeHZXWnV6dDc0CnFjZS8xWURuUHBLeW5lM0xGMk94VWoyYWVYUW5YQkpYcGhTZTBVTGJMcWJtUll4bjJKWkl1d09RNHV5dm94NjUKdG9TWGNac054dUs4QTErZXNXR3JSN3pVc0djdU9QQTFERE9Ja2JjcGtmRUxMNjk4RTJRckdqTU9JWnhrcWdxZQoySE5VNktWRmV2NzdZeEJDbm1VcVdXZEhYMjcyU2NPMUYzdWpUdFVnRVBNWGN0aEdBckYzTWxEaUw1Q0k0RkhqCnhHc3pVemxzalRQTmpiY2MzdUE2MjVZS3VVZEI2c1h1Rk5NUHk5UDgwTzBpRWJGTXl3MWxmN2VpdFhvaUUxWVoKc3NhMDVxTUx4M3pPUXZTLzFDdFpqaFp4cVJMRW5pQ3NWa2JVRlVYclpodEU4dG94bGpWSUtpQ25qbitORmtqdwo2bTZ1anpBSytZZHd2Nk5WMFB4S0gwUk5NYVhwb1lmQk1oUmZ3dGlaS3V3Y2hyRFB5UEhBQ2J3WXNZOXdtUE9rCnpwdDNxWi9JdDVYTmVqNDI0RzAzcGpMbk1sd1B1T1VzYmFQUWQ2VHU4TFhsckZReUVjTXJDNHdjUTA1SzFVN3kKM1NNN3RFaTlnbjV3RjY1YVI5eEFBR0grTUtMMk5WNnQrUmlTazJVaWs1clNmeDE4Mk9wYmpSQ2grdmQ4UXhJdwotLS0tLUVORCBSU0EgUFJJVkFURSBLRVktLS0tLQo=";
    const APIFY_TEST_PASSPHRASE: &str = "pwd1234";

    /// A vector Node's `publicEncrypt` made with that key, from apify/apify-sdk-python
    /// `tests/unit/test_crypto.py` (`test_private_decrypt_with_node_js_encrypted_value`).
    const NODE_PASSWORD: &str = "lw0ez64/T1UcCQMLfhucZ6VIfMcf/TKni7PmXlL/ZRA4nmdGYz7/YQUzGWzKbLChrpqbG21DHxPIubUIQFDFE1ASkLvoSd0Ks8/wjKHMyhp+hsg5aSh9EZK6pBFpp6FeHoinV80+UURTvJuSVbWd1Orw5Frl41taP6RK3uNJlXikmgs8Xc7mShFEENgkz6y9+Pbe7jpcKkaJ2U/h7FN0eNON189kNFYVuAE1n2N6C3Q7dFnjl2e1btqErvg5Vu7ZS4BbX3wgC2qLYySGnqI3BNI5VGhAnncnQcjHb+85qG+LKoPekgY9I0s0kGMxiz/bmy1mYm9O+Lj1mbVUr7BDjQ==";
    const NODE_VALUE: &str = "k8nkZDCi0hRfBc0RRefxeSHeGV0X60N03VCrhRhENKXBjrF/tEg=";

    /// Two values from apify/apify-shared-js `test/input_secrets.test.ts` ("should throw if
    /// secret object is not valid json"), encrypted with the same key.
    const SHARED_JS_SECURE: &str = "ENCRYPTED_VALUE:M8QcrS+opESY1KTi4bLvAx0Czxa+idIBq3XKD6gbzb7/CpK9soZrFhqgUIWsFKHMxbISUQu/Btex+WmakhDJFRA/vLLBp4Mit9JY+hwfnfQcBfwuI+ajqYyary6YqQth6gHKF5TZqhu2S1lc+O5t4oRRTCm+Qyk2dYY5nP0muCixatFT3Fu5UzpbFhElH8QiEbySy5jtjZLHZmFe9oPdk3Z8fV0nug9QlEuvYwR1eWK7e0A72zklgfBVNvjsA7OJ2rkaHHef6x6s36k4nI8uIvEHMOZJfuTBjail8xW00BrsKiecuTuRsREYinAMUszunqg0uJthhJFk+3GsrJEkIg==:LX2wyg1xhv94GQf7GRnR8ySbNrdlGrN0icw55a5H3kXhZ2SdOriLcjyPAU9GJob/NlFjzNkf";
    const SHARED_JS_NOT_JSON: &str = "ENCRYPTED_VALUE:kGUk2YdlMZGKdycmBUUZMSbZh/GMB+wvXkWDuI6G9cIzBnKQEqngpCb/lJSSdM4Gd1Xy6rwBVMxGm6ntnYaOyx6lgZqBs5hQqMe3Q0rK2ToW279ZNVNdMmeQDjPKKPpYEpz6p9yAmrRvWu7+1fW6UmazSYj1ErLI9WVJnG3MXb3CsSfQa3HHZ7Qtmgx5AXGT19z24cVSMqWsQOyJW2UwB83jcKcxqAS4w0YV9GsLgMX0K01BR1sXP303Om8c28h6EW6+Ad02pGWwANWjszwY/cWjCNXd44BqJxssLZ3rfk1EG8MkosdK0Zem9/8O4TCbxEAr7hQ2qVwNf43h4si05w==:ry21ohthwOdgBIR9TN0kxpSBe+h7rwhIxvSe4carBWYQWHSiYptLceQ55F8=";

    const SCHEMA: &str = r#"{
        "title": "t", "type": "object", "schemaVersion": 1,
        "properties": {
            "notify": {"title": "n", "type": "string", "editor": "textfield", "isSecret": true},
            "headers": {"title": "h", "type": "object", "editor": "json", "isSecret": true},
            "plain": {"title": "p", "type": "string", "editor": "textfield"}
        }
    }"#;

    fn fields() -> Vec<String> {
        secret_fields(&serde_json::from_str(SCHEMA).unwrap())
    }

    fn apify_test_key() -> &'static PrivateKey {
        static KEY: OnceLock<PrivateKey> = OnceLock::new();
        KEY.get_or_init(|| load_private_key(APIFY_TEST_KEY_B64, APIFY_TEST_PASSPHRASE).unwrap())
    }

    /// Two key pairs made once for all tests (2048 bits, about 0.1 s each here).
    fn keys() -> &'static [PrivateKey; 2] {
        static KEYS: OnceLock<[PrivateKey; 2]> = OnceLock::new();
        KEYS.get_or_init(|| {
            let mut rng = rand::rng();
            [0, 1].map(|_| PrivateKey::new(&mut rng, 2048).unwrap())
        })
    }

    /// The encrypt side, test-only (the emulator has its own; `tests/tests/secret_input.rs`
    /// proves the two agree): `cryptoRandomObjectId` key and IV, AES-256-GCM with the tag
    /// appended, RSA-OAEP-SHA1.
    fn seal(key: &PrivateKey, prefix: &str, plain: &str) -> String {
        const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        let mut rng = rand::rng();
        let secret: Vec<u8> = (0..AES_KEY_LEN + AES_IV_LEN)
            .map(|_| CHARS[rng.random_range(0..CHARS.len())])
            .collect();
        let cipher = Aes256Gcm16::new_from_slice(&secret[..AES_KEY_LEN]).unwrap();
        let nonce =
            aes_gcm::Nonce::<aes_gcm::aead::consts::U16>::try_from(&secret[AES_KEY_LEN..]).unwrap();
        let value = cipher.encrypt(&nonce, plain.as_bytes()).unwrap();
        let password = key
            .to_public_key()
            .oaep_encrypt::<sha1::Sha1>(&secret)
            .unwrap();
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        format!("{prefix}{}:{}", b64(&password), b64(&value))
    }

    #[test]
    fn decrypts_the_vector_node_encrypted_with_apifys_test_key() {
        // Known answer: the legacy DES-EDE3-CBC PEM, OAEP-SHA1, AES-256-GCM with a 16-byte IV.
        let mut input = json!({
            "notify": format!("ENCRYPTED_VALUE:{NODE_PASSWORD}:{NODE_VALUE}"),
            "plain": "x",
        });
        decrypt_input_secrets(&mut input, &fields(), apify_test_key()).unwrap();
        assert_eq!(
            input,
            json!({"notify": "encrypted_with_node_js", "plain": "x"})
        );
    }

    #[test]
    fn decrypts_apify_shared_js_vectors_as_strings_and_as_json() {
        let key = apify_test_key();
        let mut input = json!({"notify": SHARED_JS_SECURE, "headers": SHARED_JS_NOT_JSON});
        decrypt_input_secrets(&mut input, &fields(), key).unwrap();
        assert_eq!(input["notify"], r#"{ "key1": "value1", "key2": "value2" }"#);
        assert_eq!(input["headers"], r#"{ "key1": "value1", "key2" }"#);

        // The same ciphertexts as ENCRYPTED_JSON (with and without a schema hash): parsed.
        let as_json = |sealed: &str, hash: &str| {
            format!(
                "{ENCRYPTED_JSON_PREFIX}{hash}{}",
                sealed.strip_prefix(ENCRYPTED_STRING_PREFIX).unwrap()
            )
        };
        for hash in ["", "0123abcdef:"] {
            let mut input = json!({"headers": as_json(SHARED_JS_SECURE, hash)});
            decrypt_input_secrets(&mut input, &fields(), key).unwrap();
            assert_eq!(
                input["headers"],
                json!({"key1": "value1", "key2": "value2"})
            );
        }
        // Not JSON once decrypted: an error naming the field, as the SDK's.
        let mut input = json!({"headers": as_json(SHARED_JS_NOT_JSON, "")});
        let before = input.clone();
        let e = decrypt_input_secrets(&mut input, &fields(), key).unwrap_err();
        assert!(matches!(&e, SecretsError::Undecryptable { field, reason }
            if field == "headers" && reason.contains("JSON")));
        assert_eq!(input, before, "unchanged on an error");
    }

    #[test]
    fn round_trips_strings_and_json_with_a_generated_key() {
        let key = &keys()[0];
        for plain in [
            "",
            "https://hooks.slack.com/services/T0/B0/x",
            "👍 ü \" \\ : =",
        ] {
            let mut input = json!({"notify": seal(key, ENCRYPTED_STRING_PREFIX, plain)});
            decrypt_input_secrets(&mut input, &fields(), key).unwrap();
            assert_eq!(input["notify"], plain);
        }
        for value in [
            json!({"a": [1, 2], "b": "ü"}),
            json!(["x", "y"]),
            json!("s"),
        ] {
            let sealed = seal(key, ENCRYPTED_JSON_PREFIX, &value.to_string());
            let mut input = json!({ "headers": sealed });
            decrypt_input_secrets(&mut input, &fields(), key).unwrap();
            assert_eq!(input["headers"], value);
        }
    }

    #[test]
    fn only_encrypted_values_of_secret_fields_are_touched() {
        let key = &keys()[0];
        let sealed = seal(key, ENCRYPTED_STRING_PREFIX, "secret");
        let original = json!({
            "notify": "https://example.com/plain",
            "headers": {"a": 1},
            "plain": sealed,
            "other": 3,
        });
        let mut input = original.clone();
        decrypt_input_secrets(&mut input, &fields(), key).unwrap();
        assert_eq!(
            input, original,
            "plain secrets and non-secret fields stay as they are"
        );
        // No secret field encrypted: no key needed, none read.
        let mut input = original.clone();
        decrypt_with_key_from(&mut input, SCHEMA, |_| panic!("the key is not read")).unwrap();
        assert_eq!(input, original);
        // Not an object at all.
        let mut input = json!(null);
        decrypt_input_secrets(&mut input, &fields(), key).unwrap();
        assert_eq!(input, json!(null));
    }

    /// No error text holds anything of the value, encrypted or plain.
    fn assert_clean(e: &SecretsError, sealed: &str, plain: &str) {
        let text = format!("{e} {e:?}");
        assert!(!text.contains(plain), "{text}");
        for part in sealed.split(':').skip(1) {
            assert!(part.len() < 8 || !text.contains(part), "{text}");
        }
        let runtime: crate::error::RuntimeError = match e {
            SecretsError::NoKey { fields } => SecretsError::NoKey {
                fields: fields.clone(),
            },
            SecretsError::Undecryptable { field, reason } => SecretsError::Undecryptable {
                field: field.clone(),
                reason,
            },
            SecretsError::BadKey { var, reason } => SecretsError::BadKey {
                var,
                reason: reason.clone(),
            },
        }
        .into();
        let text = runtime.to_string();
        assert!(text.contains("notify"), "{text}");
        assert!(!text.contains(plain), "{text}");
    }

    #[test]
    fn a_value_encrypted_for_another_key_is_an_error_naming_the_field() {
        let [ours, theirs] = keys();
        let plain = "https://hooks.example/T/B/very-secret";
        let sealed = seal(theirs, ENCRYPTED_STRING_PREFIX, plain);
        let mut input = json!({ "notify": sealed });
        let e = decrypt_input_secrets(&mut input, &fields(), ours).unwrap_err();
        assert!(
            matches!(&e, SecretsError::Undecryptable { field, .. } if field == "notify"),
            "{e}"
        );
        assert!(e.to_string().contains("`notify`"));
        assert_clean(&e, &sealed, plain);
        assert_eq!(
            crate::error::RuntimeError::from(e).exit_code(),
            2,
            "a bad input"
        );
    }

    #[test]
    fn altered_or_malformed_values_are_errors_naming_the_field() {
        let key = &keys()[0];
        let sealed = seal(key, ENCRYPTED_STRING_PREFIX, "secret");
        let (head, value) = sealed.rsplit_once(':').unwrap();
        let mut bytes = base64::engine::general_purpose::STANDARD
            .decode(value)
            .unwrap();
        bytes[0] ^= 1;
        let altered = format!(
            "{head}:{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        );
        for bad in [
            altered.as_str(),
            "ENCRYPTED_VALUE:",
            "ENCRYPTED_VALUE:a:b:c:d",
            "ENCRYPTED_VALUE:not base64!:AAAA",
            "ENCRYPTED_JSON:AAAA:AAAA",
        ] {
            let mut input = json!({ "notify": bad });
            let e = decrypt_input_secrets(&mut input, &fields(), key).unwrap_err();
            assert!(
                matches!(&e, SecretsError::Undecryptable { field, .. } if field == "notify"),
                "{bad}: {e}"
            );
            assert_clean(&e, bad, "secret");
        }
    }

    #[test]
    fn an_encrypted_value_without_a_key_in_the_environment_names_the_field() {
        let key = &keys()[0];
        let plain = "https://hooks.example/T/B/very-secret";
        let sealed = seal(key, ENCRYPTED_STRING_PREFIX, plain);
        let mut input = json!({ "notify": sealed, "plain": "p" });
        let before = input.clone();
        let e = decrypt_with_key_from(&mut input, SCHEMA, |_| None).unwrap_err();
        assert!(matches!(&e, SecretsError::NoKey { fields } if fields == &["notify"]));
        let text = e.to_string();
        assert!(
            text.starts_with(
                "input field `notify` is encrypted but the run has no input-secrets key"
            ),
            "{text}"
        );
        assert!(text.contains(KEY_FILE_ENV) && text.contains(KEY_PASSPHRASE_ENV));
        assert_clean(&e, &sealed, plain);
        assert_eq!(input, before);
        // Two fields: both named.
        let mut input =
            json!({ "notify": sealed, "headers": seal(key, ENCRYPTED_JSON_PREFIX, "{}") });
        let e = decrypt_with_key_from(&mut input, SCHEMA, |_| None).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("input fields `notify`, `headers` are encrypted"));
    }

    #[test]
    fn the_key_comes_from_the_environment_as_the_platform_passes_it() {
        let mut input = json!({
            "notify": format!("ENCRYPTED_VALUE:{NODE_PASSWORD}:{NODE_VALUE}"),
        });
        let env = |name: &str| match name {
            KEY_FILE_ENV => Some(APIFY_TEST_KEY_B64.to_owned()),
            KEY_PASSPHRASE_ENV => Some(APIFY_TEST_PASSPHRASE.to_owned()),
            _ => None,
        };
        decrypt_with_key_from(&mut input, SCHEMA, env).unwrap();
        assert_eq!(input["notify"], "encrypted_with_node_js");
        // The ACTOR_ spelling as a fallback.
        let mut input = json!({
            "notify": format!("ENCRYPTED_VALUE:{NODE_PASSWORD}:{NODE_VALUE}"),
        });
        let env = |name: &str| match name {
            "ACTOR_INPUT_SECRETS_PRIVATE_KEY_FILE" => Some(APIFY_TEST_KEY_B64.to_owned()),
            "ACTOR_INPUT_SECRETS_PRIVATE_KEY_PASSPHRASE" => Some(APIFY_TEST_PASSPHRASE.to_owned()),
            _ => None,
        };
        decrypt_with_key_from(&mut input, SCHEMA, env).unwrap();
        assert_eq!(input["notify"], "encrypted_with_node_js");
    }

    #[test]
    fn keys_load_in_every_pem_form_and_a_wrong_passphrase_is_named() {
        use rsa::pkcs8::EncodePrivateKey;
        let key = &keys()[1];
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        // Unencrypted PKCS#8, as PEM text and base64.
        let pem = key.to_pkcs8_pem(rsa::pkcs8::LineEnding::LF).unwrap();
        assert_eq!(&load_private_key(&pem, "").unwrap(), key);
        assert_eq!(&load_private_key(&b64(&pem), "ignored").unwrap(), key);
        // Encrypted PKCS#8 (PBES2: PBKDF2-SHA256, AES-256-CBC), as the emulator writes it.
        let der = key.to_pkcs8_der().unwrap();
        let params = pkcs8::pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(
            2048, &[7; 16], [9; 16],
        )
        .unwrap();
        let encrypted = rsa::pkcs8::PrivateKeyInfoRef::try_from(der.as_bytes())
            .unwrap()
            .encrypt_with_params(params, "pass phrase")
            .unwrap()
            .to_pem("ENCRYPTED PRIVATE KEY", rsa::pkcs8::LineEnding::LF)
            .unwrap();
        assert_eq!(
            &load_private_key(&b64(&encrypted), "pass phrase").unwrap(),
            key
        );
        // Legacy OpenSSL PEM with AES-256-CBC (the DES-EDE3-CBC form is Apify's test key).
        let legacy = legacy_pem(key, "pass phrase");
        assert_eq!(
            &load_private_key(&b64(&legacy), "pass phrase").unwrap(),
            key
        );

        for (pem, wrong) in [
            (encrypted.as_str(), "nope"),
            (&legacy, "nope"),
            (&legacy, ""),
        ] {
            let e = load_private_key(&b64(pem), wrong).unwrap_err();
            assert!(
                matches!(
                    e,
                    SecretsError::BadKey {
                        var: KEY_PASSPHRASE_ENV,
                        ..
                    }
                ),
                "{e}"
            );
        }
        let e = load_private_key(APIFY_TEST_KEY_B64, "wrong").unwrap_err();
        assert!(
            matches!(
                e,
                SecretsError::BadKey {
                    var: KEY_PASSPHRASE_ENV,
                    ..
                }
            ),
            "{e}"
        );
        for garbage in [
            "",
            "%%%",
            "bm90IGEgcGVt",
            "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n",
        ] {
            let e = load_private_key(garbage, "p").unwrap_err();
            assert!(
                matches!(
                    e,
                    SecretsError::BadKey {
                        var: KEY_FILE_ENV,
                        ..
                    }
                ),
                "{e}"
            );
        }
    }

    #[test]
    fn validation_errors_about_a_secret_never_quote_its_value() {
        let schema_text = r#"{
            "title": "t", "type": "object", "schemaVersion": 1,
            "properties": {
                "notify": {"title": "n", "type": "string", "editor": "textfield",
                           "isSecret": true, "pattern": "^https://"},
                "days": {"title": "d", "type": "integer", "editor": "number", "maximum": 9}
            }
        }"#;
        let schema = forge_core::input::InputSchema::parse(schema_text).unwrap();
        let plain = "http://hooks.example/T/B/very-secret";
        let env = |name: &str| match name {
            KEY_FILE_ENV => Some(APIFY_TEST_KEY_B64.to_owned()),
            KEY_PASSPHRASE_ENV => Some(APIFY_TEST_PASSPHRASE.to_owned()),
            _ => None,
        };
        // Through the environment's key (the Apify test key), then validation.
        let apify_public = apify_test_key();
        let mut input = json!({
            "notify": seal(apify_public, ENCRYPTED_STRING_PREFIX, plain),
            "days": 10,
        });
        let secrets = decrypt_with_key_from(&mut input, schema_text, env).unwrap();
        assert_eq!(input["notify"], plain);
        assert!(!format!("{secrets:?}").contains(plain));
        let raw = schema.resolve(Some(&input)).unwrap_err();
        assert!(
            raw.to_string().contains(plain),
            "the risk this guards: {raw}"
        );
        let text = secrets.redact(raw).to_string();
        assert!(!text.contains(plain), "{text}");
        assert!(
            text.contains("notify") && text.contains("days") && text.contains("10"),
            "{text}"
        );
    }

    /// `openssl rsa -aes256` output: PKCS#1 DER, CBC under `EVP_BytesToKey(MD5)`.
    fn legacy_pem(key: &PrivateKey, passphrase: &str) -> String {
        use cbc::cipher::{block_padding::Pkcs7, BlockModeEncrypt, KeyIvInit};
        use rsa::pkcs1::EncodeRsaPrivateKey;
        let der = key.to_pkcs1_der().unwrap();
        let iv: [u8; 16] = std::array::from_fn(|i| i as u8 * 17);
        let k = evp_bytes_to_key(passphrase.as_bytes(), &iv[..8], 32);
        let body = cbc::Encryptor::<aes_gcm::aes::Aes256>::new_from_slices(&k, &iv)
            .unwrap()
            .encrypt_padded_vec::<Pkcs7>(der.as_bytes());
        let iv_hex: String = iv.iter().map(|b| format!("{b:02X}")).collect();
        let b64 = base64::engine::general_purpose::STANDARD.encode(body);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,{iv_hex}\n\n{}\n-----END RSA PRIVATE KEY-----\n",
            lines.join("\n")
        )
    }
}
