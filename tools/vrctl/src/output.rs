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

/// The routing table in text: context 0 uses the normal rules and tables.
fn table_text(c: &ContextInfo) -> String {
    match c.table {
        Some(t) => t.to_string(),
        None if c.id == 0 => "main".to_string(),
        None => "-".to_string(),
    }
}

/// `vrctl list`: a table with a header line.
pub fn list_text(contexts: &[ContextInfo]) -> String {
    let header = ["ID", "NAME", "TABLE", "IFACES", "SOCKETS", "TASKS"];
    let rows: Vec<[String; 6]> = contexts
        .iter()
        .map(|c| {
            [
                c.id.to_string(),
                c.name.clone().unwrap_or_else(|| "-".into()),
                table_text(c),
                opt(c.interfaces),
                opt(c.sockets),
                opt(c.tasks),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[&str]| {
        let mut l = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                l.push_str(cell);
            } else {
                l.push_str(&format!("{cell:<w$}  "));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&header);
    for row in &rows {
        line(&row.each_ref().map(String::as_str));
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
