//! The `rapport-server` command line: flags, admin subcommands and start-up errors.
//! (The HTTP service itself is tested black-box by the `rapport-tests` crate.)

use std::process::Command;

fn server() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rapport-server"));
    c.env("RAPPORT_LOG", "warn");
    c
}

#[test]
fn help_lists_every_documented_flag() {
    let out = server().arg("--help").output().expect("run");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--data-dir",
        "--listen",
        "--database-url",
        "--demo",
        "RAPPORT_DATA_DIR",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}:\n{help}");
    }
}

#[test]
fn admin_commands_build_a_company_in_a_fresh_data_dir() {
    let dir = tempfile::tempdir().expect("dir");
    let run = |args: &[&str]| {
        let out = server()
            .arg("--data-dir")
            .arg(dir.path())
            .arg("admin")
            .args(args)
            .output()
            .expect("run");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (ok, out) = run(&[
        "create-company",
        "--slug",
        "acme",
        "--name",
        "Acme",
        "--admin-username",
        "root",
        "--admin-password",
        "long enough pw",
    ]);
    assert!(ok, "{out}");
    assert!(run(&["create-team", "--company", "acme", "--name", "East"]).0);
    let (ok, out) = run(&[
        "create-user",
        "--company",
        "acme",
        "--username",
        "li",
        "--role",
        "rep",
        "--team",
        "East",
        "--password",
        "long enough pw",
    ]);
    assert!(ok, "{out}");
    let (ok, out) = run(&[
        "create-account",
        "--company",
        "acme",
        "--name",
        "Huadong Steel",
        "--lat",
        "31.2",
        "--lon",
        "121.5",
    ]);
    assert!(ok, "{out}");
    assert!(
        run(&[
            "assign",
            "--company",
            "acme",
            "--account",
            "Huadong Steel",
            "--user",
            "li"
        ])
        .0
    );
    let (ok, listing) = run(&["list", "--company", "acme"]);
    assert!(ok, "{listing}");
    assert!(listing.contains("Huadong Steel  team: 1"), "{listing}");
    assert!(listing.contains("li"), "{listing}");

    // Mistakes are refused with a message, and change nothing.
    let (ok, out) = run(&[
        "create-user",
        "--company",
        "acme",
        "--username",
        "li",
        "--role",
        "rep",
        "--password",
        "long enough pw",
    ]);
    assert!(!ok && out.contains("already exists"), "{out}");
    let (ok, out) = run(&[
        "create-user",
        "--company",
        "acme",
        "--username",
        "x",
        "--role",
        "boss",
        "--password",
        "long enough pw",
    ]);
    assert!(!ok && out.contains("not rep, manager or admin"), "{out}");
    let (ok, out) = run(&["create-team", "--company", "nope", "--name", "East"]);
    assert!(!ok && out.contains("no company 'nope'"), "{out}");
    let (ok, out) = run(&[
        "create-account",
        "--company",
        "acme",
        "--name",
        "Half located",
        "--lat",
        "31.2",
    ]);
    assert!(!ok && out.contains("both lat and lon"), "{out}");
    assert_eq!(run(&["list", "--company", "acme"]).1, listing);
}

#[test]
fn an_unreachable_database_is_a_clear_error_not_a_panic() {
    let out = server()
        .args([
            "--database-url",
            "sqlite:///nonexistent-rapport-dir/deeper/rapport.db",
            "--listen",
            "127.0.0.1:0",
        ])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rapport-server:"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
