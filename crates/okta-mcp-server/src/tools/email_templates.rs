//! Email templates and customizations.

use crate::tools::ToolDef;

pub fn tools() -> Vec<ToolDef> {
    Vec::new()
}
