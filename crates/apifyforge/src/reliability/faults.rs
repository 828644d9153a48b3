//! Reliability suite: faults (see [`super`]).

use super::{Harness, Section};

pub async fn run(h: &Harness) -> anyhow::Result<Section> {
    let _ = h;
    Ok(Section {
        title: "faults".into(),
        ..Section::default()
    })
}
