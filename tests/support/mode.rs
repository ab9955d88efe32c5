//! How the behaviour suite drives its sessions: sync by default; with
//! `EAGERLY_MODE=async` (and the feature `async`) the shared loading
//! helpers, [`load_graph`](super::graph::load_graph) and the strategy
//! matrix's [`run`](super::matrix::run), move the test's session into an
//! [`AsyncSession`](eagerly::AsyncSession) and await every load through it,
//! then hand the session back: the same test bodies and assertions (graphs,
//! exact statement counts) in both modes, on either engine
//! (`EAGERLY_MODE=async cargo test --features async --test strategy_bulk`).

#![allow(dead_code)]

#[cfg(feature = "async")]
use eagerly::Session;

/// The environment variable choosing the mode.
pub const MODE_VAR: &str = "EAGERLY_MODE";

/// Whether this run drives its loads through the async session. Asking for
/// it in a build without the feature fails the test rather than passing in
/// sync mode unnoticed.
pub fn is_async() -> bool {
    match std::env::var(MODE_VAR).as_deref() {
        Ok("async") => {
            if !cfg!(feature = "async") {
                panic!("{MODE_VAR}=async needs the feature: cargo test --features async");
            }
            true
        }
        Ok("sync") | Ok("") | Err(_) => false,
        Ok(other) => panic!("{MODE_VAR}={other}: expected `sync` or `async`"),
    }
}

/// Runs `work` with `session` moved into an async session (on a tokio
/// runtime of its own), then puts the session back where it was, with
/// everything the work loaded.
#[cfg(feature = "async")]
pub fn through_async<R>(
    session: &mut Session,
    work: impl AsyncFnOnce(&mut eagerly::AsyncSession) -> R,
) -> R {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    // Stands in while the session is away; nothing reaches it.
    let stand_in = Session::in_memory().expect("a stand-in session");
    let taken = std::mem::replace(session, stand_in);
    let (result, back) = runtime.block_on(async move {
        let mut driven = eagerly::AsyncSession::from_session(taken)
            .await
            .expect("async session");
        let result = work(&mut driven).await;
        (result, driven.into_session().await.expect("session back"))
    });
    *session = back;
    result
}
