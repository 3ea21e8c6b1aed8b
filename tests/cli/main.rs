//! The CLI as users run it: `pollhook preview-url` expands poll URL templates.

mod demo;

use std::process::Command;

fn preview(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pollhook"))
        .arg("preview-url")
        .args(args)
        .output()
        .expect("run pollhook");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim_end().to_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn prints_the_sage_crm_accounts_url_with_the_instant_filled_in() {
    let (ok, out, err) = preview(&[
        "--template",
        "/hubs/crm/accounts?where=Comp_UpdatedDate>'${gmtDate:yyyy-MM-dd'T'HH:mm:ss'Z'}'",
        "--at",
        "2024-05-01T10:20:30+02:00",
    ]);
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "/hubs/crm/accounts?where=Comp_UpdatedDate>'2024-05-01T08:20:30Z'"
    );
}

#[test]
fn date_placeholders_follow_the_given_time_zone() {
    let (ok, out, err) = preview(&[
        "--template",
        "/hubs/finance/customers?where=lastModifiedDate>='${date:yyyy-MM-dd'T'HH:mm:ss'Z'}' and attributes='created_at,updated_at",
        "--at",
        "2024-01-15T23:30:00Z",
        "--timezone",
        "America/New_York",
    ]);
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "/hubs/finance/customers?where=lastModifiedDate>='2024-01-15T18:30:00Z' and attributes='created_at,updated_at"
    );
}

#[test]
fn bad_arguments_name_the_flag() {
    for (args, want) in [
        (
            vec![
                "--template",
                "/a?x=${gmtDate:yyyy",
                "--at",
                "2024-01-01T00:00:00Z",
            ],
            "--template: unclosed '${'",
        ),
        (
            vec!["--template", "/a", "--at", "yesterday"],
            "--at: 'yesterday' is not an RFC 3339 instant",
        ),
        (
            vec!["--template", "", "--at", "2024-01-01T00:00:00Z"],
            "--template: must not be empty",
        ),
        (
            vec![
                "--template",
                "/a",
                "--at",
                "2024-01-01T00:00:00Z",
                "--timezone",
                "Nowhere/Land",
            ],
            "--timezone: unknown time zone 'Nowhere/Land'",
        ),
    ] {
        let (ok, _, err) = preview(&args);
        assert!(!ok, "{args:?} should fail");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}
