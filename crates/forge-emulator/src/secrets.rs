//! Secret inputs, stored as the platform stores them: when a run starts, every top-level input
//! field its build's input schema marks `"isSecret": true` is encrypted in the run's `INPUT`
//! record, and the Actor process gets the private key in its environment, under the platform's
//! names. Only the encrypt side lives here (the emulator never depends on the runtime); the
//! runtime's `forge_runtime::secrets` decrypts, and `tests/tests/secret_input.rs` proves the two
//! agree.
//!
//! The scheme is Apify's (`@apify/input_secrets` and `@apify/utilities` `publicEncrypt` in
//! apify/apify-shared-js; `forge_runtime::secrets` documents it with its sources):
//!
//! * a string becomes `ENCRYPTED_VALUE:<password>:<value>`; an object or array becomes
//!   `ENCRYPTED_JSON:<schemaHash>:<password>:<value>` of its JSON text, the schema hash being
//!   the first 10 hex digits of the SHA-256 of the field's schema, normalised (keys sorted,
//!   `title`, `description`, `sectionCaption`, `sectionDescription`, `nullable`, `example` and
//!   `editor` dropped);
//! * `<password>`: base64 of RSA-OAEP (SHA-1, MGF1-SHA-1) over a random 32-character AES key and
//!   a 16-character IV (`[A-Za-z0-9]`, as `cryptoRandomObjectId`);
//! * `<value>`: base64 of AES-256-GCM (16-byte IV) ciphertext with the 16-byte tag appended;
//! * values already in that form, empty strings, `null`, numbers and booleans are left alone
//!   (the platform skips falsy and already-encrypted values);
//! * `APIFY_INPUT_SECRETS_PRIVATE_KEY_FILE` is the base64 of the PEM text (not a path: both SDKs
//!   base64-decode it), here PKCS#8 `ENCRYPTED PRIVATE KEY` (PBES2: PBKDF2-HMAC-SHA256,
//!   AES-256-CBC) under a random passphrase in `APIFY_INPUT_SECRETS_PRIVATE_KEY_PASSPHRASE`.
//!
//! One RSA-2048 key pair serves every emulator of the process. It is made on first use
//! ([`emulator_key`]): about 0.05–0.1 s with the dev profile's optimised dependencies, so a
//! process whose runs never carry a secret never pays for it.

use std::fmt;
use std::sync::OnceLock;

use base64::Engine;
use rand::RngExt;
use rsa::pkcs8::EncodePrivateKey;
use rsa::{PrivateKey, PublicKey};
use serde_json::{Map, Value};
use sha2::Digest;

/// The platform's variable with the base64-encoded PEM of the run's private key.
pub const KEY_FILE_ENV: &str = "APIFY_INPUT_SECRETS_PRIVATE_KEY_FILE";
/// The platform's variable with that key's passphrase.
pub const KEY_PASSPHRASE_ENV: &str = "APIFY_INPUT_SECRETS_PRIVATE_KEY_PASSPHRASE";

const STRING_PREFIX: &str = "ENCRYPTED_VALUE";
const JSON_PREFIX: &str = "ENCRYPTED_JSON";
const AES_KEY_LEN: usize = 32;
const AES_IV_LEN: usize = 16;
/// `cryptoRandomObjectId`'s alphabet (the original has `ABCED`: the same set of characters).
const ID_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// Field-schema keys the platform leaves out of the schema hash.
const HASH_OMITTED_KEYS: [&str; 7] = [
    "title",
    "description",
    "sectionCaption",
    "sectionDescription",
    "nullable",
    "example",
    "editor",
];
/// Key size of the emulator's key pair.
pub const KEY_BITS: usize = 2048;
/// PBKDF2 rounds of the PEM's encryption. The passphrase is 32 random characters, so the
/// count adds nothing to its strength; it only costs every Actor process at start.
const PBKDF2_ROUNDS: u32 = 2048;

/// AES-256-GCM with the 16-byte IV Apify uses.
type Aes256Gcm16 = aes_gcm::AesGcm<aes_gcm::aes::Aes256, aes_gcm::aead::consts::U16>;

/// An input-secrets key pair: the public half encrypts `INPUT` fields, the private half goes
/// to the Actor process as the platform passes it. Its `Debug` shows neither.
pub struct InputSecretsKey {
    public: PublicKey,
    key_file: String,
    passphrase: String,
}

impl fmt::Debug for InputSecretsKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InputSecretsKey").finish_non_exhaustive()
    }
}

impl InputSecretsKey {
    /// A new key pair of `bits` bits, its private half PEM-encoded under a random passphrase.
    pub fn generate(bits: usize) -> Result<InputSecretsKey, String> {
        let mut rng = rand::rng();
        let private = PrivateKey::new(&mut rng, bits).map_err(|e| format!("RSA key: {e}"))?;
        let passphrase = random_id(&mut rng, 32);
        let salt: [u8; 16] = rng.random();
        let iv: [u8; 16] = rng.random();
        let params = pkcs8::pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(
            PBKDF2_ROUNDS,
            &salt,
            iv,
        )
        .map_err(|e| format!("PBES2 parameters: {e}"))?;
        let der = private.to_pkcs8_der().map_err(|e| format!("PKCS#8: {e}"))?;
        let pem = pkcs8::PrivateKeyInfoRef::try_from(der.as_bytes())
            .and_then(|info| info.encrypt_with_params(params, passphrase.as_bytes()))
            .and_then(|doc| {
                doc.to_pem("ENCRYPTED PRIVATE KEY", pkcs8::LineEnding::LF)
                    .map_err(Into::into)
            })
            .map_err(|e| format!("encrypted PKCS#8: {e}"))?;
        Ok(InputSecretsKey {
            public: private.to_public_key(),
            key_file: base64::engine::general_purpose::STANDARD.encode(pem.as_bytes()),
            passphrase,
        })
    }

    /// The public key that encrypts.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The environment that gives a run the private key, under the platform's names.
    pub fn env(&self) -> [(&'static str, String); 2] {
        [
            (KEY_FILE_ENV, self.key_file.clone()),
            (KEY_PASSPHRASE_ENV, self.passphrase.clone()),
        ]
    }
}

/// The process's key pair, made on first use (see the module docs).
pub fn emulator_key() -> Result<&'static InputSecretsKey, String> {
    static KEY: OnceLock<Result<InputSecretsKey, String>> = OnceLock::new();
    KEY.get_or_init(|| InputSecretsKey::generate(KEY_BITS))
        .as_ref()
        .map_err(Clone::clone)
}

/// A build's input schema: `inputSchema` (JSON text, or an object) or `actorDefinition.input`.
pub fn build_input_schema(build: &Value) -> Option<Value> {
    match build.get("inputSchema") {
        Some(Value::String(text)) => serde_json::from_str(text).ok(),
        Some(v @ Value::Object(_)) => Some(v.clone()),
        _ => None,
    }
    .or_else(|| {
        build
            .get("actorDefinition")
            .and_then(|d| d.get("input"))
            .filter(|i| i.is_object())
            .cloned()
    })
}

/// The top-level properties `input_schema` marks `"isSecret": true`, with their schemas.
pub fn secret_fields(input_schema: &Value) -> Vec<(&str, &Value)> {
    input_schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|props| {
            props
                .iter()
                .filter(|(_, p)| p.get("isSecret").and_then(Value::as_bool) == Some(true))
                .map(|(k, p)| (k.as_str(), p))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether [`encrypt_input_secrets`] would encrypt anything of `input` under `input_schema`.
pub fn needs_encryption(input: &Value, input_schema: &Value) -> bool {
    secret_fields(input_schema)
        .iter()
        .any(|(name, _)| input.get(*name).is_some_and(is_encryptable))
}

/// Encrypts, in `input`, every secret field of `input_schema` that holds a plain value (a
/// non-empty string, an object or an array), as the platform does when it stores a run's
/// input. Returns the names of the fields it encrypted. An error names the field, never the
/// value.
pub fn encrypt_input_secrets(
    input: &mut Value,
    input_schema: &Value,
    public: &PublicKey,
) -> Result<Vec<String>, String> {
    let mut done = Vec::new();
    let Some(obj) = input.as_object_mut() else {
        return Ok(done);
    };
    for (name, field_schema) in secret_fields(input_schema) {
        let Some(value) = obj.get_mut(name).filter(|v| is_encryptable(v)) else {
            continue;
        };
        *value = Value::String(
            encrypt_value(public, value, Some(field_schema)).map_err(|e| {
                format!(
                    "The input field \"{name}\" could not be encrypted. Try updating the \
                     field's value in the input editor. Encryption error: {e}"
                )
            })?,
        );
        done.push(name.to_owned());
    }
    Ok(done)
}

/// One value in the platform's encrypted form: `ENCRYPTED_VALUE` for a string,
/// `ENCRYPTED_JSON` (with the hash of `field_schema`, when given) for anything else.
pub fn encrypt_value(
    public: &PublicKey,
    value: &Value,
    field_schema: Option<&Value>,
) -> Result<String, String> {
    use aes_gcm::aead::{Aead, KeyInit};
    let (prefix, plain) = match (value, field_schema) {
        (Value::String(s), _) => (STRING_PREFIX.to_owned(), s.clone()),
        (other, Some(schema)) => (
            format!("{JSON_PREFIX}:{}", field_schema_hash(schema)),
            other.to_string(),
        ),
        (other, None) => (JSON_PREFIX.to_owned(), other.to_string()),
    };
    let mut rng = rand::rng();
    let secret = random_id(&mut rng, AES_KEY_LEN + AES_IV_LEN);
    let (key, iv) = secret.as_bytes().split_at(AES_KEY_LEN);
    let cipher = Aes256Gcm16::new_from_slice(key).map_err(|_| "AES key length")?;
    let nonce =
        aes_gcm::Nonce::<aes_gcm::aead::consts::U16>::try_from(iv).map_err(|_| "AES IV length")?;
    let sealed = cipher
        .encrypt(&nonce, plain.as_bytes())
        .map_err(|_| "AES-GCM encryption failed")?;
    let password = public
        .oaep_encrypt::<sha1::Sha1>(secret.as_bytes())
        .map_err(|e| format!("RSA-OAEP: {e}"))?;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    Ok(format!("{prefix}:{}:{}", b64(&password), b64(&sealed)))
}

/// The platform's hash of a field schema: SHA-256 of its normalised JSON, first 10 hex digits.
/// (serde_json writes integers and strings as `JSON.stringify` does; a float such as `1.0` it
/// writes differently, which would only make the platform ask for the value again.)
pub fn field_schema_hash(field_schema: &Value) -> String {
    fn normalise(v: &Value) -> Value {
        match v {
            Value::Array(items) => Value::Array(items.iter().map(normalise).collect()),
            Value::Object(o) => {
                let mut keys: Vec<&String> = o
                    .keys()
                    .filter(|k| !HASH_OMITTED_KEYS.contains(&k.as_str()))
                    .collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), normalise(&o[k])))
                        .collect::<Map<_, _>>(),
                )
            }
            other => other.clone(),
        }
    }
    let digest = sha2::Sha256::digest(normalise(field_schema).to_string().as_bytes());
    digest.iter().take(5).map(|b| format!("{b:02x}")).collect()
}

/// A value the platform encrypts: a non-empty string not already encrypted, an object, an array.
fn is_encryptable(v: &Value) -> bool {
    match v {
        Value::String(s) => !s.is_empty() && !is_encrypted(s),
        Value::Object(_) | Value::Array(_) => true,
        _ => false,
    }
}

/// Whether `s` is already in the encrypted form:
/// `^(ENCRYPTED_VALUE|ENCRYPTED_JSON):(?:(B):)?(B):(B)$`, `B = [-A-Za-z0-9+/]*={0,3}`.
pub fn is_encrypted(s: &str) -> bool {
    let Some(rest) = s
        .strip_prefix("ENCRYPTED_VALUE:")
        .or_else(|| s.strip_prefix("ENCRYPTED_JSON:"))
    else {
        return false;
    };
    let parts: Vec<&str> = rest.split(':').collect();
    (parts.len() == 2 || parts.len() == 3)
        && parts.iter().all(|p| {
            let body = p.trim_end_matches('=');
            p.len() - body.len() <= 3
                && body
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-'))
        })
}

fn random_id(rng: &mut impl rand::Rng, len: usize) -> String {
    (0..len)
        .map(|_| char::from(ID_CHARS[rng.random_range(0..ID_CHARS.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_fields_of_a_schema_are_encrypted_once_and_others_kept() {
        let key = emulator_key().unwrap();
        let schema = json!({"properties": {
            "notify": {"type": "string", "isSecret": true, "editor": "textfield"},
            "headers": {"type": "object", "isSecret": true, "editor": "json"},
            "empty": {"type": "string", "isSecret": true},
            "plain": {"type": "string"},
        }});
        let mut input = json!({
            "notify": "https://hooks.example/x",
            "headers": {"a": 1},
            "empty": "",
            "plain": "https://hooks.example/x",
        });
        assert!(needs_encryption(&input, &schema));
        let done = encrypt_input_secrets(&mut input, &schema, key.public_key()).unwrap();
        assert_eq!(done, ["notify", "headers"]);
        let notify = input["notify"].as_str().unwrap();
        assert!(notify.starts_with("ENCRYPTED_VALUE:") && is_encrypted(notify));
        assert!(!notify.contains("hooks.example"));
        let headers = input["headers"].as_str().unwrap();
        let hash = field_schema_hash(&schema["properties"]["headers"]);
        assert!(
            headers.starts_with(&format!("ENCRYPTED_JSON:{hash}:")),
            "{headers}"
        );
        assert!(is_encrypted(headers));
        assert_eq!(input["empty"], "");
        assert_eq!(input["plain"], "https://hooks.example/x");
        // Already encrypted: left alone, as the platform does with a task's stored input.
        let again = input.clone();
        assert!(!needs_encryption(&input, &schema));
        assert!(encrypt_input_secrets(&mut input, &schema, key.public_key())
            .unwrap()
            .is_empty());
        assert_eq!(input, again);
        // The private half is there for the run, and hidden from Debug.
        let env = key.env();
        assert_eq!(env[0].0, KEY_FILE_ENV);
        assert_eq!(env[1].0, KEY_PASSPHRASE_ENV);
        let pem = base64::engine::general_purpose::STANDARD
            .decode(&env[0].1)
            .unwrap();
        assert!(String::from_utf8(pem)
            .unwrap()
            .starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        assert!(!format!("{key:?}").contains(&env[1].1));
    }

    #[test]
    fn the_schema_hash_ignores_presentation_and_key_order() {
        let a = json!({"type": "object", "isSecret": true, "title": "A", "editor": "json",
                       "properties": {"x": {"type": "string", "description": "d"}}});
        let b = json!({"properties": {"x": {"type": "string"}}, "isSecret": true,
                       "type": "object", "sectionCaption": "S"});
        assert_eq!(field_schema_hash(&a), field_schema_hash(&b));
        assert_eq!(field_schema_hash(&a).len(), 10);
        let c = json!({"type": "array", "isSecret": true});
        assert_ne!(field_schema_hash(&a), field_schema_hash(&c));
    }

    #[test]
    fn build_schemas_come_from_input_schema_text_or_the_definition() {
        let schema = json!({"properties": {"k": {"type": "string", "isSecret": true}}});
        let text = json!({"inputSchema": schema.to_string()});
        let def = json!({"actorDefinition": {"input": schema}});
        assert_eq!(build_input_schema(&text), Some(schema.clone()));
        assert_eq!(build_input_schema(&def), Some(schema));
        assert_eq!(build_input_schema(&json!({})), None);
    }
}
