//! `pacer-link import` against a real `pacer-link serve`: a file with bad
//! lines in the middle imports every good line and reports each bad one by
//! its line number, exiting non-zero; the same file again is all unchanged;
//! `pacer-link report coverage` then lists the imported account as unlinked.
use std::process::{Command, Output, Stdio};

use crate::support::process::{connect, serve_command};

const TOKEN: &str = "import-cli-admin-token-0123456789";

/// Three good records around an unreadable line, a plaintext password and a
/// record for a court that does not exist; a blank line is skipped.
const FILE: &str = r#"{"pacer":{"username":"clione","displayName":"Cli One","upgraded":true,"passwordHash":"$1$saltsalt$ZliGyAN3DciDHEkDboonh/"}}
{"ecf":{"courtId":"cod","login":"cocline","displayName":"Cli One","passwordHash":"$2b$04$ADnnoXRzL8xZ9DqdP/Q48.GSUB4ZjiFSn3v5P0BTITOJCWrFbIUfu"}}
{"pacer": {"username": "broken"
{"pacer":{"username":"plain","displayName":"Plain Text","upgraded":true,"password_hash":"Plain-Text-Password-1"}}

{"ecf":{"court_id":"zzz","login":"cozzz","display_name":"Nowhere","password_hash":"$1$saltsalt$ZliGyAN3DciDHEkDboonh/"}}
{"pacer":{"username":"clitwo","display_name":"Cli Two","upgraded":true,"password_hash":"$5$rounds=12345$roundsalt$eGJT1qo2a63hp2tJcMxvZiH7lEGNUlFtVo5SZ9.Nfb1"}}
"#;

fn run_import(addr: &str, file: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pacer-link"))
        .arg("import")
        .arg(file)
        .args(["--addr", &format!("http://{addr}")])
        .env("PACER_LINK_ADMIN_TOKEN", TOKEN)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[tokio::test]
async fn a_file_with_bad_lines_imports_the_good_ones_and_names_each_bad_line() {
    let dir = tempfile::tempdir().unwrap();
    let (mut command, addr) = serve_command(dir.path());
    let mut server = command
        .env("PACER_LINK_ADMIN_TOKEN", TOKEN)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    connect(&addr).await;
    let file = dir.path().join("accounts.jsonl");
    std::fs::write(&file, FILE).unwrap();

    let first = run_import(&addr, &file);
    let again = run_import(&addr, &file);
    let report = Command::new(env!("CARGO_BIN_EXE_pacer-link"))
        .args(["report", "coverage", "--court", "cod", "--format", "csv"])
        .args(["--addr", &format!("http://{addr}")])
        .env("PACER_LINK_ADMIN_TOKEN", TOKEN)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    server.kill().unwrap();
    let _ = server.wait();

    let first_out = String::from_utf8_lossy(&first.stdout);
    assert!(!first.status.success(), "rejections must fail the command");
    assert!(
        first_out.contains("created 3, unchanged 0, updated 0, rejected 3"),
        "{first_out}"
    );
    let reported: Vec<&str> = first_out
        .lines()
        .filter(|l| l.starts_with("line "))
        .collect();
    assert_eq!(
        reported,
        [
            "line 3: INVALID_JSON (line)",
            "line 4: UNSUPPORTED_PASSWORD_HASH (pacer.password_hash)",
            "line 6: UNKNOWN_COURT (ecf.court_id)",
        ]
    );
    assert!(!first_out.contains("Plain-Text-Password-1"));
    let again_out = String::from_utf8_lossy(&again.stdout);
    assert!(
        again_out.contains("created 0, unchanged 3, updated 0, rejected 3"),
        "{again_out}"
    );
    let csv = String::from_utf8_lossy(&report.stdout);
    assert!(report.status.success(), "{csv}");
    assert_eq!(
        csv.lines().next(),
        Some("login,display_name,last_failed_sign_in")
    );
    assert!(csv.lines().any(|l| l == "cocline,Cli One,"), "{csv}");
    assert!(
        csv.lines().any(|l| l == "colegacymd5,\"Haze, Dolores\","),
        "{csv}"
    );
}
