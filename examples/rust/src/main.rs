//! Ledger service: an axum app with the mistakes backlint exists to catch.

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;
use sqlx::PgPool;
use std::time::Duration;
use tower_http::cors::CorsLayer;

#[derive(Clone)]
struct AppState {
    pool: PgPool,
}

#[derive(Deserialize)]
struct Search {
    account: String,
}

async fn search(State(state): State<AppState>, Query(search): Query<Search>) -> Json<Vec<String>> {
    // SQL built with format!: injection.
    let sql = format!("SELECT memo FROM entries WHERE account = '{}'", search.account);
    let rows: Vec<(String,)> = sqlx::query_as(&sql).fetch_all(&state.pool).await.unwrap();
    Json(rows.into_iter().map(|r| r.0).collect())
}

async fn rates(Path(currency): Path<String>) -> Result<String, StatusCode> {
    // A new client (and connection pool) per request, with certificate checks off.
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    std::thread::sleep(Duration::from_millis(50));
    let body = client
        .get(format!("https://rates.internal/{currency}"))
        .send()
        .await
        .map_err(|_| StatusCode::BAD_GATEWAY)?
        .text()
        .await
        .map_err(|_| StatusCode::BAD_GATEWAY)?;
    Ok(body)
}

async fn memos(State(state): State<AppState>) -> Json<Vec<String>> {
    // Every memo ever written, in one response.
    let rows: Vec<(String,)> = sqlx::query_as("SELECT memo FROM entries ORDER BY id")
        .fetch_all(&state.pool)
        .await
        .unwrap_or_default();
    Json(rows.into_iter().map(|r| r.0).collect())
}

async fn export(State(state): State<AppState>) -> StatusCode {
    let accounts: Vec<(i64,)> = sqlx::query_as("SELECT id FROM accounts LIMIT 100")
        .fetch_all(&state.pool)
        .await
        .unwrap_or_default();
    for (id,) in accounts {
        // One query per account.
        let _ = sqlx::query("UPDATE accounts SET exported = true WHERE id = $1")
            .bind(id)
            .execute(&state.pool)
            .await;
    }
    StatusCode::NO_CONTENT
}

#[tokio::main]
async fn main() {
    let pool = PgPool::connect(&std::env::var("DATABASE_URL").expect("DATABASE_URL"))
        .await
        .expect("database");
    let app = Router::new()
        .route("/search", get(search))
        .route("/rates/{currency}", get(rates))
        .route("/export", post(export))
        .route("/memos", get(memos))
        .layer(CorsLayer::very_permissive())
        .with_state(AppState { pool });
    let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await.expect("bind");
    axum::serve(listener, app).await.expect("serve");
}
