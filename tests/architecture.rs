//! Dependencies between the top-level modules of `src/` point one way.
//!
//! Every top-level module sits in one layer of [`LAYERS`]. A module may
//! use modules of its own layer and of lower layers, never of a higher
//! one, and no module may reach itself again through the modules it uses
//! (no cycle, also not inside a layer). The import graph is read from the
//! source with `syn`: `use crate::x::..` trees, `crate::x::..` paths
//! anywhere in the code (tests included), paths inside macro calls, and
//! `super::` paths that climb out of a top-level module. Comments, doc
//! comments and strings are not code and do not count.
//!
//! docs/architecture.md ("Modules") and ADR 0020 explain the layers; a
//! change to [`LAYERS`] belongs in both.

use proc_macro2::{Ident, TokenStream, TokenTree};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// The layers, lowest first, each with its top-level modules.
const LAYERS: &[(&str, &[&str])] = &[
    // Vocabulary and the wall clock: no module of the project below them.
    (
        "foundation",
        &["domain", "clock", "telemetry", "rate_limit"],
    ),
    // Pure rules about time, text and citizens' files.
    ("rules", &["hours", "privacy", "knowledge", "media"]),
    // The settings file, which holds the rules' settings.
    ("settings", &["config"]),
    // Pure decisions on top of rules and settings.
    ("decisions", &["reply", "report"]),
    // The outside world: the database, Meta's API, the on-call alert.
    ("adapters", &["db", "whatsapp", "alert", "send_limits"]),
    // What works with stored data: staff, the queue, the intake.
    (
        "services",
        &[
            "accounts", "queue", "intake", "metrics", "editors", "webchat",
        ],
    ),
    // The background workers.
    ("workers", &["processing", "outbox", "retention", "fetcher"]),
    // What a person or a process starts: HTTP, the commands, the wiring
    // and (until it moves to its own crate) the load generator.
    ("entry points", &["web", "startup", "cli"]),
];

/// One place where a top-level module uses another.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Use {
    from: String,
    to: String,
    file: PathBuf,
    line: usize,
}

impl Use {
    fn place(&self) -> String {
        format!("{}:{}", self.file.display(), self.line)
    }
}

/// The module path of a file below `src/`: `db/queue.rs` is `db::queue`,
/// `db/mod.rs` is `db`.
fn module_path(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.last_mut() {
        *last = last.trim_end_matches(".rs").to_owned();
    }
    if parts.last().is_some_and(|last| last == "mod") {
        parts.pop();
    }
    parts
}

/// The top-level module a path names, seen from module `at`: the segment
/// after `crate`, or the one reached by climbing out with `super`.
/// `None` for paths that stay inside the module or leave the crate.
fn top_module(segments: &[String], at: &[String]) -> Option<String> {
    match segments.first().map(String::as_str) {
        Some("crate") => segments.get(1).cloned(),
        Some("super") => {
            let ups = segments.iter().take_while(|s| *s == "super").count();
            let mut here = at.to_vec();
            for _ in 0..ups {
                here.pop()?;
            }
            match here.first() {
                Some(top) => Some(top.clone()),
                None => segments.get(ups).cloned(),
            }
        }
        _ => None,
    }
}

/// Collects the uses of one file.
struct Collector<'a> {
    file: &'a Path,
    /// The module being read: the file's, plus inline `mod x { .. }`.
    at: Vec<String>,
    found: Vec<Use>,
}

impl Collector<'_> {
    fn note(&mut self, segments: &[Ident]) {
        let names: Vec<String> = segments.iter().map(Ident::to_string).collect();
        let Some(to) = top_module(&names, &self.at) else {
            return;
        };
        let Some(from) = self.at.first() else { return };
        if *from == to {
            return;
        }
        self.found.push(Use {
            from: from.clone(),
            to,
            file: self.file.to_owned(),
            line: segments[0].span().start().line,
        });
    }

    /// Flattens a `use` tree into its paths.
    fn use_tree(&mut self, tree: &syn::UseTree, prefix: &mut Vec<Ident>) {
        match tree {
            syn::UseTree::Path(path) => {
                prefix.push(path.ident.clone());
                self.use_tree(&path.tree, prefix);
                prefix.pop();
            }
            syn::UseTree::Name(syn::UseName { ident })
            | syn::UseTree::Rename(syn::UseRename { ident, .. }) => {
                prefix.push(ident.clone());
                self.note(prefix);
                prefix.pop();
            }
            syn::UseTree::Glob(_) => self.note(prefix),
            syn::UseTree::Group(group) => {
                for item in &group.items {
                    self.use_tree(item, prefix);
                }
            }
        }
    }

    /// Paths inside a macro call's tokens (`format!("{}", crate::x::f())`),
    /// which `syn` leaves unparsed. `$crate` reads as `crate`.
    fn tokens(&mut self, tokens: TokenStream) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < tokens.len() {
            if let TokenTree::Group(group) = &tokens[i] {
                self.tokens(group.stream());
                i += 1;
                continue;
            }
            let starts_path =
                matches!(&tokens[i], TokenTree::Ident(id) if id == "crate" || id == "super");
            if !starts_path {
                i += 1;
                continue;
            }
            // ident (:: ident)*
            let mut path: Vec<Ident> = Vec::new();
            let mut j = i;
            while let Some(TokenTree::Ident(ident)) = tokens.get(j) {
                path.push(ident.clone());
                let colons = matches!(
                    (tokens.get(j + 1), tokens.get(j + 2)),
                    (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
                        if a.as_char() == ':' && b.as_char() == ':'
                );
                if !colons {
                    break;
                }
                j += 3;
            }
            if path.len() > 1 {
                self.note(&path);
            }
            i = j.max(i + 1);
        }
    }
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&item.tree, &mut Vec::new());
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.leading_colon.is_none() {
            let segments: Vec<Ident> = path.segments.iter().map(|s| s.ident.clone()).collect();
            self.note(&segments);
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.tokens(mac.tokens.clone());
        syn::visit::visit_macro(self, mac);
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if item.content.is_some() {
            self.at.push(item.ident.to_string());
            syn::visit::visit_item_mod(self, item);
            self.at.pop();
        }
    }
}

/// The uses in one file's source, read as module `at`.
fn uses_in(source: &str, file: &Path, at: Vec<String>) -> Result<Vec<Use>, String> {
    let syntax =
        syn::parse_file(source).map_err(|e| format!("{}: cannot parse: {e}", file.display()))?;
    let mut collector = Collector {
        file,
        at,
        found: Vec::new(),
    };
    collector.visit_file(&syntax);
    // `use crate::db::{A, B}` names `db` twice on one line: once is enough.
    collector
        .found
        .sort_by(|a, b| (a.line, &a.to).cmp(&(b.line, &b.to)));
    collector.found.dedup();
    Ok(collector.found)
}

/// The top-level modules `lib.rs` declares.
fn declared_modules(lib: &str) -> Result<Vec<String>, String> {
    let syntax = syn::parse_file(lib).map_err(|e| format!("src/lib.rs: cannot parse: {e}"))?;
    Ok(syntax
        .items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Mod(module) => Some(module.ident.to_string()),
            _ => None,
        })
        .collect())
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            rust_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// Every use between top-level modules in `root/src`, with file paths
/// relative to `root`.
fn uses_of_crate(root: &Path) -> Result<(Vec<String>, Vec<Use>), String> {
    let src = root.join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs"))
        .map_err(|e| format!("src/lib.rs: cannot read: {e}"))?;
    let modules = declared_modules(&lib)?;
    let mut uses = Vec::new();
    for module in &modules {
        let mut files = Vec::new();
        let file = src.join(format!("{module}.rs"));
        if file.is_file() {
            files.push(file);
        }
        let dir = src.join(module);
        if dir.is_dir() {
            rust_files(&dir, &mut files).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        files.sort();
        for file in files {
            let source = std::fs::read_to_string(&file)
                .map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
            let relative = file.strip_prefix(root).unwrap_or(&file).to_owned();
            let at = module_path(file.strip_prefix(&src).unwrap_or(&file));
            uses.extend(uses_in(&source, &relative, at)?);
        }
    }
    Ok((modules, uses))
}

/// What is wrong with `uses` against `layers`: modules missing from the
/// layer list, uses of a higher layer, and cycles. Empty when all is well.
fn problems(layers: &[(&str, &[&str])], modules: &[String], uses: &[Use]) -> Vec<String> {
    let layer_of: BTreeMap<&str, (usize, &str)> = layers
        .iter()
        .enumerate()
        .flat_map(|(rank, (name, members))| members.iter().map(move |m| (*m, (rank, *name))))
        .collect();
    let mut problems = Vec::new();
    for module in modules {
        if !layer_of.contains_key(module.as_str()) {
            problems.push(format!(
                "src/lib.rs declares module `{module}`, which is in no layer: add it to LAYERS in tests/architecture.rs (and to docs/architecture.md)"
            ));
        }
    }
    for found in uses {
        let (Some(&(from_rank, from_layer)), Some(&(to_rank, to_layer))) = (
            layer_of.get(found.from.as_str()),
            layer_of.get(found.to.as_str()),
        ) else {
            continue;
        };
        if to_rank > from_rank {
            problems.push(format!(
                "{}: `{}` (layer \"{from_layer}\") uses `{}` (layer \"{to_layer}\"), a higher layer: move what it needs down, or pass it in",
                found.place(),
                found.from,
                found.to
            ));
        }
    }
    problems.extend(cycles(uses));
    problems
}

/// One message per group of modules that reach each other (a strongly
/// connected component of more than one module), naming a cycle and
/// every use inside the group.
fn cycles(uses: &[Use]) -> Vec<String> {
    let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for found in uses {
        edges
            .entry(found.from.as_str())
            .or_default()
            .insert(found.to.as_str());
        edges.entry(found.to.as_str()).or_default();
    }
    let reaches = |start: &str| -> BTreeSet<&str> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![start];
        while let Some(node) = stack.pop() {
            for next in &edges[node] {
                if seen.insert(*next) {
                    stack.push(next);
                }
            }
        }
        seen
    };
    let reach: BTreeMap<&str, BTreeSet<&str>> =
        edges.keys().map(|node| (*node, reaches(node))).collect();
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut messages = Vec::new();
    for node in edges.keys() {
        if done.contains(node) || !reach[node].contains(node) {
            continue;
        }
        let group: BTreeSet<&str> = reach[node]
            .iter()
            .copied()
            .filter(|other| reach[other].contains(node))
            .collect();
        done.extend(group.iter().copied());
        let mut message = format!(
            "import cycle between top-level modules: {}\n  the uses inside it:",
            cycle_through(node, &group, &edges).join(" -> ")
        );
        let mut inside: BTreeMap<(&str, &str), Vec<&Use>> = BTreeMap::new();
        for found in uses {
            if group.contains(found.from.as_str()) && group.contains(found.to.as_str()) {
                inside
                    .entry((found.from.as_str(), found.to.as_str()))
                    .or_default()
                    .push(found);
            }
        }
        for ((from, to), places) in inside {
            let list: Vec<String> = places.iter().map(|u| u.place()).collect();
            message.push_str(&format!("\n    {from} -> {to}: {}", list.join(", ")));
        }
        messages.push(message);
    }
    messages
}

/// A shortest way from `start` back to itself inside `group`.
fn cycle_through<'a>(
    start: &'a str,
    group: &BTreeSet<&'a str>,
    edges: &BTreeMap<&'a str, BTreeSet<&'a str>>,
) -> Vec<&'a str> {
    let mut previous: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for next in &edges[node] {
            if !group.contains(next) {
                continue;
            }
            if *next == start {
                let mut path = vec![start, node];
                let mut at = node;
                while at != start {
                    at = previous[at];
                    path.push(at);
                }
                path.reverse();
                return path;
            }
            if !previous.contains_key(next) {
                previous.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    vec![start, start]
}

#[test]
fn module_dependencies_point_one_way() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (modules, uses) = uses_of_crate(root).expect("the source reads");
    assert!(
        uses.len() > 50,
        "only {} uses between modules found: is the reader broken?",
        uses.len()
    );
    let found = problems(LAYERS, &modules, &uses);
    assert!(
        found.is_empty(),
        "the module layers are broken ({} problems):\n{}",
        found.len(),
        found.join("\n")
    );
}

/// Prints the graph: `cargo test --test architecture -- --ignored --nocapture`.
#[test]
#[ignore = "prints the module graph; run by hand"]
fn print_the_module_graph() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (_, uses) = uses_of_crate(root).expect("the source reads");
    let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for found in &uses {
        *counts.entry((&found.from, &found.to)).or_default() += 1;
    }
    for ((from, to), count) in counts {
        println!("{from} -> {to} ({count})");
    }
}

mod checker {
    use super::*;

    fn used(from: &str, to: &str, line: usize) -> Use {
        Use {
            from: from.to_owned(),
            to: to.to_owned(),
            file: PathBuf::from(format!("src/{from}.rs")),
            line,
        }
    }

    const SMALL: &[(&str, &[&str])] = &[("low", &["a"]), ("middle", &["b", "c"]), ("high", &["d"])];

    fn modules() -> Vec<String> {
        ["a", "b", "c", "d"].map(str::to_owned).to_vec()
    }

    #[test]
    fn a_graph_that_points_down_passes() {
        let uses = [used("b", "a", 1), used("c", "b", 2), used("d", "c", 3)];
        assert_eq!(problems(SMALL, &modules(), &uses), Vec::<String>::new());
    }

    #[test]
    fn a_cycle_inside_one_layer_is_named_with_its_places() {
        let uses = [used("b", "c", 4), used("c", "b", 9), used("d", "a", 1)];
        let found = problems(SMALL, &modules(), &uses);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("b -> c -> b"), "{}", found[0]);
        assert!(found[0].contains("src/b.rs:4"), "{}", found[0]);
        assert!(found[0].contains("src/c.rs:9"), "{}", found[0]);
    }

    #[test]
    fn a_longer_cycle_is_found_once() {
        let uses = [used("a", "b", 1), used("b", "c", 2), used("c", "a", 3)];
        let found = problems(SMALL, &modules(), &uses);
        let cycles: Vec<&String> = found.iter().filter(|p| p.contains("cycle")).collect();
        assert_eq!(cycles.len(), 1, "{found:?}");
        assert!(cycles[0].contains("a -> b -> c -> a"), "{}", cycles[0]);
    }

    #[test]
    fn a_use_of_a_higher_layer_names_the_file_and_line() {
        let uses = [used("a", "d", 7)];
        let found = problems(SMALL, &modules(), &uses);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("src/a.rs:7: `a`"), "{}", found[0]);
        assert!(found[0].contains("higher layer"), "{}", found[0]);
    }

    #[test]
    fn a_module_in_no_layer_is_refused_and_a_missing_one_tolerated() {
        let mut declared = modules();
        declared.retain(|m| m != "d");
        declared.push("e".to_owned());
        let found = problems(SMALL, &declared, &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("module `e`"), "{}", found[0]);
    }

    #[test]
    fn the_reader_finds_every_kind_of_use_and_nothing_in_comments_or_strings() {
        let source = r#"
            use crate::db::Store;
            use crate::{clock, queue::State as S};
            use super::super::hours::Day;
            use super::sibling::Thing;
            // use crate::commented::Out;
            /// Links to [`crate::documented::Item`].
            fn f() -> crate::config::Settings {
                let _ = "crate::string::Literal";
                tracing::info!(x = %crate::privacy::mask("a"));
                todo!()
            }
            mod tests {
                use super::super::super::super::report::Report;
                use super::*;
            }
        "#;
        let file = Path::new("src/web/api/x.rs");
        let at = module_path(Path::new("web/api/x.rs"));
        assert_eq!(at, ["web", "api", "x"]);
        let found = uses_in(source, file, at).expect("parses");
        let targets: Vec<(&str, usize)> = found.iter().map(|u| (u.to.as_str(), u.line)).collect();
        assert_eq!(
            targets,
            [
                ("db", 2),
                ("clock", 3),
                ("queue", 3),
                ("config", 8),
                ("privacy", 10),
                ("report", 14),
            ],
            "{found:?}"
        );
        assert!(found.iter().all(|u| u.from == "web"));
    }

    #[test]
    fn super_at_the_top_of_a_module_leaves_it() {
        let at = module_path(Path::new("metrics.rs"));
        let found =
            uses_in("use super::db::Removed;", Path::new("src/metrics.rs"), at).expect("parses");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].from.as_str(), found[0].to.as_str()),
            ("metrics", "db")
        );
        let at = module_path(Path::new("queue/mod.rs"));
        let found =
            uses_in("use super::db::Store;", Path::new("src/queue/mod.rs"), at).expect("parses");
        assert_eq!(found[0].to, "db");
    }
}
