//! Where no keychain service runs, storing a password fails with words a person can act on —
//! and never falls back to a file on its own.

use petrel_engine::model::ErrorKind;
use petrel_engine::secrets::Secrets;

#[test]
fn no_keychain_service_gives_a_clear_error() {
    // A session bus address where nothing listens: the Secret Service cannot be reached.
    std::env::set_var(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/petrel-test-bus",
    );
    let dir = tempfile::tempdir().expect("tmp");
    std::env::remove_var("PETREL_SECRETS");
    let s = Secrets::from_env(dir.path());
    assert!(matches!(s, Secrets::Keychain));
    let err = s.set(1, "secret").expect_err("no keychain here");
    assert_eq!(err.kind(), ErrorKind::Keychain);
    let summary = err.summary();
    assert!(
        summary.contains("no keychain service is available"),
        "{summary}"
    );
    assert!(summary.contains("PETREL_SECRETS=file"), "{summary}");
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        0,
        "nothing written to disk"
    );
}
