//! An HTTP API whose handlers call generated cached functions (`cache.toml` beside this crate):
//! `GET /users/{id}` (TTL, loader context from the app state), `PUT /users/{id}` (writes, then
//! invalidates the cached row), `GET /prices/{sku}` (stale-while-revalidate), `GET /catalogue`
//! (a background loader), and `GET /metrics` in Prometheus text format.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;

pub mod db;

advanced_caching::include_generated!();

use db::{DbError, User};

/// What every handler reaches: the app state, the caches and the metrics exporter.
#[derive(Clone)]
pub struct Service {
    /// The app state (the caches hold the same `Arc` as their loaders' context).
    pub state: Arc<db::AppState>,
    /// The cached functions (one instance per service, built with the app state as context).
    pub caches: Arc<caches::Caches>,
    /// Renders `/metrics`.
    pub metrics: PrometheusHandle,
}

/// The routes.
pub fn router(service: Service) -> Router {
    Router::new()
        .route("/users/{id}", get(get_user).put(put_user))
        .route("/prices/{sku}", get(get_price))
        .route("/catalogue", get(get_catalogue))
        .route("/metrics", get(metrics))
        .with_state(service)
}

fn failed(e: &DbError) -> Response {
    match e {
        DbError::NotFound => StatusCode::NOT_FOUND.into_response(),
        DbError::NoState(why) => (StatusCode::INTERNAL_SERVER_ERROR, why.clone()).into_response(),
    }
}

async fn get_user(State(s): State<Service>, Path(id): Path<u64>) -> Response {
    match s.caches.get_user(id).await {
        Ok(user) => Json(user).into_response(),
        Err(e) => failed(&e),
    }
}

/// Writes the row through the app state (as a real service writes its database), then drops
/// the cached copy from every level, so the next GET reads the new row.
async fn put_user(State(s): State<Service>, Path(id): Path<u64>, name: String) -> StatusCode {
    s.state.put_user(User { id, name });
    caches::get_user::on(&s.caches).invalidate(id).await;
    StatusCode::NO_CONTENT
}

async fn get_price(State(s): State<Service>, Path(sku): Path<String>) -> Response {
    match s.caches.price(&sku).await {
        Ok(cents) => Json(cents).into_response(),
        Err(e) => failed(&e),
    }
}

async fn get_catalogue(State(s): State<Service>) -> Response {
    match s.caches.catalogue().await {
        Ok(items) => Json(items).into_response(),
        Err(e) => failed(&e),
    }
}

async fn metrics(State(s): State<Service>) -> String {
    s.metrics.render()
}
