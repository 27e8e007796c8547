//! `cargo run -p axum-service` (Redis at `REDIS_URL`, default `redis://127.0.0.1:6379`; without
//! it the service still answers, from memory and the loaders), then
//! `curl localhost:3000/users/1`, `curl localhost:3000/metrics`.

use std::sync::Arc;

use axum_service::{Service, caches, db::AppState, router};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,advanced_caching=info".into()),
        )
        .init();
    // The recorder first: the caches register their counters with it when they are built.
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder()?;
    let state = Arc::new(AppState::seeded());
    let caches = caches::Caches::builder().context(state.clone()).build()?;
    caches.start()?;
    let service = Service {
        state,
        caches: Arc::new(caches),
        metrics,
    };
    let addr = std::env::var("LISTEN").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    tracing::info!(%addr, "listening");
    axum::serve(listener, router(service))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
