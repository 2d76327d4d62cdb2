//! Parse speed and memory of the importers on 1,000,000 generated rows:
//! `cargo run --release -p afflux-importers --example parse_speed [rows]`.
//! The rows are generated as they are read, so the peak memory printed is the parser's own.

use std::io::{Read, Write};
use std::time::Instant;

use afflux_importers::{Parsed, Source, history, roster};

/// A CSV produced on the fly: the header, then `rows` records made by `row`.
struct Generated<F> {
    row: F,
    rows: u64,
    next: u64,
    pending: Vec<u8>,
    at: usize,
}

impl<F: FnMut(u64, &mut Vec<u8>)> Generated<F> {
    fn new(header: &str, rows: u64, row: F) -> Self {
        Self {
            row,
            rows,
            next: 0,
            pending: header.as_bytes().to_vec(),
            at: 0,
        }
    }
}

impl<F: FnMut(u64, &mut Vec<u8>)> Read for Generated<F> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.pending.len() {
            if self.next == self.rows {
                return Ok(0);
            }
            self.pending.clear();
            self.at = 0;
            while self.pending.len() < 32 * 1024 && self.next < self.rows {
                (self.row)(self.next, &mut self.pending);
                self.next += 1;
            }
        }
        let n = buf.len().min(self.pending.len() - self.at);
        buf[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fn peak_rss_kib() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l[6..].trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn report(what: &str, rows: u64, bytes: u64, started: Instant, (ok, skipped): (u64, u64)) {
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{what}: {rows} rows ({:.1} MiB) in {secs:.3} s = {:.0} rows/s; {ok} rows, {skipped} skips; peak RSS so far {}",
        bytes as f64 / (1 << 20) as f64,
        rows as f64 / secs,
        peak_rss_kib()
    );
}

fn count<T>(items: impl Iterator<Item = Parsed<T>>) -> (u64, u64) {
    items.fold((0, 0), |(ok, skipped), p| match p {
        Parsed::Row(_) => (ok + 1, skipped),
        Parsed::Skip(_) => (ok, skipped + 1),
    })
}

fn main() {
    let rows: u64 = std::env::args()
        .nth(1)
        .map_or(1_000_000, |n| n.parse().expect("a row count"));

    let started = Instant::now();
    let bytes = std::io::copy(&mut roster_csv(rows), &mut std::io::sink()).expect("generated");
    report("generating the roster alone", rows, bytes, started, (0, 0));
    let started = Instant::now();
    let outcome = count(roster(Source::Rewardful, None, roster_csv(rows)).expect("a readable roster"));
    report("roster (Rewardful)", rows, bytes, started, outcome);

    let started = Instant::now();
    let bytes = std::io::copy(&mut history_csv(rows), &mut std::io::sink()).expect("generated");
    report("generating the history alone", rows, bytes, started, (0, 0));
    let started = Instant::now();
    let outcome = count(history(Source::Custom, history_csv(rows)).expect("a readable history"));
    report("history (canonical)", rows, bytes, started, outcome);
}

fn roster_csv(rows: u64) -> impl Read {
    Generated::new(
        "id,first_name,last_name,email,paypal_email,state,token,visitors\r\n",
        rows,
        |i, out: &mut Vec<u8>| {
            // Every 100th row has a blank email, to exercise the skip path too.
            let email = if i % 100 == 99 {
                String::new()
            } else {
                format!("Affiliate.{i}@Example.com")
            };
            let _ = write!(
                out,
                "aff_{i},First{i},\"Last, {i}\",{email},pay{i}@example.com,active,slug-{i},{}\r\n",
                i % 1000
            );
        },
    )
}

fn history_csv(rows: u64) -> impl Read {
    Generated::new(
        "id,affiliate_email,affiliate_name,referral_code,customer_id,subscription_id,sale_amount_cents,commission_amount_cents,currency,status,created_at,due_at,paid_at\r\n",
        rows,
        |i, out: &mut Vec<u8>| {
            let status = if i % 2 == 0 { "paid" } else { "pending" };
            let _ = write!(
                out,
                "h{i},a{}@example.com,Name {i},slug-{i},cus_{i},sub_{i},{},{},USD,{status},2025-01-02T03:04:05Z,,2025-02-01\r\n",
                i % 5000,
                9900 + i % 100,
                1980 + i % 10
            );
        },
    )
}
