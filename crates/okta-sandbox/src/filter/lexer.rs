//! Splits an expression into words, quoted strings and parentheses.

use super::FilterError;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    Open,
    Close,
    /// A quoted string, unescaped.
    Quoted(String),
    /// Anything else: attribute paths, operators, `and`/`or`/`not`, numbers, booleans.
    Word(String),
}

pub(super) fn tokenize(input: &str) -> Result<Vec<Token>, FilterError> {
    let mut tokens = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                tokens.push(Token::Open);
            }
            ')' => {
                chars.next();
                tokens.push(Token::Close);
            }
            '"' => {
                chars.next();
                tokens.push(Token::Quoted(quoted(&mut chars)?));
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || c == '(' || c == ')' || c == '"' {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                tokens.push(Token::Word(word));
            }
        }
    }
    Ok(tokens)
}

/// Reads up to the closing quote; `\"` and `\\` are the escapes SCIM allows.
fn quoted(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<String, FilterError> {
    let mut out = String::new();
    loop {
        match chars.next() {
            None => return Err(FilterError("unterminated quoted string".into())),
            Some('"') => return Ok(out),
            Some('\\') => match chars.next() {
                Some(escaped) => out.push(escaped),
                None => return Err(FilterError("unterminated quoted string".into())),
            },
            Some(c) => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_words_strings_and_parens() {
        let tokens = tokenize(r#"(status eq "A \"b\"")and x pr"#).unwrap();
        assert_eq!(
            tokens,
            vec![
                Token::Open,
                Token::Word("status".into()),
                Token::Word("eq".into()),
                Token::Quoted("A \"b\"".into()),
                Token::Close,
                Token::Word("and".into()),
                Token::Word("x".into()),
                Token::Word("pr".into()),
            ]
        );
    }

    #[test]
    fn unterminated_string_is_an_error() {
        assert!(tokenize(r#"status eq "ACTIVE"#).is_err());
        assert!(tokenize(r#"status eq "ACTIVE\"#).is_err());
    }
}
