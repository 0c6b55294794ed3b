//! Short record ids: how lists abbreviate them and how commands resolve what people type.
//!
//! Record ids are UUIDs, too long to type on a phone keyboard or read across a table. Lists
//! show a prefix and commands accept any unique prefix. A fixed 8-character prefix is not
//! enough: ids of records made on the device are UUIDv7, whose first 8 hex digits are the
//! top bits of the creation time and so are shared by everything created within the same
//! minute or so. Abbreviations therefore grow, like git's, until they are unique.
//! Matching ignores case and hyphens, so `0192f1c4a1` finds `0192f1c4-a1…`. People are
//! also found by name ([`resolve_person`]): a rep types `张总` sooner than `0192f1c4a1`.

use std::collections::HashMap;

/// Shortest prefix shown in lists.
pub const SHOWN_MIN: usize = 8;
/// Shortest prefix accepted on the command line (the same rule as account lookup).
pub const TYPED_MIN: usize = 4;

/// Why a typed id did not name exactly one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unresolved {
    /// Fewer than [`TYPED_MIN`] characters and not a whole id.
    TooShort,
    NotFound,
    /// Every id the prefix matches.
    Ambiguous(Vec<String>),
}

fn norm(s: &str) -> String {
    s.trim()
        .chars()
        .filter(|c| *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Finds the one id among `ids` that `typed` is, or is a prefix of.
pub fn resolve<'a, I>(typed: &str, ids: I) -> Result<&'a str, Unresolved>
where
    I: IntoIterator<Item = &'a str>,
{
    let needle = norm(typed);
    let ids: Vec<&str> = ids.into_iter().collect();
    // A whole id always resolves, even one that is a prefix of nothing else.
    if let Some(exact) = ids.iter().find(|id| norm(id) == needle) {
        return Ok(exact);
    }
    if needle.chars().count() < TYPED_MIN {
        return Err(Unresolved::TooShort);
    }
    let mut matches: Vec<&str> = ids
        .into_iter()
        .filter(|id| norm(id).starts_with(&needle))
        .collect();
    matches.dedup();
    match matches.as_slice() {
        [] => Err(Unresolved::NotFound),
        [one] => Ok(one),
        many => Err(Unresolved::Ambiguous(
            many.iter().map(|s| (*s).to_owned()).collect(),
        )),
    }
}

/// Finds one record among `(id, name)` pairs: by its whole name (ignoring case and the
/// spaces around it), else by its id or a unique id prefix as [`resolve`] does, else by a
/// part of its name that only one record has (`张` for `张总`). Two records of the same
/// name are ambiguous.
pub fn resolve_person<'a>(
    typed: &str,
    people: &[(&'a str, &'a str)],
) -> Result<&'a str, Unresolved> {
    let wanted = typed.trim().to_lowercase();
    let named = |whole: bool| -> Vec<&'a str> {
        people
            .iter()
            .filter(|(_, name)| {
                let name = name.trim().to_lowercase();
                !wanted.is_empty()
                    && if whole {
                        name == wanted
                    } else {
                        name.contains(&wanted)
                    }
            })
            .map(|(id, _)| *id)
            .collect()
    };
    let pick = |found: Vec<&'a str>| match found.as_slice() {
        [one] => Some(Ok(*one)),
        [] => None,
        many => Some(Err(Unresolved::Ambiguous(
            many.iter().map(|s| (*s).to_owned()).collect(),
        ))),
    };
    if let Some(r) = pick(named(true)) {
        return r;
    }
    let by_id = resolve(typed, people.iter().map(|(id, _)| *id));
    if by_id.is_ok() {
        return by_id;
    }
    if let Some(r) = pick(named(false)) {
        return r;
    }
    // A name that matched nobody is not an id prefix "too short" to tell.
    let looks_like_id = typed
        .trim()
        .chars()
        .all(|c| c.is_ascii_hexdigit() || c == '-');
    match by_id {
        Err(Unresolved::TooShort) if !looks_like_id => Err(Unresolved::NotFound),
        other => other,
    }
}

fn common_prefix_chars(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

/// The shortest prefix, at least `min` characters, that tells each id apart from every
/// other id in `ids`. A prefix never ends on a hyphen (it would look truncated).
pub fn abbreviations(ids: &[String], min: usize) -> HashMap<String, String> {
    let mut sorted: Vec<&str> = ids.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = HashMap::with_capacity(sorted.len());
    for (i, id) in sorted.iter().enumerate() {
        let before = i
            .checked_sub(1)
            .and_then(|j| sorted.get(j))
            .map_or(0, |p| common_prefix_chars(p, id));
        let after = sorted.get(i + 1).map_or(0, |n| common_prefix_chars(n, id));
        let chars: Vec<char> = id.chars().collect();
        let mut len = (before.max(after) + 1).max(min).min(chars.len());
        while len < chars.len() && chars.get(len - 1) == Some(&'-') {
            len += 1;
        }
        out.insert((*id).to_owned(), chars.iter().take(len).collect());
    }
    out
}

/// The abbreviation of `id` from a map made by [`abbreviations`], or its first
/// [`SHOWN_MIN`] characters when it was not in that map.
pub fn short<'a>(abbr: &'a HashMap<String, String>, id: &'a str) -> &'a str {
    match abbr.get(id) {
        Some(a) => a,
        None => id.get(..SHOWN_MIN).unwrap_or(id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "0192f1c4-a1b2-7000-8000-000000000001";
    const B: &str = "0192f1c4-a1c3-7000-8000-000000000002";
    const C: &str = "7d3e0000-0000-4000-8000-000000000003";

    #[test]
    fn unique_prefixes_and_whole_ids_resolve() {
        let ids = [A, B, C];
        assert_eq!(resolve("7d3e", ids), Ok(C));
        assert_eq!(resolve("7D3E0000", ids), Ok(C));
        assert_eq!(resolve(A, ids), Ok(A));
        assert_eq!(resolve("0192f1c4-a1b", ids), Ok(A));
        // Hyphens are optional.
        assert_eq!(resolve("0192f1c4a1c", ids), Ok(B));
    }

    #[test]
    fn shared_prefixes_are_ambiguous_and_unknown_ones_not_found() {
        let ids = [A, B, C];
        assert_eq!(
            resolve("0192f1c4", ids),
            Err(Unresolved::Ambiguous(vec![A.to_owned(), B.to_owned()]))
        );
        assert_eq!(resolve("ffff", ids), Err(Unresolved::NotFound));
        assert_eq!(resolve("019", ids), Err(Unresolved::TooShort));
        assert_eq!(resolve("", ids), Err(Unresolved::TooShort));
        assert_eq!(
            resolve("0192", std::iter::empty()),
            Err(Unresolved::NotFound)
        );
    }

    #[test]
    fn abbreviations_grow_until_unique_and_resolve_back() {
        let ids = vec![A.to_owned(), B.to_owned(), C.to_owned()];
        let abbr = abbreviations(&ids, SHOWN_MIN);
        assert_eq!(short(&abbr, C), "7d3e0000");
        // A and B share "0192f1c4-a1"; the hyphen is not left dangling either.
        assert_eq!(short(&abbr, A), "0192f1c4-a1b");
        assert_eq!(short(&abbr, B), "0192f1c4-a1c");
        for id in &ids {
            let typed = short(&abbr, id);
            assert_eq!(
                resolve(typed, ids.iter().map(String::as_str)),
                Ok(id.as_str())
            );
        }
    }

    #[test]
    fn people_are_found_by_name_or_by_id() {
        let people = [(A, "张总"), (B, "Liu Gong"), (C, "张总")];
        assert_eq!(resolve_person("liu gong", &people), Ok(B));
        assert_eq!(resolve_person("7d3e", &people), Ok(C));
        assert_eq!(resolve_person("0192f1c4-a1b", &people), Ok(A));
        assert_eq!(
            resolve_person(" 张总 ", &people),
            Err(Unresolved::Ambiguous(vec![A.to_owned(), C.to_owned()]))
        );
        assert_eq!(resolve_person("王总", &people), Err(Unresolved::NotFound));
        // A part of a name that only one person has.
        assert_eq!(resolve_person("liu", &people), Ok(B));
        assert_eq!(
            resolve_person("张", &people),
            Err(Unresolved::Ambiguous(vec![A.to_owned(), C.to_owned()]))
        );
        assert_eq!(resolve_person("7d3", &people), Err(Unresolved::TooShort));
        assert_eq!(
            resolve_person("王总经理办公室", &people),
            Err(Unresolved::NotFound)
        );
        assert_eq!(resolve_person("", &people), Err(Unresolved::TooShort));
    }

    #[test]
    fn an_abbreviation_never_ends_on_a_hyphen() {
        let ids = vec![
            "0192f1c4-0000-7000-8000-000000000001".to_owned(),
            "0192f1c5-0000-7000-8000-000000000001".to_owned(),
            "0192f1c4x".to_owned(),
        ];
        let abbr = abbreviations(&ids, SHOWN_MIN);
        for a in abbr.values() {
            assert!(!a.ends_with('-'), "{a}");
        }
        assert_eq!(short(&abbr, "not-in-map-at-all"), "not-in-m");
        assert_eq!(short(&abbr, "tiny"), "tiny");
    }
}
