//! Device assurance policies, with each platform's own rules.

use crate::tools::ToolDef;

pub fn tools() -> Vec<ToolDef> {
    Vec::new()
}
