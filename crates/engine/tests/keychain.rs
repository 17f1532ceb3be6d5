//! Passwords in the real Secret Service (GNOME Keyring in a private D-Bus session, started by
//! `scripts/with-keyring.sh`, which `make test` runs the Rust tests inside).

use petrel_engine::secrets::Secrets;

#[test]
fn keychain_round_trip() {
    if std::env::var_os("PETREL_TEST_KEYRING").is_none() {
        eprintln!(
            "skipped: run under scripts/with-keyring.sh (make test does) to use a real keyring"
        );
        return;
    }
    let s = Secrets::Keychain;
    let id = i64::from(std::process::id()) * 1000 + 7;
    s.set(id, "correct horse battery staple")
        .expect("store in the keyring");
    assert_eq!(
        s.get(id).expect("read back"),
        "correct horse battery staple"
    );
    s.set(id, "changed").expect("overwrite");
    assert_eq!(s.get(id).expect("read back"), "changed");
    s.delete(id).expect("delete");
    let err = s.get(id).expect_err("gone after delete");
    assert!(
        err.summary().contains("missing from the keychain"),
        "{}",
        err.summary()
    );
}
