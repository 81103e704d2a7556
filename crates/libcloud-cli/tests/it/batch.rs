//! Storage on memory, which lives only as long as its process: several commands in one
//! `batch`, and copies between memory and local checked byte for byte.

use crate::util::{batch, local_url, pattern, run, run_command};

#[test]
fn memory_storage_commands_in_one_process() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.txt");
    let script = format!(
        "# every line runs in the same process, on the same in-memory cloud\n\
         storage mb memory://box\n\
         storage put - memory://box/notes/a.txt --meta k=v\n\
         storage ls memory://\n\
         storage ls memory://box/notes/\n\
         storage stat memory://box/notes/a.txt\n\
         storage get memory://box/notes/a.txt {out}\n\
         storage get memory://box/notes/a.txt - --range 0-3\n\
         storage url memory://box/notes/a.txt --expires 5m\n\
         storage cp memory://box/notes/a.txt memory://box/copy.txt\n\
         storage rm memory://box/notes/a.txt\n\
         storage ls memory://box\n\
         storage rb memory://box --force\n\
         storage ls memory://\n",
        out = out.display()
    );
    let path = dir.path().join("script");
    std::fs::write(&path, script).unwrap();
    let mut cmd = crate::util::command();
    cmd.args(["-o", "json", "batch"]).arg(&path);
    let done = run_command(cmd, Some(b"hello memory")).ok();
    let text = done.text();
    let lines: Vec<&str> = text.lines().collect();
    // mb, ls containers, ls prefix, stat, the range, the url, the final ls: one line each.
    let json = |i: usize| -> serde_json::Value { serde_json::from_str(lines[i]).unwrap() };
    assert_eq!(json(0)["name"], "box", "{text}");
    assert_eq!(json(1)["name"], "box");
    assert_eq!(json(2)["name"], "notes/a.txt");
    assert_eq!(json(3)["meta_data"]["k"], "v");
    assert_eq!(json(3)["size"], 12);
    assert_eq!(std::fs::read(&out).unwrap(), b"hello memory");
    // The range (4 bytes, no line end) and then the URL line.
    assert!(
        lines[4].starts_with("hellmemory://box/notes/a.txt?expires="),
        "{text}"
    );
    assert_eq!(json(5)["name"], "copy.txt");
    assert_eq!(json(5)["meta_data"]["k"], "v", "cp keeps the metadata");
    assert_eq!(lines.len(), 6, "the last ls lists nothing: {text}");
}

#[test]
fn cp_between_two_providers_is_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    let dst = dir.path().join("dst");
    let data = pattern(3 * 1024 * 1024 + 17);
    std::fs::create_dir_all(src.join("in")).unwrap();
    std::fs::write(src.join("in").join("blob.bin"), &data).unwrap();
    let script = format!(
        "storage mb memory://mem\n\
         storage mb {dst_box}\n\
         storage cp {from} memory://mem/blob.bin\n\
         storage cp memory://mem/blob.bin {to}\n\
         storage stat {to}\n",
        dst_box = local_url(&dst, "out", ""),
        from = local_url(&src, "in", "blob.bin"),
        to = local_url(&dst, "out", "blob.bin"),
    );
    let done = batch(dir.path(), &["-o", "json", "-q"], &script).ok();
    assert!(done.stderr.is_empty(), "quiet: {}", done.stderr);
    let copied = std::fs::read(dst.join("out").join("blob.bin")).unwrap();
    assert_eq!(copied.len(), data.len());
    assert!(copied == data, "the copy differs from the source");
    let stat = done.json();
    assert_eq!(stat.last().unwrap()["hash"], libcloud::hash::md5_hex(&data));
}

#[test]
fn a_failing_line_stops_the_batch_with_its_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let script = "storage mb memory://a\nstorage rm memory://a/missing\nstorage mb memory://b\n";
    let stopped = batch(dir.path(), &["-o", "json"], script).fails(3);
    assert!(
        stopped.stderr.starts_with("libcloud: line 2: storage rm: "),
        "{}",
        stopped.stderr
    );
    assert_eq!(stopped.json().len(), 1, "line 3 did not run");

    let path = dir.path().join("keep");
    std::fs::write(&path, script).unwrap();
    let mut cmd = crate::util::command();
    cmd.args(["-o", "json", "batch", "--keep-going"]).arg(&path);
    let kept = run_command(cmd, None);
    assert_eq!(kept.code, 3);
    assert_eq!(kept.json().len(), 2, "line 3 ran after the failure");

    // A line that is not a command is a usage error on that line.
    let bad = batch(dir.path(), &[], "storage frobnicate\n").fails(2);
    assert!(
        bad.stderr.starts_with("libcloud: line 1: "),
        "{}",
        bad.stderr
    );
    // A batch cannot start another.
    batch(dir.path(), &[], "batch other.txt\n").fails(2);
    // A missing script file is NotFound.
    run(&["batch", "/nonexistent/script"]).fails(3);
}
