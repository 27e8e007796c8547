//! `advanced-caching`: check a spec, explain it, print its generated code, or print the JSON
//! schema.

use std::path::PathBuf;
use std::process::ExitCode;

use advanced_caching_build::{Builder, Error};

const USAGE: &str = "usage: advanced-caching <command>

commands:
  check <cache.toml> [--crate-root FILE]    report every problem (exit 1 when there is one)
  expand <cache.toml> [--crate-root FILE]   print the generated Rust
  explain <cache.toml> [--crate-root FILE]  each entry's strategy, key (with an example) and
                                            effective TTL at every storage level
  schema                                    print the JSON schema of cache.toml
  init [DIR]                                write a starter cache.toml (never over one) and
                                            cache.schema.json beside it, for editor completion";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut builder = Builder::new();
    let mut positional = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--crate-root" => match it.next() {
                Some(root) => builder = builder.crate_root(PathBuf::from(root)),
                None => return usage("--crate-root needs a file"),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => positional.push(other.to_owned()),
        }
    }
    match positional.as_slice() {
        [cmd, rest @ ..] if cmd == "init" && rest.len() <= 1 => {
            let dir = PathBuf::from(rest.first().map_or(".", String::as_str));
            match advanced_caching_build::init(&dir) {
                Ok(written) => {
                    for file in written {
                        println!("wrote {}", file.display());
                    }
                    println!(
                        "next: build.rs calls advanced_caching_build::compile(\"cache.toml\"); the crate calls advanced_caching::include_generated!()"
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e),
            }
        }
        [cmd] if cmd == "schema" => {
            print!("{}", advanced_caching_build::schema());
            ExitCode::SUCCESS
        }
        [cmd, spec] if cmd == "check" => match builder.check(spec) {
            Ok(checked) => {
                for warning in advanced_caching_build::warnings(&checked) {
                    eprintln!("warning: {warning}");
                }
                println!(
                    "{spec}: ok ({} functions, {} loaders, {} readers, {} storages)",
                    checked.functions.len(),
                    checked.loaders.len(),
                    checked.readers.len(),
                    checked.storages.len()
                );
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        [cmd, spec] if cmd == "explain" => match builder.check(spec) {
            Ok(checked) => {
                print!("{}", advanced_caching_build::explain(&checked));
                for warning in advanced_caching_build::warnings(&checked) {
                    println!("warning: {warning}");
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        [cmd, spec] if cmd == "expand" => match builder.expand(spec) {
            Ok(code) => {
                print!("{code}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        _ => usage("unknown command"),
    }
}

fn fail(e: &Error) -> ExitCode {
    eprint!("{e}");
    if let Error::Spec(d) = e {
        eprintln!("\n{} error(s)", d.items.len());
    } else {
        eprintln!();
    }
    ExitCode::FAILURE
}

fn usage(why: &str) -> ExitCode {
    eprintln!("error: {why}\n\n{USAGE}");
    ExitCode::from(2)
}
