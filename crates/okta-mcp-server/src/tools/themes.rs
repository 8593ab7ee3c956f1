//! Brand themes and their images.

use crate::tools::ToolDef;

pub fn tools() -> Vec<ToolDef> {
    Vec::new()
}
