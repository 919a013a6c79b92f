//! A SimplePay simulator for the embedded setup: it answers `/payment/v2/start` like
//! SimplePay, shows a page where a person or a test picks success, failure, cancel or
//! timeout, then sends a correctly signed IPN to the pay-fee route and sends the browser
//! back with a signed back-redirect, so the whole card flow runs without the provider.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::sync::Arc;
use varoskapu_core::payments::provider::BackRedirect;
use varoskapu_core::payments::simplepay::{Merchant, SIGNATURE_HEADER, format_time};
use varoskapu_core::{Clock, Condition, ItemWrite, Key, Table};

/// Where the simulator is mounted; its API base is `<base>/simplepay-sim/payment`.
pub const MOUNT: &str = "/simplepay-sim";

/// The simulator's state.
#[derive(Clone)]
pub struct Simulator {
    pub merchant: Merchant,
    pub table: Arc<dyn Table>,
    pub clock: Arc<dyn Clock>,
    /// Where this server is reached.
    pub public_base_url: String,
    http: reqwest::Client,
}

impl Simulator {
    pub fn new(
        merchant: Merchant,
        table: Arc<dyn Table>,
        clock: Arc<dyn Clock>,
        public_base_url: &str,
    ) -> Self {
        Self {
            merchant,
            table,
            clock,
            public_base_url: public_base_url.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
        }
    }

    /// The API base the `SimplePayClient` is pointed at.
    pub fn api_url(&self) -> String {
        format!("{}{MOUNT}/payment", self.public_base_url)
    }
}

/// The simulator's routes.
pub fn router(sim: Simulator) -> Router {
    Router::new()
        .route(&format!("{MOUNT}/payment/v2/start"), post(start))
        .route(&format!("{MOUNT}/pay/{{tx}}"), get(page).post(choose))
        .with_state(sim)
}

fn key(tx: &str) -> Key {
    Key::new(format!("SIMPLEPAY_SIM#{tx}"), "TX")
}

fn signed_json(merchant: &Merchant, value: &Value) -> Response {
    let body = value.to_string();
    let signature = merchant.sign(body.as_bytes());
    (
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::HeaderName::from_static("signature"), signature),
        ],
        body,
    )
        .into_response()
}

async fn start(State(sim): State<Simulator>, headers: HeaderMap, body: Bytes) -> Response {
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    if sim.merchant.verify(&body, signature).is_err() {
        return signed_json(&sim.merchant, &json!({"errorCodes": [5000]}));
    }
    let Ok(request) = serde_json::from_slice::<serde_json::Map<String, Value>>(&body) else {
        return signed_json(&sim.merchant, &json!({"errorCodes": [5001]}));
    };
    let tx = (rand::random::<u32>() as u64 + 500_000_000).to_string();
    let mut data = request.clone();
    data.insert("transactionId".into(), json!(tx));
    let item = ItemWrite::new(key(&tx), data);
    if sim.table.put(item, Condition::NotExists).await.is_err() {
        return signed_json(&sim.merchant, &json!({"errorCodes": [5002]}));
    }
    signed_json(
        &sim.merchant,
        &json!({
            "salt": request.get("salt"),
            "merchant": sim.merchant.id,
            "orderRef": request.get("orderRef"),
            "currency": request.get("currency"),
            "transactionId": tx.parse::<u64>().unwrap_or_default(),
            "timeout": request.get("timeout"),
            "total": request.get("total"),
            "paymentUrl": format!("{}{MOUNT}/pay/{tx}", sim.public_base_url),
        }),
    )
}

async fn page(State(sim): State<Simulator>, Path(tx): Path<String>) -> Response {
    let Ok(Some(item)) = sim.table.get(&key(&tx)).await else {
        return (StatusCode::NOT_FOUND, "no such transaction").into_response();
    };
    let total = item.data.get("total").cloned().unwrap_or(Value::Null);
    let currency = item
        .data
        .get("currency")
        .and_then(Value::as_str)
        .unwrap_or("");
    Html(format!(
        r#"<!doctype html><html lang="hu"><head><meta charset="utf-8"><title>SimplePay szimulátor</title></head>
<body><h1>SimplePay szimulátor</h1><p>Fizetendő: {total} {currency}</p>
<form method="post"><button name="outcome" value="success">Sikeres fizetés</button>
<button name="outcome" value="fail">Elutasított kártya</button>
<button name="outcome" value="cancel">Megszakítás</button>
<button name="outcome" value="timeout">Időtúllépés</button></form></body></html>"#
    ))
    .into_response()
}

async fn choose(State(sim): State<Simulator>, Path(tx): Path<String>, body: Bytes) -> Response {
    let outcome = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "outcome")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let (status, event) = match outcome.as_str() {
        "success" => ("FINISHED", "SUCCESS"),
        "fail" => ("NOTAUTHORIZED", "FAIL"),
        "cancel" => ("CANCELLED", "CANCEL"),
        "timeout" => ("TIMEOUT", "TIMEOUT"),
        _ => {
            return (
                StatusCode::BAD_REQUEST,
                "outcome: success, fail, cancel or timeout",
            )
                .into_response();
        }
    };
    let Ok(Some(item)) = sim.table.get(&key(&tx)).await else {
        return (StatusCode::NOT_FOUND, "no such transaction").into_response();
    };
    let order_ref = item
        .data
        .get("orderRef")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let back = item
        .data
        .get("url")
        .and_then(Value::as_str)
        .unwrap_or("/")
        .to_owned();
    let now = format_time(sim.clock.now());
    let ipn = json!({
        "salt": hex::encode(rand::random::<[u8; 16]>()),
        "orderRef": order_ref,
        "method": "CARD",
        "merchant": sim.merchant.id,
        "finishDate": now,
        "paymentDate": now,
        "transactionId": tx.parse::<u64>().unwrap_or_default(),
        "status": status,
    })
    .to_string();
    let sent = sim
        .http
        .post(format!("{}/payments/simplepay/ipn", sim.public_base_url))
        .header("content-type", "application/json")
        .header(SIGNATURE_HEADER, sim.merchant.sign(ipn.as_bytes()))
        .body(ipn)
        .send()
        .await;
    // SimplePay retries an IPN until it is acknowledged with a valid signature.
    let acknowledged = match sent {
        Ok(r) if r.status().is_success() => {
            let signature = r
                .headers()
                .get(SIGNATURE_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            r.bytes()
                .await
                .is_ok_and(|b| sim.merchant.verify(&b, signature.as_deref()).is_ok())
        }
        _ => false,
    };
    if !acknowledged {
        return (StatusCode::BAD_GATEWAY, "the IPN was not acknowledged").into_response();
    }
    let (r, s) = sim.merchant.back_redirect_query(&BackRedirect {
        order_ref,
        transaction_id: tx,
        event: event.into(),
    });
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("r", &r)
        .append_pair("s", &s)
        .finish();
    let sep = if back.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{back}{sep}{query}")).into_response()
}
