//! Serving a simulator router: TCP_NODELAY on every connection (Nagle would add ~40 ms per
//! request and make benches lie) and a graceful stop.

use std::future::Future;
use std::net::SocketAddr;

use axum::serve::ListenerExt;
use tokio::sync::oneshot;

/// Serves `router` on `listener` with TCP_NODELAY until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

/// A simulator running in a background task; dropping it stops the server.
#[derive(Debug)]
pub struct Running {
    base_url: String,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

impl Running {
    /// Base URL such as `http://127.0.0.1:41234` (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `base_url` joined with `path` (which should start with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts `router` on 127.0.0.1 with an OS-chosen port in a background tokio task.
pub async fn spawn(router: axum::Router) -> std::io::Result<Running> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let shutdown = async move {
            let _ = rx.await;
        };
        if let Err(e) = serve(listener, router, shutdown).await {
            tracing::error!(error = %e, "simulator server failed");
        }
    });
    Ok(Running {
        base_url: format!("http://{addr}"),
        addr,
        stop: Some(tx),
    })
}
