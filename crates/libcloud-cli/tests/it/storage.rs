//! Storage commands on the local provider, one process per command, state on disk.

use crate::util::{find, local_url, pattern, run, run_stdin};

#[test]
fn a_container_lifecycle_on_local() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let root_url = format!("local://{}", root.display());
    let box_url = local_url(&root, "box", "");

    let made = run(&["storage", "mb", &box_url, "-o", "json"]).ok().json();
    assert_eq!(made[0]["name"], "box");
    assert!(root.join("box").is_dir());
    // Making it again is AlreadyExists: another failure (1).
    run(&["storage", "mb", &box_url]).fails(1);

    // The root itself, written local:///PATH, lists its containers.
    let listed = run(&["storage", "ls", &root_url, "-o", "json"]).ok().json();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["name"], "box");

    // A file goes up, its name taken when the URL has no key.
    let file = dir.path().join("hello.txt");
    std::fs::write(&file, b"hello, world\n").unwrap();
    run(&["storage", "put", file.to_str().unwrap(), &box_url]).ok();
    // Standard input goes up under the key given, with metadata and a content type.
    run_stdin(
        &[
            "storage",
            "put",
            "-",
            &local_url(&root, "box", "docs/a.md"),
            "--meta",
            "colour=red",
            "--content-type",
            "text/markdown",
        ],
        b"# A\n",
    )
    .ok();
    run_stdin(
        &[
            "storage",
            "put",
            "-",
            &local_url(&root, "box", "docs/deep/b.md"),
        ],
        b"b",
    )
    .ok();

    let objects = run(&["storage", "ls", &box_url, "--output", "json"])
        .ok()
        .json();
    let names: Vec<&str> = objects
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["docs/a.md", "docs/deep/b.md", "hello.txt"]);
    let hello = find(&objects, "name", "hello.txt");
    assert_eq!(hello["size"], 13);
    assert_eq!(hello["container"], "box");
    assert_eq!(hello["hash"], md5("hello, world\n"));

    // A prefix narrows the listing; a delimiter groups it into folders.
    let under = run(&[
        "storage",
        "ls",
        &local_url(&root, "box", "docs/"),
        "-o",
        "json",
    ])
    .ok()
    .json();
    assert_eq!(under.len(), 2);
    let grouped = run(&[
        "storage",
        "ls",
        &local_url(&root, "box", "docs/"),
        "-d",
        "/",
        "-o",
        "json",
    ])
    .ok()
    .json();
    assert_eq!(grouped[0], serde_json::json!({"prefix": "docs/deep/"}));
    assert_eq!(grouped[1]["name"], "docs/a.md");
    assert_eq!(grouped.len(), 2);
    // Tables are for people: headed, aligned columns.
    let table = run(&["storage", "ls", &box_url, "-o", "table"]).ok().text();
    let mut lines = table.lines();
    assert!(lines.next().unwrap().starts_with("SIZE  LAST_MODIFIED"));
    assert!(table.contains("hello.txt"));

    // stat shows one object, or one container.
    let stat = run(&[
        "storage",
        "stat",
        &local_url(&root, "box", "docs/a.md"),
        "-o",
        "json",
    ])
    .ok()
    .json();
    assert_eq!(stat[0]["content_type"], "text/markdown");
    assert_eq!(stat[0]["meta_data"]["colour"], "red");
    let shown = run(&[
        "storage",
        "stat",
        &local_url(&root, "box", "docs/a.md"),
        "-o",
        "table",
    ])
    .ok()
    .text();
    assert!(
        shown
            .lines()
            .any(|l| l.starts_with("meta_data.colour") && l.ends_with("red")),
        "{shown}"
    );
    let stat = run(&["storage", "stat", &box_url, "-o", "json"])
        .ok()
        .json();
    assert_eq!(stat[0]["name"], "box");

    // get: to a file, to a directory (the object's name), to standard output, and a range.
    let out = dir.path().join("out.txt");
    run(&[
        "storage",
        "get",
        &local_url(&root, "box", "hello.txt"),
        out.to_str().unwrap(),
    ])
    .ok();
    assert_eq!(std::fs::read(&out).unwrap(), b"hello, world\n");
    let into = dir.path().join("into");
    std::fs::create_dir(&into).unwrap();
    run(&[
        "storage",
        "get",
        &local_url(&root, "box", "docs/a.md"),
        into.to_str().unwrap(),
    ])
    .ok();
    assert_eq!(std::fs::read(into.join("a.md")).unwrap(), b"# A\n");
    let piped = run(&["storage", "get", &local_url(&root, "box", "hello.txt"), "-"]).ok();
    assert_eq!(piped.stdout, b"hello, world\n");
    let part = run(&[
        "storage",
        "get",
        &local_url(&root, "box", "hello.txt"),
        "-",
        "--range",
        "7-11",
    ])
    .ok();
    assert_eq!(part.stdout, b"world");
    let tail = run(&[
        "storage",
        "get",
        &local_url(&root, "box", "hello.txt"),
        "-",
        "--range",
        "7-",
    ])
    .ok();
    assert_eq!(tail.stdout, b"world\n");
    run(&[
        "storage",
        "get",
        &local_url(&root, "box", "hello.txt"),
        "-",
        "--range",
        "9-3",
    ])
    .fails(2);
    // No temporary files are left beside the downloads.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // url: the local provider has no presigned URLs, and says so.
    let err = run(&["storage", "url", &local_url(&root, "box", "hello.txt")]).fails(1);
    assert!(err.stderr.contains("unsupported"), "{}", err.stderr);

    // rm one object; rm -r a prefix; an object that is not there is NotFound (3).
    run(&["storage", "rm", &local_url(&root, "box", "hello.txt")]).ok();
    run(&["storage", "rm", &local_url(&root, "box", "hello.txt")]).fails(3);
    // A container that still holds objects cannot go without --force.
    let err = run(&["storage", "rb", &box_url]).fails(1);
    assert!(err.stderr.contains("not empty"), "{}", err.stderr);
    run(&["storage", "rm", "-r", &local_url(&root, "box", "docs/")]).ok();
    let left = run(&["storage", "ls", &box_url, "-o", "json"]).ok().json();
    assert!(left.is_empty(), "{left:?}");
    run_stdin(
        &["storage", "put", "-", &local_url(&root, "box", "again")],
        b"x",
    )
    .ok();
    run(&["storage", "rb", &box_url, "--force"]).ok();
    assert!(
        run(&["storage", "ls", &root_url, "-o", "json"])
            .ok()
            .json()
            .is_empty()
    );
}

fn md5(text: &str) -> String {
    libcloud::hash::md5_hex(text.as_bytes())
}

#[test]
fn the_local_root_can_come_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = crate::util::command();
    cmd.env("LIBCLOUD_LOCAL_ROOT", dir.path()).args([
        "storage",
        "mb",
        "local://photos",
        "-o",
        "json",
    ]);
    crate::util::run_command(cmd, None).ok();
    assert!(dir.path().join("photos").is_dir());
    // Without it, a local URL with no root says how to give one.
    let err = run(&["storage", "ls", "local://photos"]).fails(2);
    assert!(err.stderr.contains("LIBCLOUD_LOCAL_ROOT"), "{}", err.stderr);
}

#[test]
fn a_provider_flag_makes_bare_container_paths() {
    let dir = tempfile::tempdir().unwrap();
    let root = format!("root={}", dir.path().display());
    let base = ["--provider", "local", "-O", &root];
    run(&[&base[..], &["storage", "mb", "box"]].concat()).ok();
    run_stdin(
        &[&base[..], &["storage", "put", "-", "box/k.txt"]].concat(),
        b"data",
    )
    .ok();
    let listed = run(&[&base[..], &["storage", "ls", "-o", "json"]].concat())
        .ok()
        .json();
    assert_eq!(listed[0]["name"], "box");
    let got = run(&[&base[..], &["storage", "get", "box/k.txt", "-"]].concat()).ok();
    assert_eq!(got.stdout, b"data");
}

#[test]
fn cp_copies_between_files_urls_and_pipes() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    run(&["storage", "mb", &local_url(&a, "src", "")]).ok();
    run(&["storage", "mb", &local_url(&b, "dst", "")]).ok();
    let data = pattern(300_000);
    let file = dir.path().join("data.bin");
    std::fs::write(&file, &data).unwrap();

    // file -> object, object -> object (two different roots), object -> file, object -> pipe.
    run(&[
        "storage",
        "cp",
        file.to_str().unwrap(),
        &local_url(&a, "src", "in/"),
    ])
    .ok();
    run(&[
        "storage",
        "cp",
        &local_url(&a, "src", "in/data.bin"),
        &local_url(&b, "dst", "copy.bin"),
        "--meta",
        "origin=a",
    ])
    .ok();
    let back = dir.path().join("back.bin");
    run(&[
        "storage",
        "cp",
        &local_url(&b, "dst", "copy.bin"),
        back.to_str().unwrap(),
    ])
    .ok();
    assert_eq!(std::fs::read(&back).unwrap(), data, "byte for byte");
    let piped = run(&["storage", "cp", &local_url(&b, "dst", "copy.bin"), "-"]).ok();
    assert_eq!(piped.stdout, data);
    let stat = run(&[
        "storage",
        "stat",
        &local_url(&b, "dst", "copy.bin"),
        "-o",
        "json",
    ])
    .ok()
    .json();
    assert_eq!(stat[0]["meta_data"]["origin"], "a");
    assert_eq!(stat[0]["size"], 300_000);

    // pipe -> object needs a key: standard input has no name to give it.
    let err = run_stdin(&["storage", "cp", "-", &local_url(&b, "dst", "")], b"x").fails(2);
    assert!(err.stderr.contains("names no object"), "{}", err.stderr);
    // A missing source file is NotFound.
    run(&[
        "storage",
        "cp",
        "/nonexistent/file",
        &local_url(&b, "dst", "x"),
    ])
    .fails(3);
    // put and get refuse URLs on the file side, pointing to cp.
    let err = run(&[
        "storage",
        "put",
        &local_url(&a, "src", "in/data.bin"),
        &local_url(&b, "dst", "x"),
    ])
    .fails(2);
    assert!(err.stderr.contains("storage cp"), "{}", err.stderr);
}
