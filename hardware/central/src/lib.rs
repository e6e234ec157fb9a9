//! Reference central service: the national envelope over HTTP on
//! loopback, backed by SQLite and seeded from the demo data file. The
//! kiosk starts it in-process in simulation mode; demos and tests run
//! against it; the `kiosk-central` binary runs it on its own.
//!
//! Every message goes to `POST /fsi/api/{infno}` with the envelope of
//! devices-and-protocols.md §5 as its body. Commands are idempotent on
//! `msgid`; the remote-care filing rules are applied with a lock period
//! given in [`CentralOptions`]; [`Faults`] switches latency, HTTP errors,
//! dropped connections and refused sign numbers for tests.

pub mod data;
mod db;
mod error;
pub mod sample;
mod service;

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use kiosk_core::clock::Clock;

pub use data::DemoData;
pub use error::Error;
pub use service::{
    Central, CentralOptions, DEMO_CERTIFICATE_KEY, Faults, MSGID_CONFLICT, REGION_PROFILES,
    RULE_REFUSED,
};

/// A running central service on its own thread and runtime. Dropping it
/// stops the server.
pub struct CentralServer {
    addr: SocketAddr,
    central: Arc<Central>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl CentralServer {
    /// Binds `listen` (use port 0 for a free port) and serves `data` from
    /// an in-memory database in the background.
    pub fn spawn(
        listen: SocketAddr,
        data: DemoData,
        clock: Arc<dyn Clock>,
    ) -> Result<CentralServer, Error> {
        // In-process (the kiosk's simulation mode): one thread is plenty.
        let options = CentralOptions {
            worker_threads: 1,
            ..CentralOptions::default()
        };
        let central = Central::open(data, "builtin", None, clock, options)?;
        CentralServer::start(listen, Arc::new(central))
    }

    /// Binds `listen` and serves an opened [`Central`] in the background.
    pub fn start(listen: SocketAddr, central: Arc<Central>) -> Result<CentralServer, Error> {
        let listener = std::net::TcpListener::bind(listen).map_err(|e| Error::Bind {
            addr: listen,
            source: e,
        })?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = match central.options().worker_threads {
            0 | 1 => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?,
            n => tokio::runtime::Builder::new_multi_thread()
                .worker_threads(n.min(16))
                .thread_name("central-worker")
                .enable_all()
                .build()?,
        };
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let shared = Arc::clone(&central);
        let thread = std::thread::Builder::new()
            .name("central".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            tracing::error!("central service cannot listen: {e}");
                            return;
                        }
                    };
                    let app = service::router(central);
                    let served = axum::serve(listener, app)
                        .with_graceful_shutdown(async {
                            let _ = stopped.await;
                        })
                        .await;
                    if let Err(e) = served {
                        tracing::error!("central service stopped: {e}");
                    }
                });
            })?;
        Ok(CentralServer {
            addr,
            central: shared,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The service state, for fault switches in tests.
    pub fn central(&self) -> &Arc<Central> {
        &self.central
    }

    /// The base URL for [`kiosk_sync::ClientConfig::base_url`].
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the server and waits for its thread.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for CentralServer {
    fn drop(&mut self) {
        self.stop_inner();
    }
}
