//! The server's layers, written down once and enforced.
//!
//! Each module sits in one layer of [`LAYERS`], from the bottom. A module may import
//! modules of its own layer and of the layers below, never of a layer above; and no
//! modules import each other, directly or around a circle. A module is a file of
//! `src/` (or a directory with its `mod.rs`), known by the longest entry of the table
//! its path starts with: `dashboard/pages/rep.rs` is part of `dashboard`. A new module
//! must be given a layer here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layers, from the bottom.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "foundations: storage handles, errors, time, periods, keys, limits",
        &[
            "db",
            "error",
            "clock",
            "periods",
            "csv",
            "cpu",
            "rules",
            "keys",
            "limits",
            "telemetry",
            "serve",
            "backup",
        ],
    ),
    (
        "storage and policy: the change log, access, the read model, the writer",
        &["changelog", "access", "projection", "writer"],
    ),
    ("the state every handler receives", &["app"]),
    (
        "the domain's services",
        &["auth", "sync", "scorecard", "admin", "import"],
    ),
    (
        "the faces: reports, the dashboard, the web app, the API's description, the demo",
        &["reports", "dashboard", "webapp", "openapi", "demo"],
    ),
    (
        "the service assembled, and the admin commands",
        &["router", "commands"],
    ),
    ("the binary", &["main", "layers"]),
];

/// The layer of each module of the table.
fn layer_of() -> BTreeMap<&'static str, usize> {
    LAYERS
        .iter()
        .enumerate()
        .flat_map(|(i, (_, modules))| modules.iter().map(move |m| (*m, i)))
        .collect()
}

/// The entry of the table that the module path `segments` belongs to: the longest one
/// it starts with.
fn module_of(segments: &[String]) -> Option<&'static str> {
    (1..=segments.len())
        .rev()
        .map(|n| segments[..n].join("::"))
        .find_map(|path| layer_of().keys().find(|m| **m == path).copied())
}

/// The module path of a file under `src/`: `a/b.rs` is `a::b`, `a/mod.rs` is `a`.
fn file_module(relative: &Path) -> Vec<String> {
    let mut segments: Vec<String> = relative
        .with_extension("")
        .iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect();
    if segments.last().is_some_and(|s| s == "mod") {
        segments.pop();
    }
    segments
}

/// Every path a `use` tree names, expanded: `a::{b, c::{d}}` is `a::b` and `a::c::d`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![tree.to_owned()];
    };
    let prefix = tree[..open].trim_end_matches("::");
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);
    items
        .into_iter()
        .filter(|i| !i.trim().is_empty())
        .flat_map(expand)
        .map(|p| match p.as_str() {
            "self" => prefix.to_owned(),
            _ if prefix.is_empty() => p,
            _ => format!("{prefix}::{p}"),
        })
        .collect()
}

/// The text from `start` to the end of the path or `use` tree beginning there.
fn path_at(text: &str, start: usize) -> &str {
    let mut depth = 0;
    for (i, c) in text[start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return &text[start..start + i],
            '}' => depth -= 1,
            c if depth == 0 && !(c.is_alphanumeric() || c == '_' || c == ':') => {
                return &text[start..start + i];
            }
            _ => {}
        }
    }
    &text[start..]
}

/// The modules (entries of the table) that `source`, the file of module `module`,
/// imports through `crate::` or a `super::` chain. Comments are skipped; inline
/// `mod x { … }` blocks are followed, so their `super::` is resolved from inside them.
fn imports(module: &[String], source: &str) -> BTreeSet<&'static str> {
    let mut found = BTreeSet::new();
    let mut inline: Vec<(usize, String)> = Vec::new();
    for line in source.lines() {
        let code = line.split(" // ").next().unwrap_or(line);
        let trimmed = code.trim_start();
        if trimmed.starts_with("//") {
            continue;
        }
        let indent = code.len() - trimmed.len();
        if inline
            .last()
            .is_some_and(|(i, _)| *i == indent && trimmed.starts_with('}'))
        {
            inline.pop();
        }
        let mut here: Vec<String> = module.to_vec();
        here.extend(inline.iter().map(|(_, name)| name.clone()));
        for (start, _) in code.match_indices("crate::") {
            let tree = path_at(code, start + "crate::".len());
            for path in expand(tree) {
                let segments: Vec<String> = path.split("::").map(str::to_owned).collect();
                found.extend(module_of(&segments));
            }
        }
        for (start, _) in code.match_indices("super::") {
            let preceded = code[..start].ends_with("super::")
                || code[..start].ends_with(|c: char| c.is_alphanumeric() || c == '_');
            if preceded {
                continue;
            }
            let tree = path_at(code, start);
            for path in expand(tree) {
                let mut segments = here.clone();
                let mut rest = path.split("::").peekable();
                while rest.peek() == Some(&"super") {
                    rest.next();
                    segments.pop();
                }
                segments.extend(rest.map(str::to_owned).filter(|s| s != "*"));
                found.extend(module_of(&segments));
            }
        }
        if let Some(name) = trimmed
            .strip_prefix("mod ")
            .or_else(|| trimmed.strip_prefix("pub mod "))
            .and_then(|rest| rest.strip_suffix(" {"))
        {
            inline.push((indent, name.to_owned()));
        }
    }
    found
}

/// Every `.rs` file under `dir`, with its path relative to `root`.
fn rust_files(root: &Path, dir: &Path, out: &mut Vec<(std::path::PathBuf, String)>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("a source file");
            let relative = path.strip_prefix(root).expect("under src").to_path_buf();
            out.push((relative, text));
        }
    }
}

/// The imports between the table's modules: importer → imported, itself left out.
fn edges() -> BTreeMap<&'static str, BTreeSet<&'static str>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &root, &mut files);
    let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut unplaced = Vec::new();
    for (relative, text) in &files {
        let module = file_module(relative);
        let Some(from) = module_of(&module) else {
            unplaced.push(relative.display().to_string());
            continue;
        };
        if from == "layers" {
            continue;
        }
        let to = imports(&module, text).into_iter().filter(|m| *m != from);
        edges.entry(from).or_default().extend(to);
    }
    assert!(
        unplaced.is_empty(),
        "modules with no layer (add them to LAYERS in src/layers.rs): {unplaced:?}"
    );
    edges
}

#[test]
fn imports_point_down() {
    let layer = layer_of();
    let mut up = Vec::new();
    for (from, targets) in edges() {
        for to in targets {
            if layer[to] > layer[from] {
                up.push(format!(
                    "{from} ({}) imports {to} ({})",
                    LAYERS[layer[from]].0, LAYERS[layer[to]].0
                ));
            }
        }
    }
    assert!(up.is_empty(), "imports pointing up:\n{}", up.join("\n"));
}

#[test]
fn no_module_imports_itself_around_a_circle() {
    let edges = edges();
    let reaches = |from: &str, to: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from];
        while let Some(m) = stack.pop() {
            for next in edges.get(m).into_iter().flatten() {
                if *next == to {
                    return true;
                }
                if seen.insert(*next) {
                    stack.push(next);
                }
            }
        }
        false
    };
    let circles: Vec<&str> = edges.keys().copied().filter(|m| reaches(m, m)).collect();
    assert!(
        circles.is_empty(),
        "modules in an import circle: {circles:?}"
    );
}

#[test]
fn no_module_is_listed_twice() {
    let listed: usize = LAYERS.iter().map(|(_, m)| m.len()).sum();
    assert_eq!(layer_of().len(), listed, "a module listed twice");
}

/// The server's part of ARCHITECTURE.md's code map.
fn code_map() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ARCHITECTURE.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let start = text
        .find("### `server/`")
        .expect("ARCHITECTURE.md has a server section");
    let end = text[start + 1..]
        .find("\n### ")
        .map_or(text.len(), |i| start + 1 + i);
    text[start..end].to_owned()
}

#[test]
fn the_code_map_names_every_module_and_no_other() {
    let map = code_map();
    let missing: Vec<&str> = layer_of()
        .into_keys()
        .filter(|m| *m != "layers" && !map.contains(&format!("`{m}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "modules ARCHITECTURE.md's code map does not describe: {missing:?}"
    );
    let layer = layer_of();
    let unknown: Vec<&str> = map
        .lines()
        .filter_map(|l| l.strip_prefix("- `")?.split('`').next())
        .filter(|m| !layer.contains_key(m))
        .collect();
    assert!(
        unknown.is_empty(),
        "ARCHITECTURE.md's code map describes modules src/ does not have: {unknown:?}"
    );
}

#[test]
fn use_trees_expand() {
    assert_eq!(
        expand("a::{b, c::{d, self}}"),
        ["a::b", "a::c::d", "a::c"].map(String::from)
    );
    let module = ["dashboard".to_owned(), "session".to_owned()];
    let found = imports(
        &module,
        "use super::i18n::Lang;\nuse crate::{app::App, db::users};",
    );
    assert_eq!(
        found,
        BTreeSet::from(["dashboard", "app", "db"]),
        "super:: from dashboard::session, and a crate:: tree"
    );
    let tests = "mod tests {\n    use super::*;\n}\n";
    assert_eq!(
        imports(&["dashboard".to_owned(), "i18n".to_owned()], tests),
        BTreeSet::from(["dashboard"])
    );
}
