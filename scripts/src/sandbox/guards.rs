//! The host side of the prelude's guards: charging library work to the instruction budget,
//! refusing string patterns whose worst case is too costly, and re-raising an exhausted
//! budget after `pcall`.

use std::rc::Rc;

use mlua::{Function, Lua, MultiValue, Value};

use crate::limits::MAX_PATTERN_COST;
use crate::sandbox::budget::Budget;
use crate::site;

/// The guards handed to `prelude.lua`: `charge(n)`, `check_pattern(s, pattern)` and
/// `reraise(...)`.
pub(crate) fn functions(
    lua: &Lua,
    budget: &Rc<Budget>,
) -> mlua::Result<(Function, Function, Function)> {
    let charging = Rc::clone(budget);
    let charge = lua.create_function(move |lua, n: Value| {
        let n = match n {
            Value::Integer(i) => i as f64,
            Value::Number(n) => n,
            _ => return Ok(()),
        };
        if n > 0.0 || n.is_nan() {
            charging.charge(lua, instructions(n))
        } else {
            Ok(())
        }
    })?;
    let checking = Rc::clone(budget);
    let check_pattern = lua.create_function(move |lua, (subject, pattern): (Value, Value)| {
        let (Some(subject), Some(pattern)) = (text_len(&subject), text(&pattern)) else {
            return Ok(()); // the library function itself reports the wrong type
        };
        let cost = pattern_cost(subject, pattern.as_bytes());
        if cost > MAX_PATTERN_COST {
            return Err(site::error(
                lua,
                format!(
                    "string pattern \"{}\" on {subject} characters could take up to {cost:.1e} \
                     steps (the sandbox allows {MAX_PATTERN_COST:.0e}): use a simpler pattern, \
                     a shorter string, or `find` with plain = true",
                    pattern.escape_debug()
                ),
            ));
        }
        checking.charge(lua, subject as u64)
    })?;
    let reraising = Rc::clone(budget);
    let reraise = lua.create_function(move |lua, results: MultiValue| {
        reraising.reraise(lua)?;
        Ok(results)
    })?;
    Ok((charge, check_pattern, reraise))
}

/// A count of work as a whole number of instructions, saturating.
fn instructions(n: f64) -> u64 {
    if n.is_nan() || n >= u64::MAX as f64 {
        u64::MAX
    } else {
        n.ceil() as u64
    }
}

/// The length of a string, or of a number as Lua would print it (an upper bound).
fn text_len(value: &Value) -> Option<usize> {
    match value {
        Value::String(s) => Some(s.as_bytes().len()),
        Value::Integer(_) | Value::Number(_) => Some(24),
        _ => None,
    }
}

/// A pattern's text (lossy: only its special characters matter here).
fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.to_string_lossy()),
        Value::Integer(i) => Some(i.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An upper bound of the steps a Lua pattern search can take on a subject of `n` bytes:
/// each quantifier (`*`, `+`, `-`, `?`) or balance (`%b`) can backtrack over the whole
/// subject once per state of the ones before it, and an unanchored search tries every
/// starting position: `(n + 1) ^ (quantifiers + 1)`, one power less when anchored with `^`.
pub(crate) fn pattern_cost(n: usize, pattern: &[u8]) -> f64 {
    let anchored = pattern.first() == Some(&b'^');
    let mut quantifiers = 0i32;
    let mut i = usize::from(anchored);
    while i < pattern.len() {
        match pattern.get(i) {
            Some(b'%') => {
                if pattern.get(i + 1) == Some(&b'b') {
                    quantifiers += 1;
                    i += 4;
                } else {
                    i += 2;
                }
                continue;
            }
            Some(b'[') => {
                i = end_of_set(pattern, i);
            }
            Some(b'*' | b'+' | b'-' | b'?') => quantifiers += 1,
            _ => {}
        }
        i += 1;
    }
    let starts = i32::from(!anchored);
    (n as f64 + 1.0).powi(quantifiers + starts)
}

/// The index of the `]` closing the set that opens at `open` (the last index when unclosed).
fn end_of_set(pattern: &[u8], open: usize) -> usize {
    let mut i = open + 1;
    if pattern.get(i) == Some(&b'^') {
        i += 1;
    }
    // A `]` right after the opening (or after `^`) is a member, not the end.
    if pattern.get(i) == Some(&b']') {
        i += 1;
    }
    while let Some(&c) = pattern.get(i) {
        match c {
            b'%' => i += 2,
            b']' => return i,
            _ => i += 1,
        }
    }
    pattern.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_costs_a_scan_per_starting_position() {
        assert_eq!(pattern_cost(99, b"drums"), 100.0);
        assert_eq!(pattern_cost(99, b"^drums"), 1.0);
    }

    #[test]
    fn each_quantifier_multiplies_the_worst_case_by_the_length() {
        assert_eq!(pattern_cost(9, b"a+b"), 100.0);
        assert_eq!(pattern_cost(9, b".-.-b"), 1000.0);
        assert_eq!(pattern_cost(9, b"^(%w+)=(%w*)$"), 100.0);
        assert_eq!(pattern_cost(9, b"%b()"), 100.0);
    }

    #[test]
    fn quantifier_characters_inside_sets_or_escaped_do_not_count() {
        assert_eq!(pattern_cost(9, b"[*+?-]"), 10.0);
        assert_eq!(pattern_cost(9, b"%*%+%-%?"), 10.0);
        assert_eq!(pattern_cost(9, b"[]*]"), 10.0);
        assert_eq!(pattern_cost(9, b"[%]*]x"), 10.0);
    }
}
