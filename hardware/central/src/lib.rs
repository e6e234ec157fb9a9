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
//!
//! The resident premium payment (KS51–KS54) is answered from the demo
//! data's premium years and subsidies; the payment a citizen's phone would
//! make is simulated by `POST /sim/premium/{order_no}` (`{"result":
//! "paid", "channel": "微信支付"}` or `{"result": "failed", "reason": …}`)
//! or in-process by [`Central::simulate_payment`].

pub mod console;
pub mod data;
mod db;
mod error;
pub mod ledger;
pub mod rules;
pub mod sample;
mod service;
#[cfg(feature = "test-pki")]
pub mod test_pki;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use kiosk_core::clock::Clock;

pub use data::DemoData;
pub use error::Error;
pub use rules::FilingLimits;
pub use service::{
    Central, CentralOptions, DEFAULT_PAY_BASE, DEMO_CERTIFICATE_KEY, Faults, MSGID_CONFLICT,
    ORDER_VALID_MINUTES, REGION_PROFILES, RULE_REFUSED, SimulatedPayment,
};

/// The client settings of the test hall's terminal (K220100001 at
/// 长春市医保服务大厅, area 220100) talking to the centre at `url`: what
/// the tests of the link, the outbox and the kiosk connect as.
pub fn test_terminal(url: &str, timeout: Duration) -> kiosk_sync::ClientConfig {
    kiosk_sync::ClientConfig {
        base_url: url.to_string(),
        terminal_id: "K220100001".into(),
        terminal_name: "测试终端".into(),
        area_code: "220100".into(),
        institution_code: "H22010000001".into(),
        institution_name: "长春市医保服务大厅".into(),
        timeout,
    }
}

/// A running central service on its own thread and runtime. Dropping it
/// stops the server.
pub struct CentralServer {
    addr: SocketAddr,
    tls: bool,
    handshakes: Arc<TlsCounters>,
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
        CentralServer::spawn_with_limits(listen, data, clock, FilingLimits::builtin())
    }

    /// As [`CentralServer::spawn`], applying the filing limits of the
    /// kiosk's own region profile (simulation mode).
    pub fn spawn_with_limits(
        listen: SocketAddr,
        data: DemoData,
        clock: Arc<dyn Clock>,
        filing_limits: FilingLimits,
    ) -> Result<CentralServer, Error> {
        // In-process (the kiosk's simulation mode): one thread is plenty.
        let options = CentralOptions {
            worker_threads: 1,
            filing_limits,
            ..CentralOptions::default()
        };
        let central = Central::open(data, "builtin", None, clock, options)?;
        CentralServer::start(listen, Arc::new(central))
    }

    /// Binds `listen` and serves an opened [`Central`] in the background.
    pub fn start(listen: SocketAddr, central: Arc<Central>) -> Result<CentralServer, Error> {
        CentralServer::start_with(listen, central, None)
    }

    /// Binds `listen` and serves an opened [`Central`] over TLS (see
    /// [`tls_server_config`]).
    pub fn start_tls(
        listen: SocketAddr,
        central: Arc<Central>,
        tls: Arc<rustls::ServerConfig>,
    ) -> Result<CentralServer, Error> {
        CentralServer::start_with(listen, central, Some(tls))
    }

    fn start_with(
        listen: SocketAddr,
        central: Arc<Central>,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> Result<CentralServer, Error> {
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
        let handshakes = Arc::new(TlsCounters::default());
        let counters = Arc::clone(&handshakes);
        let is_tls = tls.is_some();
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
                    if let Some(tls) = tls {
                        serve_tls(listener, app, tls, counters, stopped).await;
                        return;
                    }
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
            tls: is_tls,
            handshakes,
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

    /// The base URL for [`kiosk_sync::ClientConfig::base_url`]
    /// (`https://localhost:PORT` when serving TLS: certificates name hosts).
    pub fn url(&self) -> String {
        if self.tls && self.addr.ip().is_loopback() {
            format!("https://localhost:{}", self.addr.port())
        } else if self.tls {
            format!("https://{}", self.addr)
        } else {
            format!("http://{}", self.addr)
        }
    }

    /// TLS handshakes completed and failed (a TLS error: an alert from
    /// the client, no client certificate, a protocol fault) since start.
    pub fn tls_handshakes(&self) -> (u64, u64) {
        (
            self.handshakes.completed.load(Ordering::Relaxed),
            self.handshakes.failed.load(Ordering::Relaxed),
        )
    }

    /// TLS handshakes the client gave up on by closing or resetting the
    /// connection before the handshake finished. An HTTP client's
    /// pool does this to a connection it opened speculatively, so a
    /// healthy link may show some.
    pub fn abandoned_tls_handshakes(&self) -> u64 {
        self.handshakes.abandoned.load(Ordering::Relaxed)
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

/// Handshake counters of a TLS server.
#[derive(Debug, Default)]
struct TlsCounters {
    completed: AtomicU64,
    failed: AtomicU64,
    abandoned: AtomicU64,
}

/// The accept loop of the TLS server: each connection's handshake (10 s
/// at most), then HTTP/1.1 on it, until `stopped`.
async fn serve_tls(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    tls: Arc<rustls::ServerConfig>,
    counters: Arc<TlsCounters>,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    loop {
        let accepted = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((tcp, _)) = accepted else { continue };
        // Without it Nagle holds the handshake's last flight for the
        // client's delayed ACK: ~40 ms on every new connection.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("central TLS: TCP_NODELAY not set: {e}");
        }
        let acceptor = acceptor.clone();
        let app = app.clone();
        let counters = Arc::clone(&counters);
        tokio::spawn(async move {
            let stream =
                match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => stream,
                    Ok(Err(e))
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
                        ) =>
                    {
                        // The client closed (or reset) before finishing: a
                        // pooled connection it no longer needed, or a client
                        // that refused our certificate without an alert.
                        counters.abandoned.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                    Ok(Err(e)) => {
                        counters.failed.fetch_add(1, Ordering::Relaxed);
                        tracing::info!("central TLS handshake failed: {e}");
                        return;
                    }
                    Err(_) => {
                        counters.failed.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                };
            counters.completed.fetch_add(1, Ordering::Relaxed);
            let service = hyper_util::service::TowerToHyperService::new(app);
            let served =
                hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new())
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            if let Err(e) = served {
                tracing::debug!("central TLS connection ended: {e}");
            }
        });
    }
}

/// A rustls server configuration from PEM texts: the centre's certificate
/// chain and key, and, when `client_ca_pem` is given, the CA whose client
/// certificates are required (mutual TLS). TLS 1.2 and 1.3, ring provider.
pub fn tls_server_config(
    cert_chain_pem: &[u8],
    key_pem: &[u8],
    client_ca_pem: Option<&[u8]>,
) -> Result<rustls::ServerConfig, Error> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let tls_error = |what: &str| Error::Tls(what.to_string());
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_chain_pem)
        .collect::<Result<_, _>>()
        .map_err(|_| tls_error("certificate chain is not PEM"))?;
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|_| tls_error("key is not PEM"))?;
    let provider = kiosk_sync::link::provider();
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| Error::Tls(e.to_string()))?;
    let builder = match client_ca_pem {
        Some(pem) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(pem) {
                let cert = cert.map_err(|_| tls_error("client CA is not PEM"))?;
                roots.add(cert).map_err(|e| Error::Tls(e.to_string()))?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .map_err(|e| Error::Tls(e.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    builder
        .with_single_cert(chain, key)
        .map_err(|e| Error::Tls(e.to_string()))
}

impl Drop for CentralServer {
    fn drop(&mut self) {
        self.stop_inner();
    }
}
