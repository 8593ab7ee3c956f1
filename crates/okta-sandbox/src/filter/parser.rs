//! Recursive descent with SCIM precedence: `not` binds tightest, then `and`, then `or`.

use super::lexer::{Token, tokenize};
use super::{Expr, FilterError, Literal, Op};

/// Longest expression accepted, in characters and in tokens. Okta refuses overly complex
/// searches too; the bound also keeps parsing and evaluation recursion shallow.
const MAX_INPUT_CHARS: usize = 4096;
const MAX_TOKENS: usize = 400;

/// Parses a whole expression; trailing tokens are an error.
pub fn parse(input: &str) -> Result<Expr, FilterError> {
    if input.chars().count() > MAX_INPUT_CHARS {
        return Err(FilterError("expression is too long".into()));
    }
    let tokens = tokenize(input)?;
    if tokens.len() > MAX_TOKENS {
        return Err(FilterError("expression is too complex".into()));
    }
    if tokens.is_empty() {
        return Err(FilterError("empty expression".into()));
    }
    let mut parser = Parser { tokens, pos: 0 };
    let expr = parser.or_expr()?;
    match parser.peek() {
        None => Ok(expr),
        Some(token) => Err(FilterError(format!("unexpected {token:?}"))),
    }
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(keyword))
    }

    fn or_expr(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.and_expr()?;
        while self.peek_keyword("or") {
            self.pos += 1;
            let right = self.and_expr()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.unary()?;
        while self.peek_keyword("and") {
            self.pos += 1;
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        if self.peek_keyword("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        match self.next() {
            Some(Token::Open) => {
                let inner = self.or_expr()?;
                match self.next() {
                    Some(Token::Close) => Ok(inner),
                    _ => Err(FilterError("missing closing parenthesis".into())),
                }
            }
            Some(Token::Word(path)) => self.comparison(path),
            Some(other) => Err(FilterError(format!(
                "expected an attribute, found {other:?}"
            ))),
            None => Err(FilterError("expression ends early".into())),
        }
    }

    fn comparison(&mut self, path: String) -> Result<Expr, FilterError> {
        if !is_attribute_path(&path) {
            return Err(FilterError(format!("invalid attribute '{path}'")));
        }
        let op = match self.next() {
            Some(Token::Word(word)) => Op::from_word(&word)
                .ok_or_else(|| FilterError(format!("unknown operator '{word}'")))?,
            _ => return Err(FilterError(format!("missing operator after '{path}'"))),
        };
        if op == Op::Pr {
            return Ok(Expr::Present(path));
        }
        let value = match self.next() {
            Some(Token::Quoted(s)) => Literal::Str(s),
            Some(Token::Word(word)) => literal_word(&word)?,
            _ => return Err(FilterError(format!("missing value after '{}'", op.name()))),
        };
        Ok(Expr::Compare { path, op, value })
    }
}

/// Unquoted values: only booleans, null and numbers (strings must be quoted).
fn literal_word(word: &str) -> Result<Literal, FilterError> {
    match word.to_ascii_lowercase().as_str() {
        "true" => return Ok(Literal::Bool(true)),
        "false" => return Ok(Literal::Bool(false)),
        "null" => return Ok(Literal::Null),
        _ => {}
    }
    word.parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .map(Literal::Num)
        .ok_or_else(|| FilterError(format!("value '{word}' must be quoted")))
}

/// Dotted identifiers such as `profile.department` or `outcome.result`.
fn is_attribute_path(path: &str) -> bool {
    !path.is_empty()
        && path.split('.').all(|segment| {
            let mut chars = segment.chars();
            matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(path: &str, op: Op, value: &str) -> Expr {
        Expr::Compare {
            path: path.into(),
            op,
            value: Literal::Str(value.into()),
        }
    }

    #[test]
    fn every_operator_parses() {
        for (word, op) in [
            ("eq", Op::Eq),
            ("ne", Op::Ne),
            ("sw", Op::Sw),
            ("ew", Op::Ew),
            ("co", Op::Co),
            ("gt", Op::Gt),
            ("ge", Op::Ge),
            ("lt", Op::Lt),
            ("le", Op::Le),
            ("EQ", Op::Eq),
        ] {
            assert_eq!(
                parse(&format!("a.b {word} \"x\"")).unwrap(),
                cmp("a.b", op, "x")
            );
        }
        assert_eq!(
            parse("profile.x pr").unwrap(),
            Expr::Present("profile.x".into())
        );
    }

    #[test]
    fn literals_other_than_strings() {
        let value = |s: &str| match parse(s).unwrap() {
            Expr::Compare { value, .. } => value,
            other => panic!("{other:?}"),
        };
        assert_eq!(value("a eq true"), Literal::Bool(true));
        assert_eq!(value("a eq FALSE"), Literal::Bool(false));
        assert_eq!(value("a eq null"), Literal::Null);
        assert_eq!(value("a gt 12.5"), Literal::Num(12.5));
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let expr = parse(r#"a eq "1" or b eq "2" and c eq "3""#).unwrap();
        assert_eq!(
            expr,
            Expr::Or(
                Box::new(cmp("a", Op::Eq, "1")),
                Box::new(Expr::And(
                    Box::new(cmp("b", Op::Eq, "2")),
                    Box::new(cmp("c", Op::Eq, "3"))
                ))
            )
        );
    }

    #[test]
    fn parentheses_override_precedence() {
        let expr = parse(r#"(a eq "1" or b eq "2") AND c eq "3""#).unwrap();
        assert_eq!(
            expr,
            Expr::And(
                Box::new(Expr::Or(
                    Box::new(cmp("a", Op::Eq, "1")),
                    Box::new(cmp("b", Op::Eq, "2"))
                )),
                Box::new(cmp("c", Op::Eq, "3"))
            )
        );
    }

    #[test]
    fn not_applies_to_the_next_term() {
        let expr = parse(r#"not a eq "1" and b pr"#).unwrap();
        assert_eq!(
            expr,
            Expr::And(
                Box::new(Expr::Not(Box::new(cmp("a", Op::Eq, "1")))),
                Box::new(Expr::Present("b".into()))
            )
        );
        assert!(matches!(
            parse(r#"not (a eq "1" or b pr)"#).unwrap(),
            Expr::Not(_)
        ));
    }

    #[test]
    fn oversized_expressions_are_refused_not_overflowed() {
        let deep = format!("{}a pr{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(parse(&deep).is_err());
        let nots = format!("{}a pr", "not ".repeat(1000));
        assert!(parse(&nots).is_err());
        let chain = vec![r#"a eq "1""#; 200].join(" or ");
        assert!(parse(&chain).is_err());
        let fine = vec![r#"a eq "1""#; 50].join(" or ");
        assert!(parse(&fine).is_ok());
    }

    #[test]
    fn malformed_expressions_are_errors() {
        for bad in [
            "",
            "   ",
            "status",
            "status eq",
            r#"status equals "A""#,
            "status eq ACTIVE",
            r#"(status eq "A""#,
            r#"status eq "A")"#,
            r#"status eq "A" and"#,
            r#"status eq "A" "B""#,
            r#"eq "A""#,
            r#"1abc eq "A""#,
            r#"profile..x eq "A""#,
            r#"target[type eq "User"] pr"#,
            "()",
            "a eq nan",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should not parse");
        }
    }
}
