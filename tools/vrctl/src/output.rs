// SPDX-License-Identifier: GPL-2.0-only
//! Text and JSON output. Pure functions: they return what to print.

use serde::Serialize;

use crate::vrctx::ContextInfo;

/// `vrctl identify` as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    pub pid: u32,
    pub vrctx: u32,
    pub name: Option<String>,
}

/// One line of compact JSON (iproute2's `-j`).
pub fn json<T: Serialize + ?Sized>(value: &T) -> String {
    let mut s = serde_json::to_string(value).expect("plain data serializes");
    s.push('\n');
    s
}

fn opt(v: Option<u32>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// Width of a number in decimal.
fn digits(mut v: u32) -> usize {
    let mut n = 1;
    while v >= 10 {
        v /= 10;
        n += 1;
    }
    n
}

fn opt_width(v: Option<u32>) -> usize {
    v.map_or(1, digits)
}

fn table_width(c: &ContextInfo) -> usize {
    match c.table {
        Some(t) => digits(t),
        None if c.id == 0 => 4,
        None => 1,
    }
}

/// `vrctl list`: a table with a header line. Written straight into one
/// string (no string per cell): a listing may have a million rows.
pub fn list_text(contexts: &[ContextInfo]) -> String {
    use std::fmt::Write;
    let header = ["ID", "NAME", "TABLE", "IFACES", "SOCKETS", "TASKS"];
    let mut widths = header.map(str::len);
    for c in contexts {
        let cells = [
            digits(c.id),
            c.name.as_ref().map_or(1, String::len),
            table_width(c),
            opt_width(c.interfaces),
            opt_width(c.sockets),
        ];
        for (w, cell) in widths.iter_mut().zip(cells) {
            *w = (*w).max(cell);
        }
    }
    let mut out = String::with_capacity((contexts.len() + 1) * (widths.iter().sum::<usize>() + 12));
    for (i, (h, w)) in header.iter().zip(widths).enumerate() {
        if i + 1 == header.len() {
            out.push_str(h);
        } else {
            let _ = write!(out, "{h:<w$}  ");
        }
    }
    out.push('\n');
    let [w_id, w_name, w_table, w_ifaces, w_sockets, _] = widths;
    let cell = |out: &mut String, v: Option<u32>, w: usize| {
        let _ = match v {
            Some(v) => write!(out, "{v:<w$}  "),
            None => write!(out, "{:<w$}  ", "-"),
        };
    };
    for c in contexts {
        let _ = write!(out, "{:<w_id$}  ", c.id);
        let _ = write!(out, "{:<w_name$}  ", c.name.as_deref().unwrap_or("-"));
        match c.table {
            Some(t) => {
                let _ = write!(out, "{t:<w_table$}  ");
            }
            None => {
                let t = if c.id == 0 { "main" } else { "-" };
                let _ = write!(out, "{t:<w_table$}  ");
            }
        }
        cell(&mut out, c.interfaces, w_ifaces);
        cell(&mut out, c.sockets, w_sockets);
        match c.tasks {
            Some(v) => {
                let _ = write!(out, "{v}");
            }
            None => out.push('-'),
        }
        out.push('\n');
    }
    out
}

/// `vrctl show`: `key: value` lines.
pub fn show_text(c: &ContextInfo) -> String {
    let table = match c.table {
        Some(t) => format!("{t} ({t:#x})"),
        None if c.id == 0 => "main (context 0 uses the normal routing rules)".to_string(),
        None => "-".to_string(),
    };
    format!(
        "id: {}\nname: {}\ntable: {}\ninterfaces: {}\nsockets: {}\ntasks: {}\n",
        c.id,
        c.name.as_deref().unwrap_or("-"),
        table,
        opt(c.interfaces),
        opt(c.sockets),
        opt(c.tasks),
    )
}

/// `vrctl identify`: the id, then the name if there is one.
pub fn identify_text(i: &Identity) -> String {
    match &i.name {
        Some(name) => format!("{} {name}\n", i.vrctx),
        None => format!("{}\n", i.vrctx),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn blue() -> ContextInfo {
        ContextInfo {
            id: 7,
            name: Some("blue".into()),
            table: Some(0x8000_0007),
            interfaces: Some(1),
            sockets: Some(12),
            tasks: Some(3),
        }
    }

    fn default_ctx() -> ContextInfo {
        ContextInfo {
            id: 0,
            name: None,
            table: None,
            interfaces: Some(2),
            sockets: Some(0),
            tasks: Some(40),
        }
    }

    #[test]
    fn list_as_text() {
        let text = list_text(&[default_ctx(), blue()]);
        assert_eq!(
            text,
            "\
ID  NAME  TABLE       IFACES  SOCKETS  TASKS
0   -     main        2       0        40
7   blue  2147483655  1       12       3
"
        );
        assert_eq!(list_text(&[]), "ID  NAME  TABLE  IFACES  SOCKETS  TASKS\n");
    }

    #[test]
    fn show_as_text() {
        assert_eq!(
            show_text(&blue()),
            "id: 7\nname: blue\ntable: 2147483655 (0x80000007)\ninterfaces: 1\nsockets: 12\ntasks: 3\n"
        );
        let mut sparse = default_ctx();
        sparse.id = 5;
        sparse.sockets = None;
        assert_eq!(
            show_text(&sparse),
            "id: 5\nname: -\ntable: -\ninterfaces: 2\nsockets: -\ntasks: 40\n"
        );
        assert!(show_text(&default_ctx()).contains("table: main"));
    }

    #[test]
    fn json_shapes() {
        let v: Value = serde_json::from_str(&json(&vec![default_ctx(), blue()])).unwrap();
        assert_eq!(
            v,
            json!([
                {"id": 0, "name": null, "table": null, "interfaces": 2, "sockets": 0, "tasks": 40},
                {"id": 7, "name": "blue", "table": 2147483655u32, "interfaces": 1, "sockets": 12, "tasks": 3}
            ])
        );
        let v: Value = serde_json::from_str(&json(&blue())).unwrap();
        assert_eq!(v["table"], json!(0x8000_0007u32));
        assert_eq!(v.as_object().unwrap().len(), 6);
        let id = Identity {
            pid: 12,
            vrctx: 7,
            name: Some("blue".into()),
        };
        assert_eq!(json(&id), "{\"pid\":12,\"vrctx\":7,\"name\":\"blue\"}\n");
        let id = Identity {
            pid: 1,
            vrctx: 0,
            name: None,
        };
        assert_eq!(json(&id), "{\"pid\":1,\"vrctx\":0,\"name\":null}\n");
        assert_eq!(json(&Vec::<ContextInfo>::new()), "[]\n");
    }

    #[test]
    fn identify_as_text() {
        let mut id = Identity {
            pid: 1,
            vrctx: 7,
            name: Some("blue".into()),
        };
        assert_eq!(identify_text(&id), "7 blue\n");
        id.name = None;
        assert_eq!(identify_text(&id), "7\n");
    }
}
