//! The OpenAPI document of everything mounted, and a self-contained page that renders it
//! (no script from elsewhere, so it works on a machine without internet access).

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as OpenApiDoc;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Városkapu API",
        description = "E-administration backend of a municipality: accounts, cases, payments, appointments and signed documents."
    ),
    tags((name = "operations", description = "Health and service metadata"))
)]
struct BaseApi;

/// The merged OpenAPI document of every mounted function.
pub fn openapi() -> OpenApiDoc {
    let mut doc = BaseApi::openapi();
    doc.merge(varoskapu_http::health::HealthApi::openapi());
    doc.merge(varoskapu_book_appointment::openapi());
    doc.merge(crate::cases::openapi());
    doc.merge(varoskapu_pay_fee::openapi());
    doc
}

/// `/openapi.json` and the `/docs` page.
pub fn router() -> Router {
    let doc = openapi();
    Router::new()
        .route(
            "/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { axum::Json(doc) }
            }),
        )
        .route("/docs", get(|| async { Html(DOCS_PAGE) }))
}

const DOCS_PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Városkapu API</title>
<style>
 body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #1b1b1b; }
 h1 { margin-bottom: .2rem; } .op { border: 1px solid #ddd; border-radius: 6px; margin: .6rem 0; padding: .5rem .8rem; }
 .method { display: inline-block; min-width: 4.5rem; font-weight: 700; text-transform: uppercase; }
 .get { color: #0a6b2d; } .post { color: #0b4f9c; } .put, .patch { color: #8a5a00; } .delete { color: #a1161c; }
 code { font-size: 1rem; } .summary { color: #444; margin-left: .5rem; } details pre { background: #f6f6f6; padding: .5rem; overflow: auto; }
</style>
</head>
<body>
<h1 id="title">Városkapu API</h1>
<p id="description"></p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI <span id="version"></span>)</p>
<div id="operations">Loading…</div>
<script>
fetch('/openapi.json').then(r => r.json()).then(doc => {
  document.getElementById('title').textContent = doc.info.title;
  document.getElementById('description').textContent = doc.info.description || '';
  document.getElementById('version').textContent = doc.openapi;
  const root = document.getElementById('operations');
  root.textContent = '';
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const [method, op] of Object.entries(item)) {
      const div = document.createElement('div'); div.className = 'op';
      const m = document.createElement('span'); m.className = 'method ' + method; m.textContent = method;
      const p = document.createElement('code'); p.textContent = path;
      const s = document.createElement('span'); s.className = 'summary'; s.textContent = op.summary || op.description || '';
      const d = document.createElement('details'); const sum = document.createElement('summary'); sum.textContent = 'details';
      const pre = document.createElement('pre'); pre.textContent = JSON.stringify(op, null, 2);
      d.append(sum, pre); div.append(m, p, s, d); root.append(div);
    }
  }
}).catch(e => { document.getElementById('operations').textContent = 'Could not load /openapi.json: ' + e; });
</script>
</body>
</html>
"#;
