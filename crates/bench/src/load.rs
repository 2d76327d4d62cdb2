//! The load generator: a fixed number of keep-alive HTTP/1.1 connections on loopback, each
//! sending one request after another (closed loop), timing every answer. Built on hyper's
//! connection-level client: one connection per task, no pool, little overhead of its own, so
//! the servers compared get most of the CPU.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::http::response::Parts;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Builds request number `n` (numbers are unique across connections: use them to vary
/// visitors).
pub type MakeRequest = Arc<dyn Fn(u64) -> Request<Full<Bytes>> + Send + Sync>;
/// Sees every complete answer (status and headers), after its body was read.
pub type OnReply = Arc<dyn Fn(&Parts) + Send + Sync>;

/// How long to drive the load.
#[derive(Debug, Clone)]
pub struct Load {
    pub connections: usize,
    /// Requests in this first stretch are sent but not measured.
    pub warmup: Duration,
    pub duration: Duration,
    /// Ends the run early when set (the crash test sets it once the server is killed).
    pub stop: Option<Arc<AtomicBool>>,
}

/// What a run measured.
#[derive(Debug, Clone)]
pub struct Figures {
    pub requests: u64,
    /// Answers with a status other than `expect` (counted in `requests`, kept out of latency).
    pub unexpected: u64,
    /// Connection and protocol errors.
    pub errors: u64,
    pub elapsed: Duration,
    /// Sorted, in microseconds.
    latencies_us: Vec<u32>,
}

impl Figures {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The latency at quantile `q` (0.5 = median), in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let i = ((self.latencies_us.len() - 1) as f64 * q).round() as usize;
        f64::from(self.latencies_us[i]) / 1_000.0
    }
}

/// Drives `load` against `addr`; requests answered with `expect` are timed.
pub async fn run(addr: SocketAddr, load: &Load, expect: StatusCode, make: MakeRequest, on_reply: OnReply) -> Figures {
    let counter = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let measure_from = start + load.warmup;
    let end = measure_from + load.duration;
    let tasks: Vec<_> = (0..load.connections)
        .map(|_| {
            let (make, on_reply, counter, stop) = (make.clone(), on_reply.clone(), counter.clone(), load.stop.clone());
            tokio::spawn(connection(
                addr,
                expect,
                measure_from,
                end,
                stop,
                counter,
                make,
                on_reply,
            ))
        })
        .collect();
    let mut figures = Figures {
        requests: 0,
        unexpected: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latencies_us: Vec::new(),
    };
    for task in tasks {
        let part = task.await.expect("load task");
        figures.requests += part.requests;
        figures.unexpected += part.unexpected;
        figures.errors += part.errors;
        figures.latencies_us.extend(part.latencies_us);
    }
    figures.elapsed = Instant::now().min(end).saturating_duration_since(measure_from);
    figures.latencies_us.sort_unstable();
    figures
}

#[allow(clippy::too_many_arguments)] // one task's whole context, spelled out
async fn connection(
    addr: SocketAddr,
    expect: StatusCode,
    measure_from: Instant,
    end: Instant,
    stop: Option<Arc<AtomicBool>>,
    counter: Arc<AtomicU64>,
    make: MakeRequest,
    on_reply: OnReply,
) -> Figures {
    let mut f = Figures {
        requests: 0,
        unexpected: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latencies_us: Vec::with_capacity(64 * 1024),
    };
    let stopped = || stop.as_ref().is_some_and(|s| s.load(Ordering::Relaxed));
    'connect: while Instant::now() < end && !stopped() {
        let mut sender = match open(addr).await {
            Ok(sender) => sender,
            Err(_) => {
                f.errors += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        while Instant::now() < end && !stopped() {
            let request = make(counter.fetch_add(1, Ordering::Relaxed));
            let sent = Instant::now();
            let answer = match sender.send_request(request).await {
                Ok(response) => {
                    let (parts, body) = response.into_parts();
                    body.collect().await.map(|_| parts)
                }
                Err(e) => Err(e),
            };
            let Ok(parts) = answer else {
                f.errors += 1;
                continue 'connect;
            };
            let took = sent.elapsed();
            on_reply(&parts);
            if sent >= measure_from {
                f.requests += 1;
                if parts.status == expect {
                    f.latencies_us.push(took.as_micros().min(u128::from(u32::MAX)) as u32);
                } else {
                    f.unexpected += 1;
                }
            }
        }
    }
    f
}

async fn open(addr: SocketAddr) -> anyhow::Result<hyper::client::conn::http1::SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// A distinct client address for request `n`, to send as `X-Forwarded-For`.
pub fn visitor_ip(n: u64) -> String {
    format!("10.{}.{}.{}", (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff)
}
