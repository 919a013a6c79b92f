//! The OpenAPI document of everything mounted, and `/docs`: the same document rendered on
//! the server as a plain HTML reference (no script, nothing fetched from elsewhere), so it
//! reads without JavaScript and on a machine without internet access.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;
use std::fmt::Write as _;
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as OpenApiDoc;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Városkapu API",
        description = "E-administration backend of a municipality: accounts, cases, payments, appointments and signed documents."
    ),
    paths(openapi_json, docs_page),
    tags((name = "operations", description = "Health and service metadata"))
)]
struct BaseApi;

/// The merged OpenAPI document of every mounted function, the provider's endpoints and the
/// local server's own routes included.
pub fn openapi() -> OpenApiDoc {
    let mut doc = BaseApi::openapi();
    doc.merge(varoskapu_http::health::HealthApi::openapi());
    doc.merge(varoskapu_idp::openapi());
    doc.merge(varoskapu_register::openapi());
    doc.merge(varoskapu_authenticate::openapi());
    doc.merge(varoskapu_book_appointment::openapi());
    doc.merge(crate::cases::openapi());
    doc.merge(varoskapu_pay_fee::openapi());
    doc.merge(varoskapu_crm::openapi());
    doc.merge(varoskapu_embedded::fs_blob_store::PresignedApi::openapi());
    doc.merge(varoskapu_documents::tsa_http::TsaApi::openapi());
    if let Some(tags) = doc.tags.as_mut() {
        let mut seen = std::collections::HashSet::new();
        tags.retain(|tag| seen.insert(tag.name.clone()));
    }
    doc
}

/// The document and its page, made once per start.
#[derive(Clone)]
struct Reference {
    doc: Arc<OpenApiDoc>,
    page: Arc<str>,
}

/// The OpenAPI 3.1 document of this server.
#[utoipa::path(get, path = "/openapi.json", tag = "operations", operation_id = "openapi",
    responses((status = 200, description = "This document", content_type = "application/json", body = Object)))]
async fn openapi_json(State(reference): State<Reference>) -> axum::Json<OpenApiDoc> {
    axum::Json(reference.doc.as_ref().clone())
}

/// The API reference: this document as a readable page.
#[utoipa::path(get, path = "/docs", tag = "operations", operation_id = "docs",
    responses((status = 200, description = "The reference page", content_type = "text/html", body = String)))]
async fn docs_page(State(reference): State<Reference>) -> Response {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Html(reference.page.to_string()),
    )
        .into_response()
}

/// `/openapi.json` and the `/docs` page.
pub fn router() -> Router {
    let doc = openapi();
    let page = render(&serde_json::to_value(&doc).unwrap_or(Value::Null));
    Router::new()
        .route("/openapi.json", get(openapi_json))
        .route("/docs", get(docs_page))
        .with_state(Reference {
            doc: Arc::new(doc),
            page: page.into(),
        })
}

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A fragment id made of the text's letters and digits.
fn anchor(prefix: &str, text: &str) -> String {
    let id: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("{prefix}-{id}")
}

/// Descriptions are short prose with `code` spans and blank-line paragraphs.
fn prose(text: &str) -> String {
    text.split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let mut html = String::new();
            for (i, part) in esc(p.trim()).split('`').enumerate() {
                if i % 2 == 1 {
                    let _ = write!(html, "<code>{part}</code>");
                } else {
                    html.push_str(part);
                }
            }
            format!("<p>{html}</p>")
        })
        .collect()
}

const METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];

/// A schema in words: its type, constraints and, for a reference, a link to it.
fn schema_summary(schema: &Value) -> String {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return format!("<a href=\"#{}\">{}</a>", anchor("schema", name), esc(name));
    }
    for combinator in ["oneOf", "anyOf", "allOf"] {
        if let Some(parts) = schema[combinator].as_array() {
            let joiner = if combinator == "allOf" {
                " and "
            } else {
                " or "
            };
            return parts
                .iter()
                .map(schema_summary)
                .collect::<Vec<_>>()
                .join(joiner);
        }
    }
    let types: Vec<String> = match &schema["type"] {
        Value::String(t) => vec![t.clone()],
        Value::Array(ts) => ts
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    let mut text = if types.is_empty() {
        "any".to_owned()
    } else {
        types
            .iter()
            .map(|t| {
                if t == "array" {
                    format!("array of {}", schema_summary(&schema["items"]))
                } else {
                    esc(t)
                }
            })
            .collect::<Vec<_>>()
            .join(" or ")
    };
    let mut facts = Vec::new();
    for key in ["format", "contentMediaType", "pattern"] {
        if let Some(v) = schema[key].as_str() {
            facts.push(format!("{key} <code>{}</code>", esc(v)));
        }
    }
    for key in [
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
    ] {
        if let Some(v) = schema.get(key).filter(|v| !v.is_null()) {
            facts.push(format!("{key} {}", esc(&v.to_string())));
        }
    }
    if let Some(values) = schema["enum"].as_array() {
        let values: Vec<String> = values
            .iter()
            .map(|v| format!("<code>{}</code>", esc(&v.to_string())))
            .collect();
        facts.push(format!("one of {}", values.join(", ")));
    }
    if !facts.is_empty() {
        let _ = write!(text, " ({})", facts.join("; "));
    }
    text
}

/// An object schema's members as a table; other schemas as one line.
fn schema_detail(schema: &Value, caption: &str) -> String {
    let Some(properties) = schema["properties"].as_object() else {
        return format!("<p>{}</p>", schema_summary(schema));
    };
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut html = format!(
        "<table><caption>{}</caption><thead><tr><th scope=\"col\">Field</th><th scope=\"col\">Type</th><th scope=\"col\">Required</th><th scope=\"col\">Description</th></tr></thead><tbody>",
        esc(caption)
    );
    for (name, property) in properties {
        let _ = write!(
            html,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(name),
            schema_summary(property),
            if required.contains(&name.as_str()) {
                "yes"
            } else {
                "no"
            },
            property["description"]
                .as_str()
                .map(prose)
                .unwrap_or_default()
        );
    }
    html.push_str("</tbody></table>");
    html
}

/// The media types of a request body or response with their schemas.
fn content(content: &Value) -> String {
    let Some(types) = content.as_object() else {
        return String::new();
    };
    let mut html = String::from("<ul>");
    for (media_type, body) in types {
        let _ = write!(
            html,
            "<li><code>{}</code>: {}",
            esc(media_type),
            schema_summary(&body["schema"])
        );
        if let Some(example) = body.get("example").filter(|e| !e.is_null()) {
            let text = serde_json::to_string_pretty(example).unwrap_or_default();
            let _ = write!(html, "<pre><code>{}</code></pre>", esc(&text));
        }
        html.push_str("</li>");
    }
    html.push_str("</ul>");
    html
}

fn operation(method: &str, path: &str, op: &Value) -> String {
    let id = op["operationId"]
        .as_str()
        .map(|id| anchor("op", id))
        .unwrap_or_else(|| anchor("op", &format!("{method}{path}")));
    let mut html = format!(
        "<section class=\"op\" aria-labelledby=\"{id}\"><h3 id=\"{id}\"><span class=\"method {method}\">{}</span> <code>{}</code></h3>",
        method.to_uppercase(),
        esc(path)
    );
    if let Some(summary) = op["summary"].as_str() {
        html.push_str(&prose(summary));
    }
    if let Some(description) = op["description"].as_str() {
        html.push_str(&prose(description));
    }
    match op["security"].as_array() {
        Some(requirements) if !requirements.is_empty() => {
            let text: Vec<String> = requirements
                .iter()
                .filter_map(Value::as_object)
                .flat_map(|r| r.iter())
                .map(|(scheme, scopes)| {
                    let scopes: Vec<String> = scopes
                        .as_array()
                        .map(|s| {
                            s.iter()
                                .filter_map(Value::as_str)
                                .map(|s| format!("<code>{}</code>", esc(s)))
                                .collect()
                        })
                        .unwrap_or_default();
                    if scopes.is_empty() {
                        format!("<code>{}</code>", esc(scheme))
                    } else {
                        format!("<code>{}</code> with {}", esc(scheme), scopes.join(", "))
                    }
                })
                .collect();
            let _ = write!(
                html,
                "<p><strong>Security:</strong> {}</p>",
                text.join("; or ")
            );
        }
        _ => html.push_str("<p><strong>Security:</strong> none (public)</p>"),
    }
    if let Some(parameters) = op["parameters"].as_array().filter(|p| !p.is_empty()) {
        html.push_str("<h4>Parameters</h4><table><caption class=\"visually-hidden\">Parameters</caption><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">In</th><th scope=\"col\">Type</th><th scope=\"col\">Required</th><th scope=\"col\">Description</th></tr></thead><tbody>");
        for p in parameters {
            let _ = write!(
                html,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(p["name"].as_str().unwrap_or_default()),
                esc(p["in"].as_str().unwrap_or_default()),
                schema_summary(&p["schema"]),
                if p["required"].as_bool().unwrap_or(false) {
                    "yes"
                } else {
                    "no"
                },
                p["description"].as_str().map(prose).unwrap_or_default()
            );
        }
        html.push_str("</tbody></table>");
    }
    if let Some(body) = op.get("requestBody").filter(|b| b.is_object()) {
        html.push_str("<h4>Request body</h4>");
        if body["required"].as_bool().unwrap_or(false) {
            html.push_str("<p>Required.</p>");
        }
        if let Some(description) = body["description"].as_str() {
            html.push_str(&prose(description));
        }
        html.push_str(&content(&body["content"]));
    }
    if let Some(responses) = op["responses"].as_object() {
        html.push_str("<h4>Responses</h4><dl>");
        for (status, response) in responses {
            let _ = write!(
                html,
                "<dt><code>{}</code></dt><dd>{}",
                esc(status),
                response["description"]
                    .as_str()
                    .map(prose)
                    .unwrap_or_default()
            );
            if let Some(headers) = response["headers"].as_object() {
                let names: Vec<String> = headers
                    .keys()
                    .map(|h| format!("<code>{}</code>", esc(h)))
                    .collect();
                let _ = write!(html, "<p>Headers: {}</p>", names.join(", "));
            }
            html.push_str(&content(&response["content"]));
            html.push_str("</dd>");
        }
        html.push_str("</dl>");
    }
    html.push_str("</section>");
    html
}

/// The whole reference page.
pub fn render(doc: &Value) -> String {
    let title = doc["info"]["title"].as_str().unwrap_or("API");
    // Tags in the document's order, then any an operation names that the list lacks.
    let mut tags: Vec<(String, String)> = doc["tags"]
        .as_array()
        .map(|tags| {
            tags.iter()
                .filter_map(|t| {
                    Some((
                        t["name"].as_str()?.to_owned(),
                        t["description"].as_str().unwrap_or_default().to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut grouped: Vec<(String, Vec<String>)> = Vec::new();
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    for (path, item) in &paths {
        for method in METHODS {
            let Some(op) = item.get(method).filter(|op| op.is_object()) else {
                continue;
            };
            let tag = op["tags"][0].as_str().unwrap_or("other").to_owned();
            if !tags.iter().any(|(name, _)| *name == tag) {
                tags.push((tag.clone(), String::new()));
            }
            let html = operation(method, path, op);
            match grouped.iter_mut().find(|(name, _)| *name == tag) {
                Some((_, ops)) => ops.push(html),
                None => grouped.push((tag, vec![html])),
            }
        }
    }
    let mut nav = String::new();
    let mut body = String::new();
    for (name, description) in &tags {
        let Some((_, ops)) = grouped.iter().find(|(n, _)| n == name) else {
            continue;
        };
        let id = anchor("tag", name);
        let _ = write!(nav, "<li><a href=\"#{id}\">{}</a></li>", esc(name));
        let _ = write!(
            body,
            "<section aria-labelledby=\"{id}\"><h2 id=\"{id}\">{}</h2>{}{}</section>",
            esc(name),
            prose(description),
            ops.concat()
        );
    }
    let mut schemas = String::new();
    if let Some(components) = doc["components"]["schemas"].as_object() {
        for (name, schema) in components {
            let id = anchor("schema", name);
            let _ = write!(
                schemas,
                "<section aria-labelledby=\"{id}\"><h3 id=\"{id}\">{}</h3>{}{}</section>",
                esc(name),
                schema["description"]
                    .as_str()
                    .map(prose)
                    .unwrap_or_default(),
                schema_detail(schema, name)
            );
        }
    }
    format!(
        r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} reference</title>
<style>
 body {{ font-family: system-ui, sans-serif; line-height: 1.5; margin: 0 auto; max-width: 64rem; padding: 0 1rem 2rem; color: #1b1b1b; background: #fff; }}
 a {{ color: #0b4f9c; }} a:focus, summary:focus {{ outline: 3px solid #8a5a00; outline-offset: 2px; }}
 .skip {{ position: absolute; left: -999px; }} .skip:focus {{ position: static; }}
 .visually-hidden {{ position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }}
 .op {{ border: 1px solid #767676; border-radius: 6px; margin: 1rem 0; padding: .5rem 1rem; }}
 .method {{ display: inline-block; min-width: 4.5rem; padding: 0 .4rem; border-radius: 4px; color: #fff; text-align: center; font-size: .9em; }}
 .get {{ background: #0a5d27; }} .post {{ background: #0b4f9c; }} .put, .patch {{ background: #7a4f00; }} .delete {{ background: #a1161c; }} .head, .options {{ background: #4a4a4a; }}
 table {{ border-collapse: collapse; width: 100%; margin: .5rem 0; }} th, td {{ border: 1px solid #767676; padding: .25rem .5rem; text-align: left; vertical-align: top; }}
 caption {{ text-align: left; font-weight: 600; }} td p, dd p {{ margin: 0; }} dt {{ font-weight: 600; margin-top: .4rem; }}
 pre {{ background: #f3f3f3; padding: .5rem; overflow: auto; }} code {{ font-size: .95em; }}
</style>
</head>
<body>
<a class="skip" href="#main">Skip to the reference</a>
<header>
<h1>{title_html}</h1>
{description}
<p lang="hu">A Városkapu API teljes leírása; a gépi változat: <a href="/openapi.json">/openapi.json</a>.</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI {version}). Every error is <code>application/problem+json</code> (RFC 9457) unless an endpoint says otherwise; the OpenID Connect endpoints answer OAuth JSON errors (RFC 6749).</p>
</header>
<nav aria-label="Contents">
<h2>Contents</h2>
<ul>{nav}<li><a href="#schemas">Schemas</a></li></ul>
</nav>
<main id="main">
{body}
<section aria-labelledby="schemas"><h2 id="schemas">Schemas</h2>{schemas}</section>
</main>
<footer><p>Generated on the server from the same OpenAPI document; no script runs on this page.</p></footer>
</body>
</html>
"##,
        title = esc(title),
        title_html = esc(title),
        description = doc["info"]["description"]
            .as_str()
            .map(prose)
            .unwrap_or_default(),
        version = esc(doc["openapi"].as_str().unwrap_or_default()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_page_shows_every_operation_without_script() {
        let doc = serde_json::to_value(openapi()).expect("serializes");
        let page = render(&doc);
        assert!(!page.contains("<script"), "no script");
        assert!(page.contains("<main id=\"main\">") && page.contains("lang=\"hu\""));
        for (path, item) in doc["paths"].as_object().expect("paths") {
            assert!(
                page.contains(&format!("<code>{}</code></h3>", esc(path))),
                "{path} is on the page"
            );
            for method in METHODS {
                if item.get(method).is_some() {
                    assert!(
                        page.contains(&format!(
                            "{}</span> <code>{}</code>",
                            method.to_uppercase(),
                            esc(path)
                        )),
                        "{method} {path}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_route_outside_the_functions_is_described() {
        let doc = serde_json::to_value(openapi()).expect("serializes");
        let expect = [
            ("post", "/register"),
            ("get", "/register/verify"),
            ("post", "/register/verify"),
            ("post", "/authenticate"),
            ("get", "/password-reset"),
            ("post", "/password-reset"),
            ("post", "/password-reset/confirm"),
            ("get", "/.well-known/openid-configuration"),
            ("get", "/oauth2/jwks"),
            ("get", "/oauth2/authorize"),
            ("post", "/oauth2/login"),
            ("post", "/oauth2/consent"),
            ("post", "/oauth2/second-factor"),
            ("post", "/oauth2/federated/start"),
            ("get", "/oauth2/federated/callback"),
            ("get", "/oauth2/logout"),
            ("post", "/oauth2/logout"),
            ("post", "/oauth2/token"),
            ("get", "/oauth2/userinfo"),
            ("post", "/oauth2/userinfo"),
            ("post", "/oauth2/revoke"),
            ("post", "/oauth2/introspect"),
            ("get", "/blob-store/{token}"),
            ("put", "/blob-store/{token}"),
            ("post", "/tsa"),
            ("get", "/healthz"),
            ("get", "/openapi.json"),
            ("get", "/docs"),
        ];
        for (method, path) in expect {
            assert!(
                doc["paths"][path][method].is_object(),
                "{method} {path} is in the document"
            );
        }
        let token = &doc["paths"]["/oauth2/token"]["post"];
        assert!(token["requestBody"]["content"]["application/x-www-form-urlencoded"].is_object());
        assert!(token["security"].is_null(), "the token endpoint is public");
        let authorize = &doc["paths"]["/oauth2/authorize"]["get"]["responses"];
        assert!(authorize["303"]["headers"]["Location"].is_object());
        assert!(authorize["200"]["content"]["text/html"].is_object());
    }
}
