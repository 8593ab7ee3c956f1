//! The part of the Okta Expression Language that group rules use: `user.attribute`
//! comparisons (`==`, `!=`), `AND`/`OR`/`&&`/`||`, `!`/`NOT`, parentheses, string, number
//! and boolean literals, and the functions rules most often call (`String.startsWith`,
//! `String.stringContains`, `String.toLowerCase`, `String.toUpperCase`, `isMemberOfGroup`,
//! `isMemberOfAnyGroup`, `isMemberOfGroupName`). An expression outside it is refused when
//! the rule is created, as Okta refuses one it cannot parse, never accepted and ignored.

use serde_json::Value;

/// A parsed expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    /// `user.<attribute>`.
    Attribute(String),
    Call(String, Vec<Expr>),
    Eq(Box<Expr>, Box<Expr>),
    Ne(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
}

/// The functions accepted, with their argument counts (None: one or more).
const FUNCTIONS: &[(&str, Option<usize>)] = &[
    ("String.startsWith", Some(2)),
    ("String.stringContains", Some(2)),
    ("String.toLowerCase", Some(1)),
    ("String.toUpperCase", Some(1)),
    ("isMemberOfGroup", Some(1)),
    ("isMemberOfAnyGroup", None),
    ("isMemberOfGroupName", Some(1)),
];

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Str(String),
    Num(f64),
    Name(String),
    Op(&'static str),
}

fn tokens(input: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '"' || c == '\'' {
            let mut text = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err("a string literal is not closed".into()),
                    Some('\\') => {
                        if let Some(next) = chars.get(i + 1) {
                            text.push(*next);
                        }
                        i += 2;
                    }
                    Some(q) if *q == c => {
                        i += 1;
                        break;
                    }
                    Some(other) => {
                        text.push(*other);
                        i += 1;
                    }
                }
            }
            out.push(Token::Str(text));
            continue;
        }
        if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            let n = text
                .parse()
                .map_err(|_| format!("{text:?} is not a number"))?;
            out.push(Token::Num(n));
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' || c == '$' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '_' | '.' | '$'))
            {
                i += 1;
            }
            out.push(Token::Name(chars[start..i].iter().collect()));
            continue;
        }
        let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
        let op = match two.as_str() {
            "==" => Some("=="),
            "!=" => Some("!="),
            "&&" => Some("&&"),
            "||" => Some("||"),
            _ => None,
        };
        if let Some(op) = op {
            out.push(Token::Op(op));
            i += 2;
            continue;
        }
        let op = match c {
            '(' => "(",
            ')' => ")",
            ',' => ",",
            '!' => "!",
            other => return Err(format!("unexpected character {other:?}")),
        };
        out.push(Token::Op(op));
        i += 1;
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn eat_op(&mut self, op: &str) -> bool {
        if matches!(self.peek(), Some(Token::Op(o)) if *o == op) {
            self.at += 1;
            return true;
        }
        false
    }

    fn eat_word(&mut self, words: &[&str]) -> bool {
        if matches!(self.peek(), Some(Token::Name(n)) if words.contains(&n.as_str())) {
            self.at += 1;
            return true;
        }
        false
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.eat_op("||") || self.eat_word(&["OR", "or"]) {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.unary()?;
        while self.eat_op("&&") || self.eat_word(&["AND", "and"]) {
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat_op("!") || self.eat_word(&["NOT"]) {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        let left = self.primary()?;
        if self.eat_op("==") {
            return Ok(Expr::Eq(Box::new(left), Box::new(self.primary()?)));
        }
        if self.eat_op("!=") {
            return Ok(Expr::Ne(Box::new(left), Box::new(self.primary()?)));
        }
        Ok(left)
    }

    fn primary(&mut self) -> Result<Expr, String> {
        match self.next() {
            Some(Token::Op("(")) => {
                let inner = self.or()?;
                if !self.eat_op(")") {
                    return Err("a parenthesis is not closed".into());
                }
                Ok(inner)
            }
            Some(Token::Str(s)) => Ok(Expr::Str(s)),
            Some(Token::Num(n)) => Ok(Expr::Num(n)),
            Some(Token::Name(name)) => self.name(name),
            Some(Token::Op(op)) => Err(format!("unexpected {op:?}")),
            None => Err("the expression ends too early".into()),
        }
    }

    fn name(&mut self, name: String) -> Result<Expr, String> {
        match name.as_str() {
            "true" => return Ok(Expr::Bool(true)),
            "false" => return Ok(Expr::Bool(false)),
            "null" => return Ok(Expr::Null),
            _ => {}
        }
        if self.eat_op("(") {
            let Some((_, arity)) = FUNCTIONS.iter().find(|(f, _)| *f == name) else {
                return Err(format!("unknown function {name}"));
            };
            let mut args = Vec::new();
            if !self.eat_op(")") {
                loop {
                    args.push(self.or()?);
                    if self.eat_op(")") {
                        break;
                    }
                    if !self.eat_op(",") {
                        return Err(format!("expected , or ) in the arguments of {name}"));
                    }
                }
            }
            let fits = match arity {
                Some(n) => args.len() == *n,
                None => !args.is_empty(),
            };
            if !fits {
                return Err(format!("{name} takes other arguments than {}", args.len()));
            }
            return Ok(Expr::Call(name, args));
        }
        match name.strip_prefix("user.") {
            Some(attribute) if !attribute.is_empty() && !attribute.contains('.') => {
                Ok(Expr::Attribute(attribute.to_owned()))
            }
            _ => Err(format!("{name} is not a user attribute (user.<attribute>)")),
        }
    }
}

/// Parses `input`; the error says what is wrong with it.
pub fn parse(input: &str) -> Result<Expr, String> {
    let mut parser = Parser {
        tokens: tokens(input)?,
        at: 0,
    };
    if parser.tokens.is_empty() {
        return Err("the expression is empty".into());
    }
    let expr = parser.or()?;
    if parser.at < parser.tokens.len() {
        return Err("unexpected text after the expression".into());
    }
    Ok(expr)
}

impl Expr {
    /// The user attributes the expression reads, for checking them against the schema.
    pub fn attributes(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.visit(&mut |e| {
            if let Expr::Attribute(a) = e {
                out.push(a.as_str());
            }
        });
        out
    }

    /// The group ids `isMemberOfGroup`/`isMemberOfAnyGroup` name.
    pub fn group_ids(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.visit(&mut |e| {
            if let Expr::Call(name, args) = e
                && (name == "isMemberOfGroup" || name == "isMemberOfAnyGroup")
            {
                out.extend(args.iter().filter_map(|a| match a {
                    Expr::Str(s) => Some(s.as_str()),
                    _ => None,
                }));
            }
        });
        out
    }

    fn visit<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        match self {
            Expr::Call(_, args) => args.iter().for_each(|a| a.visit(f)),
            Expr::Eq(a, b) | Expr::Ne(a, b) | Expr::And(a, b) | Expr::Or(a, b) => {
                a.visit(f);
                b.visit(f);
            }
            Expr::Not(a) => a.visit(f),
            _ => {}
        }
    }

    /// Whether `user` matches; `member_of(id, name)` says whether the user is in the group
    /// with that id (or, when `name` is set, that name).
    pub fn matches(
        &self,
        user: &Value,
        member_of: &dyn Fn(Option<&str>, Option<&str>) -> bool,
    ) -> bool {
        truthy(&self.value(user, member_of))
    }

    fn value(&self, user: &Value, member_of: &dyn Fn(Option<&str>, Option<&str>) -> bool) -> Value {
        let text = |e: &Expr| match e.value(user, member_of) {
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        match self {
            Expr::Str(s) => Value::String(s.clone()),
            Expr::Num(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
            Expr::Bool(b) => Value::Bool(*b),
            Expr::Null => Value::Null,
            Expr::Attribute(a) => user["profile"][a.as_str()].clone(),
            Expr::Eq(a, b) => {
                Value::Bool(same(&a.value(user, member_of), &b.value(user, member_of)))
            }
            Expr::Ne(a, b) => {
                Value::Bool(!same(&a.value(user, member_of), &b.value(user, member_of)))
            }
            Expr::And(a, b) => {
                Value::Bool(a.matches(user, member_of) && b.matches(user, member_of))
            }
            Expr::Or(a, b) => Value::Bool(a.matches(user, member_of) || b.matches(user, member_of)),
            Expr::Not(a) => Value::Bool(!a.matches(user, member_of)),
            Expr::Call(name, args) => match name.as_str() {
                "String.startsWith" => Value::Bool(match (text(&args[0]), text(&args[1])) {
                    (Some(s), Some(p)) => s.starts_with(&p),
                    _ => false,
                }),
                "String.stringContains" => Value::Bool(match (text(&args[0]), text(&args[1])) {
                    (Some(s), Some(p)) => s.contains(&p),
                    _ => false,
                }),
                "String.toLowerCase" => {
                    text(&args[0]).map_or(Value::Null, |s| Value::String(s.to_lowercase()))
                }
                "String.toUpperCase" => {
                    text(&args[0]).map_or(Value::Null, |s| Value::String(s.to_uppercase()))
                }
                "isMemberOfGroupName" => {
                    Value::Bool(text(&args[0]).is_some_and(|n| member_of(None, Some(&n))))
                }
                // isMemberOfGroup and isMemberOfAnyGroup.
                _ => Value::Bool(
                    args.iter()
                        .filter_map(text)
                        .any(|id| member_of(Some(&id), None)),
                ),
            },
        }
    }
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn truthy(v: &Value) -> bool {
    matches!(v, Value::Bool(true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rules_parse_and_match_as_okta_reads_them() {
        let user = json!({"profile": {"department": "Engineering", "title": "SRE", "level": 3}});
        let none = |_: Option<&str>, _: Option<&str>| false;
        let cases = [
            ("user.department==\"Engineering\"", true),
            ("user.department == 'Sales'", false),
            (
                "user.department==\"Engineering\" AND user.title!=\"SRE\"",
                false,
            ),
            (
                "user.department==\"Sales\" || String.startsWith(user.title,\"SR\")",
                true,
            ),
            ("!(user.department==\"Sales\")", true),
            (
                "String.stringContains(String.toLowerCase(user.department), \"eng\")",
                true,
            ),
            ("user.level == 3", true),
            ("isMemberOfAnyGroup(\"00g1\", \"00g2\")", false),
        ];
        for (text, expected) in cases {
            let expr = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(expr.matches(&user, &none), expected, "{text}");
        }
        let in_group = |id: Option<&str>, _: Option<&str>| id == Some("00g2");
        assert!(
            parse("isMemberOfAnyGroup(\"00g1\",\"00g2\")")
                .unwrap()
                .matches(&user, &in_group)
        );
        assert_eq!(
            parse("user.department==\"x\" AND isMemberOfGroup(\"00g9\")")
                .unwrap()
                .group_ids(),
            ["00g9"]
        );
    }

    #[test]
    fn what_is_not_an_expression_is_refused_with_the_reason() {
        for (text, reason) in [
            ("", "empty"),
            ("user.department==", "ends too early"),
            ("user.department==\"Eng", "not closed"),
            ("(user.department==\"Eng\"", "parenthesis"),
            ("String.nope(user.department)", "unknown function"),
            ("String.startsWith(user.department)", "other arguments"),
            ("department==\"Eng\"", "not a user attribute"),
            (
                "user.department==\"Eng\" user.title",
                "after the expression",
            ),
            ("user.department ~ 1", "unexpected character"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(reason), "{text}: {err}");
        }
    }
}
