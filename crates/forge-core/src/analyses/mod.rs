pub mod ab;
pub mod acknowledge;
pub mod action_plan;
pub mod alerts;
pub mod compliance;
pub mod cost;
pub mod fanout;
pub mod fleet;
pub mod health;
pub mod probe;
pub mod quality;
pub mod release_gate;
pub mod schema_validator;

/// `v` when it is finite and `ok`, else `default`: an odd setting (NaN, out of range) falls
/// back to its default instead of turning findings into NaN.
pub(crate) fn sane(v: f64, default: f64, ok: bool) -> f64 {
    if v.is_finite() && ok {
        v
    } else {
        default
    }
}
