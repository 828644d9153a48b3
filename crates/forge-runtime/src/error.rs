use forge_core::input::InputError;
use forge_core::permission::Permission;

/// Everything that can stop a tool, with messages a user can act on. None of them ever
/// contains the token: the client's errors carry method, path and the API's message only.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(
        "the API token lacks the {permission} permission, needed to {operation}. Without it: {}. \
         Add it to the token in Apify Console > Settings > API & Integrations.",
        permission.disables()
    )]
    MissingPermission {
        permission: Permission,
        operation: &'static str,
    },
    #[error("the API token was rejected (401: {0}); check APIFY_TOKEN")]
    Unauthorized(String),
    #[error(transparent)]
    InvalidInput(#[from] InputError),
    #[error("{operation} failed: {message}")]
    Api {
        operation: &'static str,
        message: String,
    },
    #[error("{0} not found")]
    NotFound(String),
    #[error("environment: {0}")]
    Env(String),
    #[error("local storage at {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Other(String),
}

impl RuntimeError {
    /// The process exit code: 2 for bad input (nothing was called), 1 for everything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            RuntimeError::InvalidInput(_) => 2,
            _ => 1,
        }
    }
}
