//! The request to stop that every mode honours the same way: Ctrl-C (SIGINT) or SIGTERM
//! (what `kill`, service managers and container runtimes send). Stopping on either lets
//! destructors run, so the demo's temporary key directory is removed.

use std::process::ExitCode;

/// Which signal asked the process to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Interrupt,
    Terminate,
}

impl Signal {
    /// The shell's convention for a command ended by this signal (128 + its number).
    pub fn exit_code(self) -> ExitCode {
        match self {
            Signal::Interrupt => ExitCode::from(130),
            Signal::Terminate => ExitCode::from(143),
        }
    }
}

/// Resolves when Ctrl-C or SIGTERM arrives. The listeners are installed when this is
/// called (not when first awaited), so a signal that arrives in between is not lost to the
/// default action. A signal that cannot be listened for is logged and never resolves, so a
/// failed registration is not mistaken for a request to stop.
pub fn signal() -> impl Future<Output = Signal> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let listen = |kind: SignalKind, name: &'static str| match signal(kind) {
            Ok(stream) => Some(stream),
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for {name}");
                None
            }
        };
        let interrupt = listen(SignalKind::interrupt(), "Ctrl-C");
        let terminate = listen(SignalKind::terminate(), "SIGTERM");
        async move {
            let wait = |stream: Option<tokio::signal::unix::Signal>| async move {
                match stream {
                    Some(mut stream) => {
                        stream.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let signal = tokio::select! {
                () = wait(interrupt) => Signal::Interrupt,
                () = wait(terminate) => Signal::Terminate,
            };
            tracing::info!(signal = ?signal, "asked to stop");
            signal
        }
    }
    #[cfg(not(unix))]
    async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
        tracing::info!("asked to stop");
        Signal::Interrupt
    }
}
