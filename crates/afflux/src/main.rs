mod import_cli;

use afflux::{Server, Settings, build_app};
use afflux_app::{NewOrg, jobs};
use afflux_domain::{OrgId, PlanTier, SubscriptionStatus};
use anyhow::Context;
use clap::{Parser, Subcommand};

/// Afflux: a self-hostable affiliate-program platform.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// A TOML settings file (its keys are the AFFLUX_* variables without the prefix, lower-case).
    #[arg(long, global = true, env = "AFFLUX_CONFIG")]
    config: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the dashboard, the API and public pages, with a job worker in-process.
    Serve {
        /// Run no job worker here (run `afflux worker` elsewhere).
        #[arg(long)]
        no_worker: bool,
    },
    /// Run a job worker alone (several may share one PostgreSQL database).
    Worker,
    /// Apply database migrations and exit.
    Migrate,
    /// Fill a fresh database with a demonstration organization, then print how to sign in.
    Demo {
        /// Seeds the generator: the same seed gives the same data.
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Manage organizations (operator commands).
    #[command(subcommand)]
    Org(OrgCommand),
    /// Exchange rates for reports (operator commands).
    #[command(subcommand)]
    Fx(FxCommand),
    /// Import another platform's CSV export (roster, then history).
    #[command(subcommand)]
    Import(import_cli::ImportCommand),
}

#[derive(Subcommand)]
enum FxCommand {
    /// Load an ECB reference-rate CSV (the daily `eurofxref.csv` or the history file);
    /// rates already stored for a date are replaced. Prints JSON.
    Import {
        /// The CSV file, or `-` for standard input.
        file: String,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Create an organization with its Owner and an API key; prints JSON.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        owner_email: String,
        /// Starter, Growth, Pro or Enterprise (default: the instance's default_plan).
        #[arg(long)]
        plan: Option<String>,
        /// Trialing, Active, PastDue or Canceled (default: the instance's default_status).
        #[arg(long)]
        status: Option<String>,
    },
    /// Change an organization's plan tier and subscription status; prints JSON.
    SetPlan {
        #[arg(long)]
        org: String,
        #[arg(long)]
        plan: String,
        #[arg(long)]
        status: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load(cli.config.as_deref())?;
    init_logging(&settings);
    match cli.command {
        Command::Serve { no_worker } => serve(&settings, !no_worker).await,
        Command::Worker => {
            let app = build_app(&settings, public_url(&settings)).await?;
            tracing::info!("job worker started");
            jobs::run_worker(app, std::time::Duration::from_secs(1), shutdown_signal()).await;
            Ok(())
        }
        Command::Migrate => {
            afflux_store::connect(&settings.database_url).await?.close().await;
            println!("migrations applied");
            Ok(())
        }
        Command::Demo { seed } => demo(&settings, seed).await,
        Command::Org(cmd) => org(&settings, cmd).await,
        Command::Fx(FxCommand::Import { file }) => fx_import(&settings, &file).await,
        Command::Import(cmd) => import_cli::run(&settings, public_url(&settings), cmd).await,
    }
}

async fn serve(settings: &Settings, with_worker: bool) -> anyhow::Result<()> {
    let server = Server::start(settings, with_worker).await?;
    let base = settings.public_url.clone().unwrap_or_else(|| server.url());
    match server.app.setup_token().await? {
        Some(token) => println!("Afflux is running. Finish setting it up at: {base}/setup?token={token}"),
        None => println!("Afflux is running at {base}/login"),
    }
    shutdown_signal().await;
    server.stop().await;
    Ok(())
}

async fn demo(settings: &Settings, seed: u64) -> anyhow::Result<()> {
    let app = build_app(settings, public_url(settings)).await?;
    let seeded = app.seed_demo(seed).await;
    app.store().close().await;
    let s = match seeded {
        Err(afflux_app::AppError::Conflict { message, .. }) => {
            eprintln!("afflux demo: {message}");
            std::process::exit(1);
        }
        other => other.context("filling the demo organization")?,
    };
    println!("Created the demo organization {:?}:", s.org_name);
    for campaign in &s.campaigns {
        println!("  campaign      {campaign}");
    }
    let statuses: Vec<String> = s.affiliates.iter().map(|(st, n)| format!("{n} {st}")).collect();
    println!("  affiliates    {}", statuses.join(", "));
    println!("  clicks        {} over the past six months", s.clicks);
    println!("  sales         {} ({} refunded)", s.sales, s.refunds);
    println!("  promo assets  {}", s.promo_assets);
    println!("  payout run    Manual, {} items, all paid", s.payout_items);
    println!();
    println!(
        "Start it with `afflux serve` and sign in at {}/login",
        public_url(settings)
    );
    println!("  email:    {}", s.owner_email);
    println!("  password: {}", s.owner_password);
    Ok(())
}

async fn fx_import(settings: &Settings, file: &str) -> anyhow::Result<()> {
    let csv = if file == "-" {
        std::io::read_to_string(std::io::stdin()).context("reading standard input")?
    } else {
        std::fs::read_to_string(file).with_context(|| format!("reading {file}"))?
    };
    let app = build_app(settings, public_url(settings)).await?;
    let imported = app.import_fx_rates(&csv).await;
    app.store().close().await;
    let imported = imported?;
    let output = serde_json::json!({
        "rates": imported.rates,
        "firstDate": imported.first_date.map(|d| d.to_string()),
        "lastDate": imported.last_date.map(|d| d.to_string()),
    });
    println!("{}", serde_json::to_string_pretty(&output)?);
    Ok(())
}

async fn org(settings: &Settings, cmd: OrgCommand) -> anyhow::Result<()> {
    let app = build_app(settings, public_url(settings)).await?;
    let output = match cmd {
        OrgCommand::Create {
            name,
            owner_email,
            plan,
            status,
        } => {
            let plan = plan.map(|p| PlanTier::parse("plan", &p)).transpose()?;
            let status = status.map(|s| SubscriptionStatus::parse("status", &s)).transpose()?;
            let created = app
                .create_org(NewOrg {
                    name,
                    owner_email,
                    plan,
                    status,
                })
                .await?;
            serde_json::json!({
                "organizationId": created.org.id,
                "name": created.org.name,
                "plan": created.org.plan,
                "subscriptionStatus": created.org.subscription_status,
                "ownerUserId": created.owner_id,
                "apiKey": created.api_key,
                "ownerSetupUrl": created.owner_setup_url,
            })
        }
        OrgCommand::SetPlan { org, plan, status } => {
            let org: OrgId = org.parse().context("--org must be an organization id")?;
            let updated = app
                .set_plan(
                    org,
                    PlanTier::parse("plan", &plan)?,
                    SubscriptionStatus::parse("status", &status)?,
                )
                .await?;
            serde_json::json!({ "organizationId": updated.id, "plan": updated.plan, "subscriptionStatus": updated.subscription_status })
        }
    };
    println!("{}", serde_json::to_string_pretty(&output)?);
    app.store().close().await;
    Ok(())
}

fn public_url(settings: &Settings) -> String {
    settings
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", settings.bind))
}

fn init_logging(settings: &Settings) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("AFFLUX_LOG").unwrap_or_else(|_| "info,sqlx=warn".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if settings.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing SIGTERM handler");
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
