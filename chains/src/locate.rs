//! Finds the line and column of an item of a chain file (a node, a parameter, a path
//! element) for error messages, by a light tokenizer over the RON text and a path of steps
//! such as `nodes[3].params["threshold"]`.
//!
//! It never fails: an item it cannot find yields the deepest enclosing item found, or none.

use crate::error::Position;

/// One step of the way to an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// A field of a struct, e.g. `nodes`.
    Field(&'static str),
    /// An element of a list, from 0.
    Index(usize),
    /// A key of a map, e.g. a parameter name.
    Key(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    Colon,
    Comma,
    Str(String),
    Word(String),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    pos: Position,
}

/// The position of the item at `steps` in `text`, or of the deepest enclosing item found.
pub(crate) fn find(text: &str, steps: &[Step]) -> Option<Position> {
    let tokens = lex(text);
    let partner = partners(&tokens);
    let doc = Doc {
        tokens: &tokens,
        partner: &partner,
    };
    let mut range = doc.root()?;
    let mut found = None;
    for step in steps {
        let next = match step {
            Step::Field(key) => doc.field(range, key),
            Step::Index(i) => doc.element(range, *i),
            Step::Key(key) => doc.map_key(range, key),
        };
        match next {
            Some(r) => {
                range = r;
                found = tokens.get(r.0).map(|t| t.pos);
            }
            None => break,
        }
    }
    found
}

/// Tokens with the index of each bracket's partner.
struct Doc<'a> {
    tokens: &'a [Token],
    partner: &'a [usize],
}

/// A range of token indices, end exclusive.
type Range = (usize, usize);

impl Doc<'_> {
    fn tok(&self, i: usize) -> Option<&Tok> {
        self.tokens.get(i).map(|t| &t.tok)
    }

    /// Index after the group opening at `i` (or after the token, if it opens nothing).
    fn after(&self, i: usize) -> usize {
        match self.tok(i) {
            Some(Tok::Open) => self
                .partner
                .get(i)
                .copied()
                .unwrap_or(self.tokens.len())
                .saturating_add(1),
            _ => i + 1,
        }
    }

    /// The top-level value, after any `#![enable(...)]` attributes.
    fn root(&self) -> Option<Range> {
        let mut i = 0;
        while let Some(Tok::Word(w)) = self.tok(i) {
            if !w.starts_with('#') {
                break;
            }
            i = self.after(i + 1);
        }
        (i < self.tokens.len()).then_some((i, self.tokens.len()))
    }

    /// The inside of the bracket group a value starts with (skipping a struct name).
    fn body(&self, (start, end): Range) -> Option<Range> {
        let mut i = start;
        if let Some(Tok::Word(_)) = self.tok(i) {
            i += 1;
        }
        match self.tok(i) {
            Some(Tok::Open) if i < end => {
                Some((i + 1, self.partner.get(i).copied().unwrap_or(end).min(end)))
            }
            _ => None,
        }
    }

    /// The comma-separated items of a body, at its own depth.
    fn items(&self, (start, end): Range) -> Vec<Range> {
        let mut items = Vec::new();
        let mut item_start = start;
        let mut i = start;
        while i < end {
            if self.tok(i) == Some(&Tok::Comma) {
                items.push((item_start, i));
                item_start = i + 1;
                i += 1;
            } else {
                i = self.after(i);
            }
        }
        if item_start < end {
            items.push((item_start, end));
        }
        items.retain(|(a, b)| a < b);
        items
    }

    /// The value of a struct field.
    fn field(&self, value: Range, key: &str) -> Option<Range> {
        self.items(self.body(value)?)
            .into_iter()
            .find_map(|(a, b)| match (self.tok(a), self.tok(a + 1)) {
                (Some(Tok::Word(k)), Some(Tok::Colon)) if k == key && a + 2 < b => Some((a + 2, b)),
                _ => None,
            })
    }

    /// An element of a list.
    fn element(&self, value: Range, index: usize) -> Option<Range> {
        self.items(self.body(value)?).get(index).copied()
    }

    /// The key (not the value) of a map entry.
    fn map_key(&self, value: Range, key: &str) -> Option<Range> {
        self.items(self.body(value)?)
            .into_iter()
            .find_map(|(a, _)| match (self.tok(a), self.tok(a + 1)) {
                (Some(Tok::Str(k)), Some(Tok::Colon)) if k == key => Some((a, a + 1)),
                _ => None,
            })
    }
}

/// For each opening bracket, the index of its closing partner (or the token count).
fn partners(tokens: &[Token]) -> Vec<usize> {
    let mut partner = vec![tokens.len(); tokens.len()];
    let mut stack = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        match t.tok {
            Tok::Open => stack.push(i),
            Tok::Close => {
                if let Some(open) = stack.pop() {
                    if let Some(p) = partner.get_mut(open) {
                        *p = i;
                    }
                }
            }
            _ => {}
        }
    }
    partner
}

/// Walks the text character by character, keeping line and column.
struct Lexer<'a> {
    rest: std::str::Chars<'a>,
    line: usize,
    column: usize,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.rest.clone().next()
    }

    fn peek_second(&self) -> Option<char> {
        let mut it = self.rest.clone();
        it.next();
        it.next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.rest.next()?;
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn position(&self) -> Position {
        Position {
            line: self.line,
            column: self.column,
        }
    }

    fn skip_line(&mut self) {
        while let Some(c) = self.bump() {
            if c == '\n' {
                break;
            }
        }
    }

    /// Skips a (possibly nested) block comment whose `/*` was consumed.
    fn skip_block(&mut self) {
        let mut depth = 1usize;
        while depth > 0 {
            match self.bump() {
                Some('*') if self.peek() == Some('/') => {
                    self.bump();
                    depth -= 1;
                }
                Some('/') if self.peek() == Some('*') => {
                    self.bump();
                    depth += 1;
                }
                Some(_) => {}
                None => break,
            }
        }
    }

    /// A quoted string whose opening quote was consumed, with escapes decoded.
    fn string(&mut self, quote: char) -> String {
        let mut s = String::new();
        while let Some(c) = self.bump() {
            match c {
                c if c == quote => break,
                '\\' => match self.bump() {
                    Some('n') => s.push('\n'),
                    Some('t') => s.push('\t'),
                    Some('r') => s.push('\r'),
                    Some('0') => s.push('\0'),
                    Some('u') => s.push(self.unicode_escape()),
                    Some(other) => s.push(other),
                    None => break,
                },
                c => s.push(c),
            }
        }
        s
    }

    /// `{XXXX}` after `\u`.
    fn unicode_escape(&mut self) -> char {
        if self.peek() != Some('{') {
            return char::REPLACEMENT_CHARACTER;
        }
        self.bump();
        let mut code = 0u32;
        while let Some(c) = self.bump() {
            match c.to_digit(16) {
                Some(d) => code = code.saturating_mul(16).saturating_add(d),
                None => break,
            }
        }
        char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER)
    }

    /// A raw string `r#"..."#` whose `r` was consumed.
    fn raw_string(&mut self) -> String {
        let mut hashes = 0usize;
        while self.peek() == Some('#') {
            self.bump();
            hashes += 1;
        }
        self.bump(); // the opening quote
        let mut s = String::new();
        while let Some(c) = self.bump() {
            if c == '"' {
                let closing = self.rest.clone().take(hashes).filter(|&h| h == '#').count();
                if closing == hashes {
                    for _ in 0..hashes {
                        self.bump();
                    }
                    break;
                }
            }
            s.push(c);
        }
        s
    }

    /// Whether a raw string starts here (after an `r`): `"` or `#`s then `"`.
    fn raw_string_ahead(&self) -> bool {
        let mut it = self.rest.clone();
        it.next(); // the `r`
        for c in it {
            match c {
                '#' => continue,
                '"' => return true,
                _ => return false,
            }
        }
        false
    }
}

fn is_delimiter(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '(' | ')' | '[' | ']' | '{' | '}' | ':' | ',' | '"' | '\''
        )
}

fn lex(text: &str) -> Vec<Token> {
    let mut lx = Lexer {
        rest: text.chars(),
        line: 1,
        column: 1,
    };
    let mut tokens = Vec::new();
    while let Some(c) = lx.peek() {
        let pos = lx.position();
        let tok = match c {
            c if c.is_whitespace() => {
                lx.bump();
                continue;
            }
            '/' if lx.peek_second() == Some('/') => {
                lx.skip_line();
                continue;
            }
            '/' if lx.peek_second() == Some('*') => {
                lx.bump();
                lx.bump();
                lx.skip_block();
                continue;
            }
            '(' | '[' | '{' => {
                lx.bump();
                Tok::Open
            }
            ')' | ']' | '}' => {
                lx.bump();
                Tok::Close
            }
            ':' => {
                lx.bump();
                Tok::Colon
            }
            ',' => {
                lx.bump();
                Tok::Comma
            }
            '"' => {
                lx.bump();
                Tok::Str(lx.string('"'))
            }
            '\'' => {
                lx.bump();
                Tok::Word(lx.string('\''))
            }
            'r' if lx.raw_string_ahead() => {
                lx.bump();
                Tok::Str(lx.raw_string())
            }
            'b' if lx.peek_second() == Some('"') => {
                lx.bump();
                lx.bump();
                Tok::Str(lx.string('"'))
            }
            _ => {
                let mut w = String::new();
                while let Some(c) = lx.peek() {
                    if is_delimiter(c) || (c == '/' && matches!(lx.peek_second(), Some('/' | '*')))
                    {
                        break;
                    }
                    w.push(c);
                    lx.bump();
                }
                if w.is_empty() {
                    // A lone delimiter not handled above cannot occur; never loop forever.
                    lx.bump();
                    continue;
                }
                Tok::Word(w)
            }
        };
        tokens.push(Token { tok, pos });
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r##"#![enable(implicit_some)]
// a comment with "name: x"
Chain(
    inputs: ["vox", Input(name: "key")],
    nodes: [
        Node(name: "hp", kind: "gain"), /* block /* nested */ comment */
        Node(
            name: "comp",
            params: {"threshold": -18.0, "ratio": 4.0},
        ),
    ],
    connections: [["vox", "hp"], [r#"key"#, "comp.sidechain"]],
)
"##;

    fn at(line: usize, column: usize) -> Option<Position> {
        Some(Position { line, column })
    }

    #[test]
    fn finds_fields_elements_and_map_keys() {
        use Step::*;
        assert_eq!(
            find(TEXT, &[Field("inputs"), Index(1), Field("name")]),
            at(4, 33)
        );
        assert_eq!(find(TEXT, &[Field("nodes"), Index(1)]), at(7, 9));
        assert_eq!(
            find(TEXT, &[Field("nodes"), Index(1), Field("name")]),
            at(8, 19)
        );
        assert_eq!(
            find(
                TEXT,
                &[
                    Field("nodes"),
                    Index(1),
                    Field("params"),
                    Key("ratio".into())
                ]
            ),
            at(9, 42)
        );
        assert_eq!(
            find(TEXT, &[Field("connections"), Index(1), Index(1)]),
            at(12, 45)
        );
    }

    #[test]
    fn missing_items_give_the_deepest_item_found() {
        use Step::*;
        // A short-form element has no fields: its own position is given.
        assert_eq!(
            find(TEXT, &[Field("inputs"), Index(0), Field("name")]),
            at(4, 14)
        );
        assert_eq!(
            find(
                TEXT,
                &[Field("nodes"), Index(0), Field("params"), Key("x".into())]
            ),
            at(6, 9)
        );
        assert_eq!(find(TEXT, &[Field("outputs")]), None);
    }

    #[test]
    fn broken_text_gives_no_position_or_one_inside_the_text() {
        use Step::*;
        for text in [
            "",
            "(",
            ")",
            "Chain(nodes: [",
            "r#",
            "\"unterminated",
            "/* open",
            "'",
            "b\"",
            "(a: r#\"x",
        ] {
            let lines = text.lines().count().max(1);
            if let Some(p) = find(text, &[Field("nodes"), Index(0), Field("name")]) {
                assert!(p.line <= lines, "{text:?} gave {p:?}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_gives_a_position_inside_it(text in "[ -~\n]{0,200}") {
            let lines = text.split('\n').count();
            for steps in [vec![Step::Field("nodes"), Step::Index(0)], vec![Step::Field("a"), Step::Key("b".into())]] {
                if let Some(p) = find(&text, &steps) {
                    proptest::prop_assert!(p.line >= 1 && p.line <= lines && p.column >= 1);
                }
            }
        }
    }
}
