//! The service over real HTTP on loopback, against a redis-server of its own: reads are cached
//! (the database is read once per user), an update invalidates (the next GET shows it), and the
//! counters move in `/metrics`.
#![allow(clippy::unwrap_used)] // a test fails loudly
#![allow(missing_docs)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use advanced_caching::clock::SharedClock;
use advanced_caching::storage::RedisStorage;
use advanced_caching_tests::redis_or_skip;
use axum_service::{Service, caches, db::AppState, router};

/// One HTTP/1.1 request with `Connection: close`; the status and the body.
fn http(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// The value of the sample `name{function="<function>"}` in a Prometheus text page.
fn sample(page: &str, name: &str, function: &str) -> Option<u64> {
    let prefix = format!("{name}{{function=\"{function}\"}} ");
    page.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|v| v.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_are_cached_updates_invalidate_and_metrics_move() {
    let server = redis_or_skip!();
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .unwrap();
    let state = Arc::new(AppState::seeded());
    let url = server.url();
    let caches = caches::Caches::builder()
        .context(state.clone())
        .storage_with("redis", move |clock: SharedClock| {
            RedisStorage::builder(url)
                .prefix("axum-service-test:")
                .clock(clock)
                .build_shared()
        })
        .build()
        .unwrap();
    let service = Service {
        state: state.clone(),
        caches: Arc::new(caches),
        metrics,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, router(service)).await });

    let call = |method: &'static str, path: &'static str, body: &'static str| {
        let addr = addr.clone();
        tokio::task::spawn_blocking(move || http(&addr, method, path, body))
    };
    let (status, body) = call("GET", "/users/1", "").await.unwrap();
    assert_eq!((status, body.contains("\"Ada\"")), (200, true), "{body}");
    let (status, again) = call("GET", "/users/1", "").await.unwrap();
    assert_eq!((status, again), (200, body));
    assert_eq!(
        state.user_reads.load(Ordering::SeqCst),
        1,
        "the second GET is a hit"
    );

    let page = call("GET", "/metrics", "").await.unwrap().1;
    assert_eq!(
        sample(&page, "advanced_caching_hits_total", "get_user"),
        Some(1),
        "{page}"
    );
    assert_eq!(
        sample(&page, "advanced_caching_misses_total", "get_user"),
        Some(1)
    );

    let (status, _) = call("PUT", "/users/1", "Ada Lovelace").await.unwrap();
    assert_eq!(status, 204);
    let (status, body) = call("GET", "/users/1", "").await.unwrap();
    assert_eq!(
        (status, body.contains("Ada Lovelace")),
        (200, true),
        "{body}"
    );
    assert_eq!(
        state.user_reads.load(Ordering::SeqCst),
        2,
        "invalidated, then read again"
    );

    assert_eq!(call("GET", "/users/99", "").await.unwrap().0, 404);
    let (status, price) = call("GET", "/prices/apple", "").await.unwrap();
    assert_eq!(status, 200);
    assert!(price.trim().parse::<u64>().is_ok(), "{price}");
    let (status, catalogue) = call("GET", "/catalogue", "").await.unwrap();
    assert_eq!(
        (status, catalogue.contains("plum")),
        (200, true),
        "{catalogue}"
    );

    let page = call("GET", "/metrics", "").await.unwrap().1;
    assert_eq!(
        sample(&page, "advanced_caching_misses_total", "get_user"),
        Some(3)
    );
    assert!(
        sample(&page, "advanced_caching_misses_total", "price").is_some(),
        "{page}"
    );
}
