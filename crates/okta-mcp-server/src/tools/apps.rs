//! Applications: catalogue, lifecycle and assignments.

use crate::tools::ToolDef;

pub fn tools() -> Vec<ToolDef> {
    Vec::new()
}
