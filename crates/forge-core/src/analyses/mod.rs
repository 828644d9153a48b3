pub mod ab;
pub mod compliance;
pub mod cost;
pub mod fleet;
pub mod probe;
pub mod quality;
pub mod release_gate;
pub mod schema_validator;
