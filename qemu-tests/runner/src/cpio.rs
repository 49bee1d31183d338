//! Writer for the "newc" cpio format (the one the kernel's initramfs
//! unpacker reads). Archives may be concatenated: the kernel unpacks each in
//! turn, later entries on top of earlier ones.
//!
//! Layout of an entry: the 6-byte magic `070701`, thirteen 8-digit hex
//! fields (ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor,
//! rdevmajor, rdevminor, namesize including the NUL, check), the name and a
//! NUL, padding to a multiple of 4, the data, padding to a multiple of 4.
//! The archive ends with an entry named `TRAILER!!!`.

use std::io::{self, Write};

const S_IFDIR: u32 = 0o040_000;
const S_IFREG: u32 = 0o100_000;
const S_IFLNK: u32 = 0o120_000;

pub struct Writer<W: Write> {
    out: W,
    pos: u64,
    next_ino: u32,
    mtime: u32,
}

impl<W: Write> Writer<W> {
    pub fn new(out: W) -> Self {
        Writer {
            out,
            pos: 0,
            next_ino: 1,
            mtime: 0,
        }
    }

    /// Modification time (seconds since the epoch) of the entries written
    /// from now on.
    pub fn set_mtime(&mut self, mtime: u32) {
        self.mtime = mtime;
    }

    pub fn dir(&mut self, name: &str, perm: u32) -> io::Result<()> {
        self.entry(name, S_IFDIR | (perm & 0o7777), 2, &[])
    }

    pub fn file(&mut self, name: &str, perm: u32, data: &[u8]) -> io::Result<()> {
        self.entry(name, S_IFREG | (perm & 0o7777), 1, data)
    }

    pub fn symlink(&mut self, name: &str, target: &str) -> io::Result<()> {
        self.entry(name, S_IFLNK | 0o777, 1, target.as_bytes())
    }

    /// Writes the trailer and hands back the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.raw_entry("TRAILER!!!", 0, 0, 1, &[])?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn entry(&mut self, name: &str, mode: u32, nlink: u32, data: &[u8]) -> io::Result<()> {
        if name.is_empty() || name.starts_with('/') || name.contains('\0') || name == "TRAILER!!!" {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("bad cpio entry name {name:?}"),
            ));
        }
        let ino = self.next_ino;
        self.next_ino += 1;
        self.raw_entry(name, ino, mode, nlink, data)
    }

    fn raw_entry(
        &mut self,
        name: &str,
        ino: u32,
        mode: u32,
        nlink: u32,
        data: &[u8],
    ) -> io::Result<()> {
        let size = u32::try_from(data.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "cpio entry over 4 GiB"))?;
        let header = format!(
            "070701{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
            ino,
            mode,
            0, // uid
            0, // gid
            nlink,
            self.mtime,
            size,
            0, // devmajor
            0, // devminor
            0, // rdevmajor
            0, // rdevminor
            name.len() + 1,
            0, // check
        );
        self.write(header.as_bytes())?;
        self.write(name.as_bytes())?;
        self.write(&[0])?;
        self.pad()?;
        self.write(data)?;
        self.pad()
    }

    fn write(&mut self, b: &[u8]) -> io::Result<()> {
        self.out.write_all(b)?;
        self.pos += b.len() as u64;
        Ok(())
    }

    fn pad(&mut self) -> io::Result<()> {
        let n = (4 - (self.pos % 4) as usize) % 4;
        self.write(&[0u8; 3][..n])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::path::PathBuf;
    use std::process::{Command, Stdio};

    fn sample() -> Vec<u8> {
        let mut w = Writer::new(Vec::new());
        w.set_mtime(1_700_000_000);
        w.dir("vrctx", 0o755).unwrap();
        w.file("vrctx/script", 0o755, b"#!/bin/sh\nexit 0\n")
            .unwrap();
        w.dir("vrctx/files", 0o700).unwrap();
        w.file("vrctx/files/empty", 0o644, b"").unwrap();
        w.file("vrctx/files/odd", 0o600, b"abcde").unwrap();
        w.symlink("vrctx/files/link", "odd").unwrap();
        w.finish().unwrap()
    }

    #[test]
    fn byte_layout() {
        let mut w = Writer::new(Vec::new());
        w.file("ab", 0o644, b"xyz").unwrap();
        let a = w.finish().unwrap();
        let hdr = "070701\
                   00000001000081a4000000000000000000000001\
                   000000000000000300000000000000000000000000000000\
                   0000000300000000";
        assert_eq!(hdr.len(), 110);
        assert_eq!(&a[..110], hdr.as_bytes());
        // name "ab\0" ends at 113, padded to 116; data at 116..119, padded to 120
        assert_eq!(&a[110..116], b"ab\0\0\0\0");
        assert_eq!(&a[116..120], b"xyz\0");
        assert_eq!(&a[120..126], b"070701");
        let trailer_name = &a[120 + 110..120 + 110 + 11];
        assert_eq!(trailer_name, b"TRAILER!!!\0");
        assert_eq!(a.len() % 4, 0);
    }

    #[test]
    fn every_entry_is_aligned() {
        let a = sample();
        assert_eq!(a.len() % 4, 0);
        let mut n = 0;
        let mut i = 0;
        while let Some(off) = a[i..].windows(6).position(|w| w == b"070701") {
            assert_eq!((i + off) % 4, 0, "entry at {} not aligned", i + off);
            i += off + 6;
            n += 1;
        }
        assert_eq!(n, 7);
    }

    #[test]
    fn rejects_bad_names() {
        let mut w = Writer::new(Vec::new());
        assert!(w.file("/abs", 0o644, b"").is_err());
        assert!(w.file("", 0o644, b"").is_err());
        assert!(w.file("TRAILER!!!", 0o644, b"").is_err());
    }

    fn have_cpio() -> bool {
        Command::new("cpio")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }

    #[test]
    fn round_trip_with_cpio_tool() {
        use std::os::unix::fs::PermissionsExt;
        if !have_cpio() {
            eprintln!("cpio not installed; skipping round trip");
            return;
        }
        let dir = std::env::temp_dir().join(format!("vmrun-cpio-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let archive = dir.join("a.cpio");
        fs::write(&archive, sample()).unwrap();
        let out = dir.join("out");
        fs::create_dir(&out).unwrap();
        let st = Command::new("cpio")
            .args([
                "-idm",
                "--quiet",
                "--no-absolute-filenames",
                "--no-preserve-owner",
            ])
            .current_dir(&out)
            .stdin(fs::File::open(&archive).unwrap())
            .status()
            .unwrap();
        assert!(st.success());
        let script = out.join("vrctx/script");
        assert_eq!(fs::read(&script).unwrap(), b"#!/bin/sh\nexit 0\n");
        assert_eq!(
            fs::metadata(&script).unwrap().permissions().mode() & 0o7777,
            0o755
        );
        assert_eq!(fs::read(out.join("vrctx/files/odd")).unwrap(), b"abcde");
        assert_eq!(fs::read(out.join("vrctx/files/empty")).unwrap(), b"");
        assert_eq!(
            fs::metadata(out.join("vrctx/files/odd"))
                .unwrap()
                .permissions()
                .mode()
                & 0o7777,
            0o600
        );
        assert_eq!(
            fs::read_link(out.join("vrctx/files/link")).unwrap(),
            PathBuf::from("odd")
        );
        // The tool lists exactly our entries, in order.
        let list = Command::new("cpio")
            .args(["-t", "--quiet"])
            .stdin(fs::File::open(&archive).unwrap())
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8(list.stdout).unwrap(),
            "vrctx\nvrctx/script\nvrctx/files\nvrctx/files/empty\nvrctx/files/odd\nvrctx/files/link\n"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
