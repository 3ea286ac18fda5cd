// SPDX-License-Identifier: GPL-2.0

//! `dmacopy generate`: shell completions and man pages from the command-line definitions, so
//! that they never drift from what the parser takes. Hidden from the help; `make install-tools`
//! runs it.

use crate::args::{Cli, Generate, GenerateOpts};
use crate::{emit, CliError, CliResult};
use clap::{Command, CommandFactory};
use clap_complete::Shell;
use std::path::Path;

/// The shell named `name` (one of [`crate::args::SHELLS`]).
fn shell(name: &str) -> CliResult<Shell> {
    match name {
        "bash" => Ok(Shell::Bash),
        "zsh" => Ok(Shell::Zsh),
        "fish" => Ok(Shell::Fish),
        other => Err(CliError::Usage(format!(
            "no completions for shell '{other}'"
        ))),
    }
}

/// The completion script of `shell`.
pub fn completions(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "dmacopy", &mut out);
    out
}

/// The definitions as the man pages want them: a page shows the summary (`about`) and then
/// the description (`long_about`), which the help starts with the summary too; the pages leave
/// it out of the description.
fn for_man(mut cmd: Command) -> Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect();
    for name in names {
        cmd = cmd.mut_subcommand(name, for_man);
    }
    let (Some(about), Some(long)) = (cmd.get_about(), cmd.get_long_about()) else {
        return cmd;
    };
    let (about, long) = (about.to_string(), long.to_string());
    match long.strip_prefix(&about) {
        Some(rest) => {
            let rest = rest.trim_start_matches(['.', '\n']).to_owned();
            cmd.long_about(rest)
        }
        None => cmd,
    }
}

/// The man page dmacopy(1).
pub fn man_page() -> CliResult<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(for_man(Cli::command()))
        .render(&mut out)
        .map_err(|e| CliError::Failed(format!("cannot render the man page: {e}")))?;
    Ok(out)
}

/// Writes dmacopy.1 and a page per command (dmacopy-copy.1, ...) into `dir`.
fn man_pages_to(dir: &Path) -> CliResult {
    std::fs::create_dir_all(dir)
        .and_then(|()| clap_mangen::generate_to(for_man(Cli::command()), dir))
        .map_err(|e| {
            CliError::Failed(format!(
                "cannot write the man pages to {}: {}",
                dir.display(),
                dmacopy::errno_desc(&e)
            ))
        })
}

/// Runs `dmacopy generate`.
pub fn run(o: &GenerateOpts) -> CliResult {
    match &o.what {
        Generate::Completions { shell: name } => {
            let text = completions(shell(name)?);
            emit(&String::from_utf8_lossy(&text))
        }
        Generate::Man { dir: Some(dir) } => man_pages_to(Path::new(dir)),
        Generate::Man { dir: None } => emit(&String::from_utf8_lossy(&man_page()?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts() {
        for name in crate::args::SHELLS {
            let text = String::from_utf8(completions(shell(name).unwrap())).unwrap();
            // Every command and a few options are offered.
            for word in [
                "info", "copy", "stats", "bench", "claim", "release", "--batch",
            ] {
                assert!(text.contains(word), "{name}: no {word}");
            }
            assert!(text.contains("--watch"), "{name}");
        }
        assert!(shell("tcsh").is_err());
    }

    #[test]
    fn man() {
        let page = String::from_utf8(man_page().unwrap()).unwrap();
        assert!(page.starts_with(".ie \\n(.g .ds Aq"), "{}", &page[..40]);
        assert!(page.contains(".TH dmacopy 1"), "{page}");
        for word in ["info", "copy", "stats", "bench", "claim", "release"] {
            assert!(page.contains(word), "no {word}");
        }
        assert!(!page.contains("generate"), "the hidden command shows");
        // The summary once, not again at the start of the description.
        assert_eq!(
            page.matches("Copy memory with the DMA channels").count(),
            1,
            "{page}"
        );
        let copy = for_man(Cli::command());
        let copy = copy.find_subcommand("copy").unwrap();
        let long = copy.get_long_about().unwrap().to_string();
        assert!(
            long.starts_with(
                "Fill SRC with a pseudo-random pattern and DST with a fixed one, copy, check DST"
            ),
            "{long}"
        );
    }
}
