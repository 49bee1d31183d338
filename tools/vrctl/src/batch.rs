// SPDX-License-Identifier: GPL-2.0-only
//! `vrctl -batch FILE`: one command per line, as `ip -batch`.
//!
//! A line holds the same words as a command line after `vrctl` (`create 7
//! name blue`, `-j list`, `delete 7 --force`). Words are separated by
//! blanks; `'...'` and `"..."` quote, a backslash escapes the next
//! character, a word starting with `#` starts a comment, and a line ending
//! with a backslash continues on the next one. Blank and comment-only lines
//! are skipped. `exec` and a nested `-batch` are refused. Everything runs
//! over one generic netlink socket, opened at the first line that needs it.

use std::io::BufRead;

use clap::{CommandFactory, FromArgMatches};
use vrctx_uapi::{parse_id, validate_name};

use crate::cli::{Cli, Command, ContextRef};

/// One command of a batch: its first line number and its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub number: usize,
    pub words: Vec<String>,
}

/// Splits one logical line into words (see the module comment).
pub fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        match chars.peek() {
            None | Some('#') => return Ok(words),
            Some(_) => {}
        }
        let mut word = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() {
                break;
            }
            chars.next();
            match c {
                '\\' => match chars.next() {
                    Some(e) => word.push(e),
                    None => return Err("a backslash ends the line".into()),
                },
                '\'' | '"' => loop {
                    match chars.next() {
                        Some(q) if q == c => break,
                        Some('\\') if c == '"' => match chars.next() {
                            Some(e) => word.push(e),
                            None => return Err(format!("unterminated {c}quote")),
                        },
                        Some(o) => word.push(o),
                        None => return Err(format!("unterminated {c}quote{c}")),
                    }
                },
                _ => word.push(c),
            }
        }
        words.push(word);
    }
}

/// Reads the commands of a batch: physical lines joined at a trailing
/// backslash, split into words; lines without words are dropped. A read
/// error or a word-splitting error names its line.
pub fn read_lines<R: BufRead>(input: R) -> impl Iterator<Item = Result<Line, (usize, String)>> {
    let mut physical = input.lines().enumerate();
    std::iter::from_fn(move || loop {
        let (i, first) = physical.next()?;
        let number = i + 1;
        let mut text = match first {
            Ok(t) => t,
            Err(e) => return Some(Err((number, e.to_string()))),
        };
        while text.ends_with('\\') && !text.ends_with("\\\\") {
            text.pop();
            text.push(' ');
            match physical.next() {
                Some((_, Ok(more))) => text.push_str(&more),
                Some((j, Err(e))) => return Some(Err((j + 1, e.to_string()))),
                None => break,
            }
        }
        match split_words(&text) {
            Ok(words) if words.is_empty() => continue,
            Ok(words) => return Some(Ok(Line { number, words })),
            Err(e) => return Some(Err((number, e))),
        }
    })
}

/// Parses batch lines with the command line's own parser, built once (a
/// clap command costs far more to build than to run), after a fast path for
/// the plain `create` and `delete` lines that make up large batches.
pub struct LineParser {
    clap: clap::Command,
}

impl Default for LineParser {
    fn default() -> Self {
        LineParser {
            clap: Cli::command(),
        }
    }
}

impl LineParser {
    /// The command of one line and whether the line asked for JSON; the
    /// error is one line of text.
    pub fn parse(&mut self, words: &[String]) -> Result<(Command, bool), String> {
        if let Some(c) = fast_path(words) {
            return Ok((c, false));
        }
        let matches = self
            .clap
            .try_get_matches_from_mut(
                std::iter::once("vrctl").chain(words.iter().map(String::as_str)),
            )
            .map_err(|e| first_line(&e.render().to_string()))?;
        let cli =
            Cli::from_arg_matches(&matches).map_err(|e| first_line(&e.render().to_string()))?;
        if cli.batch.is_some() || cli.force {
            return Err("-batch and -force are not allowed inside a batch".into());
        }
        match cli.command {
            None => Err("no command".into()),
            Some(Command::Exec { .. }) => Err("exec is not allowed in a batch".into()),
            Some(c) => Ok((c, cli.json)),
        }
    }
}

/// `create ID [name NAME]` and `delete|del ID|NAME [-f|--force]`, exactly
/// as clap would parse them; anything else (abbreviations, options, errors)
/// is left to clap.
fn fast_path(words: &[String]) -> Option<Command> {
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    let id = |s: &str| {
        if s.starts_with(|c: char| c.is_ascii_digit()) {
            parse_id(s).ok()
        } else {
            None
        }
    };
    let ctx = |s: &str| match s.parse::<ContextRef>() {
        Ok(c) if !s.starts_with('-') => Some(c),
        _ => None,
    };
    match w.as_slice() {
        ["create", i] => Some(Command::Create {
            id: id(i)?,
            name_keyword: None,
            name: None,
        }),
        ["create", i, "name", n] if !n.starts_with('-') && validate_name(n).is_ok() => {
            Some(Command::Create {
                id: id(i)?,
                name_keyword: Some("name".into()),
                name: Some(n.to_string()),
            })
        }
        ["delete" | "del", c] => Some(Command::Delete {
            ctx: ctx(c)?,
            force: false,
        }),
        ["delete" | "del", c, "-f" | "--force"] => Some(Command::Delete {
            ctx: ctx(c)?,
            force: true,
        }),
        _ => None,
    }
}

/// A run of batch lines sent as one request: `create ID` lines without a
/// name, or `delete ID` lines without force, whose ids follow each other
/// (`create 7`, `create 8`, ...). The kernel creates or deletes the whole
/// range or none of it, so a range that fails is replayed line by line:
/// the lines before the culprit take effect, the culprit is reported with
/// its own line number and error, and the lines after it run only with
/// `-force`, exactly as without ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub create: bool,
    pub first: u32,
    /// The line number of each context of the range, in order.
    pub lines: Vec<usize>,
}

impl Run {
    /// At most this many contexts per request (`VRCTX_COUNT_MAX`).
    pub const MAX: usize = vrctx_uapi::VRCTX_COUNT_MAX as usize;

    /// Whether `command` can be part of a run, and which: (create, id).
    fn member(command: &Command) -> Option<(bool, u32)> {
        match command {
            Command::Create { id, name: None, .. } => Some((true, *id)),
            Command::Delete {
                ctx: ContextRef::Id(id),
                force: false,
            } => Some((false, *id)),
            _ => None,
        }
    }

    /// A run of `command` alone, on line `number`, if it can start one.
    pub fn start(command: &Command, number: usize) -> Option<Run> {
        let (create, first) = Run::member(command)?;
        Some(Run {
            create,
            first,
            lines: vec![number],
        })
    }

    /// Adds `command`, on line `number`, if it continues the run.
    pub fn extend(&mut self, command: &Command, number: usize) -> bool {
        let next = u32::try_from(self.lines.len())
            .ok()
            .and_then(|n| self.first.checked_add(n));
        match Run::member(command) {
            Some((create, id)) if create == self.create && Some(id) == next && !self.is_full() => {
                self.lines.push(number);
                true
            }
            _ => false,
        }
    }

    pub fn is_full(&self) -> bool {
        self.lines.len() >= Run::MAX
    }

    /// The lines again, one command each, for a replay.
    pub fn commands(&self) -> impl Iterator<Item = (usize, Command)> + '_ {
        (self.first..).zip(&self.lines).map(|(id, &number)| {
            let command = if self.create {
                Command::Create {
                    id,
                    name_keyword: None,
                    name: None,
                }
            } else {
                Command::Delete {
                    ctx: ContextRef::Id(id),
                    force: false,
                }
            };
            (number, command)
        })
    }
}

/// The first line of a clap message, without clap's `error: `.
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("invalid command");
    line.strip_prefix("error: ").unwrap_or(line).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn parse_command(words: &[String]) -> Result<(Command, bool), String> {
        LineParser::default().parse(words)
    }

    fn words(s: &str) -> Vec<String> {
        split_words(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    /// (create, first id, line numbers) of each run; other lines as
    /// (false, u32::MAX, [line]).
    type Runs = Vec<(bool, u32, Vec<usize>)>;

    fn runs(text: &str) -> Runs {
        let mut out = Vec::new();
        let mut run: Option<Run> = None;
        let mut p = LineParser::default();
        for l in read_lines(text.as_bytes()) {
            let l = l.expect("line");
            let (c, _) = p.parse(&l.words).expect("command");
            if run.as_mut().is_some_and(|r| r.extend(&c, l.number)) {
                continue;
            }
            out.extend(run.take().map(|r| (r.create, r.first, r.lines)));
            run = Run::start(&c, l.number);
            if run.is_none() {
                out.push((false, u32::MAX, vec![l.number]));
            }
        }
        out.extend(run.map(|r| (r.create, r.first, r.lines)));
        out
    }

    #[test]
    fn runs_of_plain_creates_and_deletes() {
        let other = |n| (false, u32::MAX, vec![n]);
        let cases: &[(&str, Runs)] = &[
            (
                "create 1\ncreate 2\n\ncreate 3\n",
                vec![(true, 1, vec![1, 2, 4])],
            ),
            ("del 5\ndelete 6\n", vec![(false, 5, vec![1, 2])]),
            // A gap, a name, force, a name as the selector, another command
            // or the other direction end the run.
            (
                "create 1\ncreate 3\n",
                vec![(true, 1, vec![1]), (true, 3, vec![2])],
            ),
            (
                "create 1\ncreate 2 name b\ncreate 3\n",
                vec![(true, 1, vec![1]), other(2), (true, 3, vec![3])],
            ),
            (
                "delete 1\ndelete 2 --force\n",
                vec![(false, 1, vec![1]), other(2)],
            ),
            (
                "delete 1\ndelete blue\n",
                vec![(false, 1, vec![1]), other(2)],
            ),
            (
                "create 1\nlist\ncreate 2\n",
                vec![(true, 1, vec![1]), other(2), (true, 2, vec![3])],
            ),
            (
                "create 1\ndelete 2\n",
                vec![(true, 1, vec![1]), (false, 2, vec![2])],
            ),
            (
                "create 2\ncreate 1\n",
                vec![(true, 2, vec![1]), (true, 1, vec![2])],
            ),
        ];
        for (text, want) in cases {
            assert_eq!(&runs(text), want, "{text:?}");
        }
        // A run holds at most VRCTX_COUNT_MAX lines.
        let text: String = (1..=Run::MAX + 1)
            .map(|i| format!("create {i}\n"))
            .collect();
        let got = runs(&text);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].2.len(), Run::MAX);
        assert_eq!((got[1].1, got[1].2.len()), (Run::MAX as u32 + 1, 1));
    }

    #[test]
    fn replayed_commands_are_the_lines() {
        let mut r = Run::start(
            &Command::Delete {
                ctx: ContextRef::Id(9),
                force: false,
            },
            3,
        )
        .unwrap();
        assert!(r.extend(
            &Command::Delete {
                ctx: ContextRef::Id(10),
                force: false
            },
            5
        ));
        let got: Vec<_> = r.commands().collect();
        assert!(matches!(
            got[0],
            (
                3,
                Command::Delete {
                    ctx: ContextRef::Id(9),
                    force: false
                }
            )
        ));
        assert!(matches!(
            got[1],
            (
                5,
                Command::Delete {
                    ctx: ContextRef::Id(10),
                    force: false
                }
            )
        ));
    }

    #[test]
    fn splitting() {
        assert_eq!(words("create 7 name blue"), ["create", "7", "name", "blue"]);
        assert_eq!(words("  \tdel   7\t--force  "), ["del", "7", "--force"]);
        assert!(words("").is_empty());
        assert!(words("   ").is_empty());
        assert!(words("# a comment").is_empty());
        assert_eq!(words("create 1 # the first"), ["create", "1"]);
        // `#` inside a word is not a comment.
        assert_eq!(words("show a#b"), ["show", "a#b"]);
        assert_eq!(words("show 'a b' \"c d\""), ["show", "a b", "c d"]);
        assert_eq!(words("show a\\ b"), ["show", "a b"]);
        assert_eq!(words("show \"a\\\"b\" 'x\\y'"), ["show", "a\"b", "x\\y"]);
        assert_eq!(words("show '' x"), ["show", "", "x"]);
        assert!(split_words("show 'abc")
            .unwrap_err()
            .contains("unterminated"));
        assert!(split_words("show \"abc")
            .unwrap_err()
            .contains("unterminated"));
    }

    #[test]
    fn reading_numbers_lines() {
        let text = "create 1\n\n# comment\n  create 2 \\\n name b\ncreate 3\n";
        let lines: Vec<_> = read_lines(text.as_bytes()).collect();
        assert_eq!(
            lines,
            vec![
                Ok(Line {
                    number: 1,
                    words: words("create 1")
                }),
                Ok(Line {
                    number: 4,
                    words: words("create 2 name b")
                }),
                Ok(Line {
                    number: 6,
                    words: words("create 3")
                }),
            ]
        );
        let bad: Vec<_> = read_lines("list\nshow 'x\n".as_bytes()).collect();
        assert_eq!(bad.len(), 2);
        assert_eq!(bad[1].as_ref().unwrap_err().0, 2);
        // No trailing newline, CRLF-free text, a final continuation.
        let last: Vec<_> = read_lines("list \\".as_bytes()).collect();
        assert_eq!(
            last,
            vec![Ok(Line {
                number: 1,
                words: words("list")
            })]
        );
    }

    #[test]
    fn lines_parse_as_commands() {
        let p = |s: &str| parse_command(&words(s));
        match p("create 7 name blue").unwrap() {
            (Command::Create { id, name, .. }, false) => {
                assert_eq!(id, 7);
                assert_eq!(name.as_deref(), Some("blue"));
            }
            c => panic!("{c:?}"),
        }
        match p("del blue -f").unwrap() {
            (Command::Delete { ctx, force }, false) => {
                assert_eq!(ctx, ContextRef::Name("blue".into()));
                assert!(force);
            }
            c => panic!("{c:?}"),
        }
        assert!(matches!(p("-j ls").unwrap(), (Command::List, true)));
        assert!(matches!(
            p("show 3 -j").unwrap(),
            (Command::Show { .. }, true)
        ));
        assert!(p("create 0x80000000").unwrap_err().contains("out of range"));
        assert!(p("frobnicate")
            .unwrap_err()
            .contains("unrecognized subcommand"));
        assert!(!p("frobnicate").unwrap_err().contains('\n'));
        assert!(p("exec 1 -- true").unwrap_err().contains("not allowed"));
        assert!(p("-b x").unwrap_err().contains("not allowed"));
        assert!(p("-j").unwrap_err().contains("no command"));
        // One parser for many lines.
        let mut lp = LineParser::default();
        for _ in 0..3 {
            assert!(lp.parse(&words("cr 5")).is_ok());
            assert!(lp.parse(&words("cr x")).is_err());
        }
    }

    #[test]
    fn fast_path_agrees_with_clap() {
        for line in [
            "create 7",
            "create 0x7fffffff",
            "create 7 name blue",
            "create 7 name a-b.c_d",
            "delete 7",
            "del blue",
            "delete 0x10 -f",
            "del blue --force",
            "delete 0",
            "create 0",
        ] {
            let w = words(line);
            let fast = fast_path(&w).unwrap_or_else(|| panic!("{line}: no fast path"));
            let cli =
                Cli::try_parse_from(std::iter::once("vrctl").chain(w.iter().map(String::as_str)))
                    .unwrap();
            assert_eq!(
                format!("{fast:?}"),
                format!("{:?}", cli.command.unwrap()),
                "{line}"
            );
        }
        // Everything else goes to clap, which has the messages.
        for line in [
            "create",
            "create 0x80000000",
            "create blue",
            "create 1x",
            "create 7 name 9x",
            "create 7 name",
            "create 7 nam x",
            "create 7 name a b",
            "create -j 7",
            "delete",
            "delete -f",
            "delete -1",
            "delete 7 -j",
            "delete a/b",
            "cr 7",
            "show 7",
        ] {
            assert!(fast_path(&words(line)).is_none(), "{line}");
        }
    }
}
