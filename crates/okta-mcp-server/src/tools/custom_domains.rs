//! Custom domains and their certificates.

use crate::tools::ToolDef;

pub fn tools() -> Vec<ToolDef> {
    Vec::new()
}
