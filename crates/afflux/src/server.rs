//! Building and running an instance: shared by `afflux serve`, `afflux worker` and the tests.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use afflux_app::tracking::WriterConfig;
use afflux_app::{App, AppConfig, TrustedProxies};
use afflux_integrations::email::{FileTransport, MailTransport, SmtpTransport};
use anyhow::Context;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::Settings;

/// Opens the database (applying migrations) and builds the app.
pub async fn build_app(settings: &Settings, public_url: String) -> anyhow::Result<App> {
    let store = afflux_store::connect(&settings.database_url)
        .await
        .context("opening the database")?;
    let mailer: Arc<dyn MailTransport> = match &settings.smtp_url {
        Some(url) if !url.is_empty() => Arc::new(SmtpTransport::from_url(url)?),
        _ => Arc::new(FileTransport::new(&settings.mail_dir)),
    };
    let (default_plan, default_status) = settings.plan()?;
    let config = AppConfig {
        public_url,
        default_plan,
        default_status,
        mail_from: settings.mail_from.clone(),
        secret_key: settings.secret_key.clone(),
        trusted_proxies: TrustedProxies::parse(&settings.trusted_proxies)?,
        click_writer: WriterConfig {
            max_wait: Duration::from_millis(settings.click_batch_wait_ms),
            ..WriterConfig::default()
        },
        crm_endpoints: settings.crm_endpoints(),
        paypal_api_base: settings.paypal_api_base.clone().filter(|u| !u.is_empty()),
        stripe_api_base: settings.stripe_api_base.clone().filter(|u| !u.is_empty()),
        ..AppConfig::default()
    };
    Ok(App::new(store, config, mailer).await?)
}

/// A running instance: HTTP server and, optionally, an in-process job worker.
pub struct Server {
    pub addr: SocketAddr,
    pub app: App,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Server {
    pub async fn start(settings: &Settings, with_worker: bool) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind(&settings.bind)
            .await
            .with_context(|| format!("binding {}", settings.bind))?;
        let addr = listener.local_addr()?;
        let public_url = settings.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
        let app = build_app(settings, public_url).await?;
        let (stop, stopped) = watch::channel(false);
        let limits = afflux_web::Limits {
            api_per_minute: settings.api_requests_per_minute,
            ..Default::default()
        };
        let router = afflux_web::router(app.clone(), limits);
        let mut tasks = vec![tokio::spawn({
            let stopped = stopped.clone();
            async move {
                if let Err(e) = afflux_web::serve(listener, router, until(stopped)).await {
                    tracing::error!(error = %e, "HTTP server stopped");
                }
            }
        })];
        if with_worker {
            tasks.push(tokio::spawn(afflux_app::jobs::run_worker(
                app.clone(),
                Duration::from_secs(1),
                until(stopped),
            )));
        }
        Ok(Self { addr, app, stop, tasks })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting requests, lets in-flight ones finish, stops the worker.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        self.app.store().close().await;
    }
}

async fn until(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|s| *s).await;
}
