//! The layout of the runtime and the generator: in each crate the top-level modules import each
//! other without a cycle (a file of module A naming `crate::B` is an arrow A → B), and no source
//! file grows past 450 lines.
#![allow(clippy::unwrap_used)] // a test fails loudly on an unreadable source tree

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its comments (doc links name modules without importing them).
fn code(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap();
    text.lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules named by `crate::NAME` (also inside `crate::{…}`) in `code`.
fn named_modules(code: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        let names: Vec<&str> = match rest.strip_prefix('{') {
            Some(group) => group
                .split('}')
                .next()
                .unwrap_or("")
                .split(',')
                .map(|item| item.trim().split("::").next().unwrap_or(""))
                .collect(),
            None => vec![
                rest.split(|c: char| !c.is_alphanumeric() && c != '_')
                    .next()
                    .unwrap_or(""),
            ],
        };
        named.extend(
            names
                .into_iter()
                .filter(|n| modules.contains(*n))
                .map(str::to_owned),
        );
    }
    named
}

fn arrows(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for entry in fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" || name == "main" {
            continue;
        }
        let mut found = Vec::new();
        if path.is_dir() {
            sources(&path, &mut found);
        } else {
            found.push(path);
        }
        files.entry(name).or_default().extend(found);
    }
    let modules: BTreeSet<String> = files.keys().cloned().collect();
    files
        .into_iter()
        .map(|(module, paths)| {
            let mut to: BTreeSet<String> = paths
                .iter()
                .flat_map(|p| named_modules(&code(p), &modules))
                .collect();
            to.remove(&module);
            (module, to)
        })
        .collect()
}

/// A cycle through `from`, if there is one: the path back to it.
fn cycle_through(from: &str, arrows: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    let mut stack = vec![(from.to_owned(), vec![from.to_owned()])];
    let mut seen = BTreeSet::new();
    while let Some((at, path)) = stack.pop() {
        for next in arrows.get(&at).into_iter().flatten() {
            if next == from {
                return Some([path.clone(), vec![next.clone()]].concat());
            }
            if seen.insert(next.clone()) {
                stack.push((next.clone(), [path.clone(), vec![next.clone()]].concat()));
            }
        }
    }
    None
}

/// The `src` folder of the workspace crate in `folder`.
fn src(folder: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(folder)
        .join("src")
}

fn assert_no_cycle(arrows: &BTreeMap<String, BTreeSet<String>>) {
    for module in arrows.keys() {
        if let Some(cycle) = cycle_through(module, arrows) {
            panic!("module cycle: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn the_runtime_modules_form_no_cycle() {
    let arrows = arrows(&src("runtime"));
    assert!(arrows.len() > 5, "the modules were found: {arrows:?}");
    assert!(
        arrows["strategy"].contains("storage"),
        "the arrows are read: {arrows:?}"
    );
    assert_no_cycle(&arrows);
}

#[test]
fn the_generator_modules_form_no_cycle() {
    let arrows = arrows(&src("generator"));
    assert!(
        arrows["codegen"].contains("model"),
        "the arrows are read: {arrows:?}"
    );
    assert_no_cycle(&arrows);
}

#[test]
fn no_source_file_is_longer_than_450_lines() {
    let mut files = Vec::new();
    sources(&src("runtime"), &mut files);
    sources(&src("generator"), &mut files);
    assert!(files.len() > 50, "the sources were found");
    for file in files {
        let lines = fs::read_to_string(&file).unwrap().lines().count();
        assert!(lines <= 450, "{} has {lines} lines", file.display());
    }
}

#[test]
fn a_cycle_is_found_when_there_is_one() {
    let arrows: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(m, to)| (m.to_owned(), to.into_iter().map(str::to_owned).collect()))
    .collect();
    assert_eq!(
        cycle_through("a", &arrows),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    assert_eq!(cycle_through("d", &arrows), None);
    let modules = ["clock", "storage"]
        .map(str::to_owned)
        .into_iter()
        .collect();
    assert_eq!(
        named_modules("use crate::{clock::Millis, storage};", &modules).len(),
        2
    );
}
