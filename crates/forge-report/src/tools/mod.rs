//! One module per tool: the sections its OUTPUT supports, after the common header.

pub mod ab;
pub mod compliance;
pub mod cost;
pub mod fleet;
pub mod quality;
pub mod schema;
