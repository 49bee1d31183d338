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

/// One command of a batch as read: a plain line, already parsed without
/// allocating (see [`plain`]), or the words of any other line.
#[derive(Debug)]
pub enum Entry {
    Plain { number: usize, command: Command },
    Words(Line),
}

/// Reads the commands of a batch: physical lines joined at a trailing
/// backslash, split into words; lines without words are dropped. A read
/// error or a word-splitting error names its line. One buffer serves every
/// line, and plain `create`/`delete` lines skip the word splitting: in a
/// TCG guest the allocations of a line cost more than the kernel's work
/// for a context created or deleted by range.
pub fn read_entries<R: BufRead>(
    mut input: R,
) -> impl Iterator<Item = Result<Entry, (usize, String)>> {
    let mut buf = Vec::new();
    let mut number = 0;
    // The next physical line into `buf`, without its line ending (as
    // `BufRead::lines`); false at the end.
    let physical = |input: &mut R, buf: &mut Vec<u8>, number: &mut usize| {
        buf.clear();
        match input.read_until(b'\n', buf) {
            Ok(0) => Ok(false),
            Ok(_) => {
                *number += 1;
                if buf.last() == Some(&b'\n') {
                    buf.pop();
                    if buf.last() == Some(&b'\r') {
                        buf.pop();
                    }
                }
                Ok(true)
            }
            Err(e) => {
                *number += 1;
                Err((*number, e.to_string()))
            }
        }
    };
    let utf8 = |bytes: Vec<u8>, number: usize| {
        String::from_utf8(bytes)
            .map_err(|_| (number, "stream did not contain valid UTF-8".to_string()))
    };
    std::iter::from_fn(move || loop {
        match physical(&mut input, &mut buf, &mut number) {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => return Some(Err(e)),
        }
        let first = number;
        if let Some(command) = plain(&buf) {
            return Some(Ok(Entry::Plain {
                number: first,
                command,
            }));
        }
        let mut text = match utf8(std::mem::take(&mut buf), first) {
            Ok(t) => t,
            Err(e) => return Some(Err(e)),
        };
        while text.ends_with('\\') && !text.ends_with("\\\\") {
            text.pop();
            text.push(' ');
            match physical(&mut input, &mut buf, &mut number) {
                Ok(true) => match utf8(std::mem::take(&mut buf), number) {
                    Ok(more) => text.push_str(&more),
                    Err(e) => return Some(Err(e)),
                },
                Ok(false) => break,
                Err(e) => return Some(Err(e)),
            }
        }
        match split_words(&text) {
            Ok(words) if words.is_empty() => continue,
            Ok(words) => {
                return Some(Ok(Entry::Words(Line {
                    number: first,
                    words,
                })))
            }
            Err(e) => return Some(Err((first, e))),
        }
    })
}

/// The command of a line made only of ASCII letters, digits, `_`, `-`, `.`,
/// blanks and tabs, with at most four words, if [`fast_path`] takes those
/// words: such a line has no quote, escape, comment or continuation, so its
/// words are exactly what [`split_words`] would make of it. One pass over
/// the bytes: large batches are made of such lines.
pub fn plain(line: &[u8]) -> Option<Command> {
    // Every byte is checked to be ASCII, so the line is one str.
    let text = std::str::from_utf8(line).ok()?;
    let mut words = [""; 4];
    let mut n = 0;
    // One pass: where the current word started, if inside one.
    let mut start = None;
    for (i, &b) in line.iter().enumerate() {
        if b == b' ' || b == b'\t' {
            if let Some(s) = start.take() {
                *words.get_mut(n)? = &text[s..i];
                n += 1;
            }
        } else if !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')) {
            return None;
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        *words.get_mut(n)? = &text[s..];
        n += 1;
    }
    fast_words(&words[..n])
}

/// Parses batch lines with the command line's own parser, built once (a
/// clap command costs far more to build than to run), after a fast path for
/// the plain `create` and `delete` lines that make up large batches.
/// clap's parser is built at the first line that needs it: a batch of
/// plain lines never does.
#[derive(Default)]
pub struct LineParser {
    clap: Option<clap::Command>,
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
            .get_or_insert_with(Cli::command)
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
    fast_words(&w)
}

/// [`fast_path`] on borrowed words.
fn fast_words(w: &[&str]) -> Option<Command> {
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
    match w {
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
        for (number, c) in commands(&mut p, text) {
            if run.as_mut().is_some_and(|r| r.extend(&c, number)) {
                continue;
            }
            out.extend(run.take().map(|r| (r.create, r.first, r.lines)));
            run = Run::start(&c, number);
            if run.is_none() {
                out.push((false, u32::MAX, vec![number]));
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

    /// Each line's number and command (plain, or parsed from its words).
    fn commands(p: &mut LineParser, text: &str) -> Vec<(usize, Command)> {
        read_entries(text.as_bytes())
            .map(|e| match e.expect("line") {
                Entry::Plain { number, command } => (number, command),
                Entry::Words(l) => (l.number, p.parse(&l.words).expect("command").0),
            })
            .collect()
    }

    /// Each entry as (line, words or the plain command's Debug form).
    fn entries(text: &[u8]) -> Vec<Result<(usize, String), usize>> {
        read_entries(text)
            .map(|e| match e {
                Ok(Entry::Plain { number, command }) => Ok((number, format!("{command:?}"))),
                Ok(Entry::Words(l)) => Ok((l.number, l.words.join("|"))),
                Err((n, _)) => Err(n),
            })
            .collect()
    }

    #[test]
    fn reading_numbers_lines() {
        let plain = |s: &str| format!("{:?}", fast_path(&words(s)).expect("plain"));
        let text = "create 1\n\n# comment\n  create 2 \\\n name b\ncreate 3\r\n";
        assert_eq!(
            entries(text.as_bytes()),
            vec![
                Ok((1, plain("create 1"))),
                Ok((4, "create|2|name|b".to_string())),
                Ok((6, plain("create 3"))),
            ]
        );
        assert_eq!(
            entries(b"list\nshow 'x\n"),
            vec![Ok((1, "list".to_string())), Err(2)]
        );
        // No trailing newline, a final continuation.
        assert_eq!(entries(b"list \\"), vec![Ok((1, "list".to_string()))]);
        // Bad UTF-8 is an error of its line, also in a continuation line;
        // reading goes on after it.
        assert_eq!(
            entries(b"create 1\nshow \xff\ncreate 2 \\\n\xfe\ncreate 3\n"),
            vec![
                Ok((1, plain("create 1"))),
                Err(2),
                Err(4),
                Ok((5, plain("create 3")))
            ]
        );
    }

    #[test]
    fn plain_lines_agree_with_the_word_splitter() {
        for line in [
            "create 7",
            "  create\t7  ",
            "create 0x1F",
            "create 07",
            "create 0",
            "create 2147483648",
            "create 99999999999",
            "create 7 name blue-1.x",
            "create 7 name 9x",
            "create 7 name",
            "delete 7",
            "del 0x10 -f",
            "delete blue --force",
            "delete -7",
            "delete 7 --force extra",
            "crea 7",
            "create 7 # comment",
            "create '7'",
            "create 7\\",
            "list",
            "",
        ] {
            let slow = split_words(line)
                .ok()
                .and_then(|w| fast_path(&w))
                .map(|c| format!("{c:?}"));
            let fast = plain(line.as_bytes()).map(|c| format!("{c:?}"));
            // The plain path may leave a line to the slow one, never read
            // it differently.
            assert!(
                fast.is_none() || fast == slow,
                "{line:?}: {fast:?} vs {slow:?}"
            );
        }
        assert!(plain(b"create 7").is_some());
        assert!(plain(b"\tdel 9 -f ").is_some());
        assert!(plain(b"create 7 # c").is_none());
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
