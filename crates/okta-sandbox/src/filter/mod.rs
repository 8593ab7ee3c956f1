//! Okta's SCIM-like filter/search expressions: parse once, check against what an endpoint
//! supports, then evaluate against the resources' JSON as the API returns them.
//!
//! Split by job: `lexer` (tokens), `parser` (precedence, parentheses), `dialect` (what each
//! endpoint accepts), `eval` (matching a JSON resource).

mod dialect;
mod eval;
mod lexer;
mod parser;

pub use dialect::Dialect;
pub use eval::matches;
pub use parser::parse;

/// A comparison operator. `Pr` (present) is the only one without a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Sw,
    Ew,
    Co,
    Pr,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    fn from_word(word: &str) -> Option<Op> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "sw" => Op::Sw,
            "ew" => Op::Ew,
            "co" => Op::Co,
            "pr" => Op::Pr,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "lt" => Op::Lt,
            "le" => Op::Le,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Sw => "sw",
            Op::Ew => "ew",
            Op::Co => "co",
            Op::Pr => "pr",
            Op::Gt => "gt",
            Op::Ge => "ge",
            Op::Lt => "lt",
            Op::Le => "le",
        }
    }
}

/// A literal on the right of an operator.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
}

/// A parsed expression tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    /// `path pr`
    Present(String),
    Compare {
        path: String,
        op: Op,
        value: Literal,
    },
}

/// Why an expression was refused; the API turns it into Okta's 400 body.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct FilterError(pub String);

/// Parses `input` and checks it against `dialect` in one step.
pub fn compile(input: &str, dialect: &Dialect) -> Result<Expr, FilterError> {
    let expr = parse(input)?;
    dialect.check(&expr)?;
    Ok(expr)
}
