//! Errors: the API error envelope (`{"error":{"type","message"}}`) and the emulator's own errors.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("cannot bind the emulator socket: {0}")]
    Bind(#[from] std::io::Error),
    #[error("invalid fixture: {0}")]
    Fixture(String),
}

/// An API error as Apify returns it, with one of the documented `error.type` strings.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub message: String,
}

pub type ApiResult<T = Response> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            kind,
            message: message.into(),
        }
    }

    pub fn token_not_provided() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "token-not-provided",
            "Authentication token was not provided",
        )
    }

    pub fn token_invalid() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "user-or-token-not-found",
            "User was not found or authentication token is not valid",
        )
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "insufficient-permissions",
            "Insufficient permissions for this action. Make sure you're passing a correct API token and that it has the required permissions.",
        )
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "record-not-found",
            format!("{what} was not found"),
        )
    }

    pub fn bad_request(kind: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, kind, message)
    }

    pub fn invalid_param(name: &str, value: &str) -> Self {
        Self::bad_request(
            "invalid-parameter",
            format!("Invalid value of parameter \"{name}\": {value:?}"),
        )
    }

    pub fn page_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "page-not-found",
            "We have bad news: there is no API endpoint at this URL. Did you specify it correctly?",
        )
    }

    pub fn rate_limited(limit: u32) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limit-exceeded",
            format!("You have exceeded the rate limit of {limit} requests per second"),
        )
    }

    pub fn too_large(limit: usize, actual: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request-too-large",
            format!(
                "The POST payload is too large (limit: {limit} bytes, actual length: {actual} bytes)."
            ),
        )
    }

    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({ "error": { "type": self.kind, "message": self.message } })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        json_response(self.status, &self.body())
    }
}

/// A JSON response with Apify's content type.
pub fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    raw_json_response(status, body.to_string())
}

/// A response from already serialized JSON text (used for large list pages).
pub fn raw_json_response(status: StatusCode, body: String) -> Response {
    let mut resp = (status, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

/// `{"data": value}` with status 200.
pub fn data(value: serde_json::Value) -> Response {
    data_with(StatusCode::OK, value)
}

pub fn data_with(status: StatusCode, value: serde_json::Value) -> Response {
    json_response(status, &serde_json::json!({ "data": value }))
}
