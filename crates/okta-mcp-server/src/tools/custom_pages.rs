//! Custom sign-in, error and sign-out pages.

use crate::tools::ToolDef;

pub fn tools() -> Vec<ToolDef> {
    Vec::new()
}
