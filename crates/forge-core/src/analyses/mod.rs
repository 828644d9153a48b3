pub mod cost;
pub mod fleet;
pub mod release_gate;
pub mod schema_validator;
