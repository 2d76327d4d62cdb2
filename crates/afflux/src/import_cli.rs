//! `afflux import roster|history`: a platform's CSV export into a campaign, with a progress bar
//! over the file's bytes and a summary at the end. The same verbs as the dashboard's importer.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use afflux::{Settings, build_app};
use afflux_app::Actor;
use afflux_app::imports::{HistoryInput, ImportDetail, RosterInput};
use afflux_domain::OrgId;
use afflux_importers::ColumnMapping;
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Step 1: the affiliate roster.
    Roster {
        #[command(flatten)]
        common: Common,
        /// A custom CSV's columns: `email=E-mail,name=Full name,status=State,slug=Code,paypal=PayPal`
        /// (also `first=`, `last=`).
        #[arg(long)]
        mapping: Option<String>,
    },
    /// Step 2: past conversions and commissions.
    History {
        #[command(flatten)]
        common: Common,
        /// Unpaid rows become payable in the next payout run you start (else settled history).
        #[arg(long)]
        confirm_unpaid_payout: bool,
    },
}

#[derive(Args)]
pub struct Common {
    /// rewardful, tapfiliate, firstpromoter, partnerstack, dub, tolt or custom.
    #[arg(long)]
    source: String,
    /// The destination campaign's slug or id.
    #[arg(long)]
    campaign: String,
    /// The organization (optional when the instance has only one).
    #[arg(long)]
    org: Option<String>,
    /// Show what would happen, writing nothing.
    #[arg(long)]
    dry_run: bool,
    /// The CSV file.
    file: String,
}

/// Counts the bytes the parser has read, for the progress bar.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn parse_mapping(spec: &str) -> anyhow::Result<ColumnMapping> {
    let mut m = ColumnMapping::default();
    for pair in spec.split(',').filter(|p| !p.trim().is_empty()) {
        let (field, column) = pair.split_once('=').context("--mapping takes field=column pairs")?;
        let name = column.trim().to_owned();
        let column = Some(name.clone());
        match field.trim() {
            "email" => m.email = name,
            "name" => m.name = column,
            "first" | "firstName" => m.first_name = column,
            "last" | "lastName" => m.last_name = column,
            "status" => m.status = column,
            "slug" => m.slug = column,
            "paypal" | "paypalEmail" => m.paypal_email = column,
            other => bail!("--mapping: unknown field {other:?} (email, name, first, last, status, slug, paypal)"),
        }
    }
    Ok(m)
}

pub async fn run(settings: &Settings, public_url: String, cmd: ImportCommand) -> anyhow::Result<()> {
    let app = build_app(settings, public_url).await?;
    let result = run_with(&app, cmd).await;
    app.store().close().await;
    result
}

async fn run_with(app: &afflux_app::App, cmd: ImportCommand) -> anyhow::Result<()> {
    let common = match &cmd {
        ImportCommand::Roster { common, .. } | ImportCommand::History { common, .. } => common,
    };
    let org: OrgId = match &common.org {
        Some(id) => id.parse().context("--org must be an organization id")?,
        None => {
            let ids = app.store().read().await?.org_ids(2).await?;
            match ids.as_slice() {
                [only] => *only,
                [] => bail!("this instance has no organization yet"),
                _ => bail!("this instance has several organizations: name one with --org"),
            }
        }
    };
    let actor = Actor::operator(org);
    let file = std::fs::File::open(&common.file).with_context(|| format!("opening {}", common.file))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let read = Arc::new(AtomicU64::new(0));
    let reader = Box::new(std::io::BufReader::with_capacity(
        256 * 1024,
        Counting {
            inner: file,
            read: read.clone(),
        },
    ));
    let bar = ProgressBar::new(size);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] {bytes}/{total_bytes} {msg} ({elapsed})")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    let progress = |rows: i64| {
        bar.set_position(read.load(Ordering::Relaxed));
        bar.set_message(format!("{rows} rows"));
    };
    let output = match cmd {
        ImportCommand::Roster { common, mapping } => {
            let input = RosterInput {
                source: common.source.clone(),
                campaign: common.campaign.clone(),
                mapping: mapping.as_deref().map(parse_mapping).transpose()?,
                note_html: None,
                status_filter: None,
            };
            if common.dry_run {
                serde_json::to_value(app.preview_roster_file(&actor, input, reader).await?)?
            } else {
                summary(app.import_roster_file(&actor, input, reader, &progress).await?)?
            }
        }
        ImportCommand::History {
            common,
            confirm_unpaid_payout,
        } => {
            let input = HistoryInput {
                source: common.source.clone(),
                campaign: common.campaign.clone(),
                confirm_unpaid_payout,
            };
            if common.dry_run {
                serde_json::to_value(app.preview_history_file(&actor, input, reader).await?)?
            } else {
                summary(app.import_history_file(&actor, input, reader, &progress).await?)?
            }
        }
    };
    bar.finish_and_clear();
    println!("{}", serde_json::to_string_pretty(&output)?);
    Ok(())
}

/// The summary printed at the end: counts, skips by reason, money, and the first skipped lines.
fn summary(detail: ImportDetail) -> anyhow::Result<serde_json::Value> {
    let mut value = serde_json::to_value(&detail)?;
    if let Some(rows) = value.get_mut("skippedRows").and_then(|v| v.as_array_mut()) {
        rows.truncate(20);
    }
    Ok(value)
}
