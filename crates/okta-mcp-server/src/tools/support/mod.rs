//! Helpers that more than one tool area uses. A tool module never imports another tool
//! module (guards.rs checks it); what two areas share lives here, one file per purpose.

pub mod arguments;
pub mod bulk;
pub mod domain_names;
pub mod files;
pub mod ids;
pub mod labels;
pub mod output_schemas;
pub mod plan;
pub mod query;
pub mod replies;
pub mod time_window;
