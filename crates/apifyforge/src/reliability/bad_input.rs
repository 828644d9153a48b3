//! Reliability suite: bad_input (see [`super`]).

use super::{Harness, Section};

pub async fn run(h: &Harness) -> anyhow::Result<Section> {
    let _ = h;
    Ok(Section {
        title: "bad_input".into(),
        ..Section::default()
    })
}
