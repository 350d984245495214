//! Authentication, roles, health probes and the OpenAPI description.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test]
async fn every_api_route_wants_a_valid_token() {
    let app = spawn_app().await;
    let routes = [
        ("GET", "/api/v1/dossiers".to_string()),
        ("POST", "/api/v1/dossiers".to_string()),
        ("GET", format!("/api/v1/dossiers/{DRAFT_A}")),
        ("PATCH", format!("/api/v1/dossiers/{DRAFT_A}")),
        ("POST", format!("/api/v1/dossiers/{DRAFT_A}/submit")),
        ("POST", format!("/api/v1/dossiers/{PENDING_A}/state")),
        ("GET", format!("/api/v1/dossiers/{DRAFT_A}/history")),
        ("GET", format!("/api/v1/dossiers/{DRAFT_A}/documents")),
        ("POST", format!("/api/v1/dossiers/{DRAFT_A}/documents")),
        ("GET", "/api/v1/documents/01930000-0000-7000-8000-000000000000".to_string()),
        ("GET", "/api/v1/documents/01930000-0000-7000-8000-000000000000/content".to_string()),
        ("GET", format!("/api/v1/dossiers/{DRAFT_A}/print")),
        ("POST", format!("/api/v1/dossiers/{DRAFT_A}/invoices/preview")),
        ("POST", format!("/api/v1/dossiers/{DRAFT_A}/invoices")),
        ("GET", "/api/v1/invoices/FE2026-00001".to_string()),
        ("GET", "/api/v1/invoices/FE2026-00001/pdf".to_string()),
        ("POST", "/api/v1/invoices/FE2026-00001/credit-note".to_string()),
        ("GET", "/api/v1/openapi.json".to_string()),
    ];
    for (method, path) in routes {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let anonymous = app.http.request(method.clone(), app.url(&path)).send().await.unwrap();
        assert_eq!(anonymous.headers()["www-authenticate"], "Bearer", "{method} {path}");
        assert_problem(anonymous, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        let forged = app.http.request(method.clone(), app.url(&path)).bearer_auth("pcs_forged").send().await.unwrap();
        assert_problem(forged, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    }
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = spawn_app().await;
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let response = app
            .http
            .get(app.url("/api/v1/dossiers"))
            .header("authorization", format!("{scheme} {}", app.assistant()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{scheme}");
    }
    let basic = app
        .http
        .get(app.url("/api/v1/dossiers"))
        .basic_auth("assistante.akto", Some(app.assistant()))
        .send()
        .await
        .unwrap();
    assert_problem(basic, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

#[tokio::test]
async fn health_probes_need_no_token_and_report_their_parts() {
    let app = spawn_app().await;
    let alive = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(alive.status(), StatusCode::OK);
    let ready = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(ready.json::<Value>().await.unwrap(), json!({ "database": "ok", "storage": "ok" }));
}

#[tokio::test]
async fn running_the_demo_again_revokes_the_tokens_it_printed_before() {
    let app = spawn_app().await;
    let old = app.employer_a().to_string();
    assert_eq!(app.get(&old, "/api/v1/dossiers").await.status(), StatusCode::OK);
    let again = pieces::demo::seed(&app.state).await.unwrap();
    assert_problem(app.get(&old, "/api/v1/dossiers").await, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    assert_eq!(app.get(&again.employers[0].token, "/api/v1/dossiers").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn tokens_are_stored_hashed() {
    let app = spawn_app().await;
    let rows: Vec<(String,)> =
        sqlx::query_as("select token_hash from api_tokens").fetch_all(&app.state.db).await.unwrap();
    assert!(rows.len() >= 3);
    for (hash,) in rows {
        assert_eq!(hash.len(), 64);
        assert!(!hash.starts_with("pcs_"));
        assert_ne!(hash, app.assistant());
    }
}

#[tokio::test]
async fn employers_cannot_use_assistant_routes() {
    let app = spawn_app().await;
    let path = format!("/api/v1/dossiers/{PENDING_A}/state");
    let response = app.post_json(app.employer_a(), &path, &json!({ "state": "granted" })).await;
    assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
    let dossier: Value = app.get(app.assistant(), &format!("/api/v1/dossiers/{PENDING_A}")).await.json().await.unwrap();
    assert_eq!(dossier["state"], "pending", "a refused request changes nothing");
}

#[tokio::test]
async fn the_openapi_description_covers_every_route() {
    let app = spawn_app().await;
    let response = app.get(app.employer_a(), "/api/v1/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    let doc: Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/healthz",
        "/readyz",
        "/api/v1/dossiers",
        "/api/v1/dossiers/{number}",
        "/api/v1/dossiers/{number}/submit",
        "/api/v1/dossiers/{number}/state",
        "/api/v1/dossiers/{number}/history",
        "/api/v1/dossiers/{number}/documents",
        "/api/v1/documents/{id}",
        "/api/v1/documents/{id}/content",
        "/api/v1/dossiers/{number}/print",
        "/api/v1/dossiers/{number}/invoices",
        "/api/v1/invoices/{number}",
        "/api/v1/invoices/{number}/pdf",
        "/api/v1/invoices/{number}/credit-note",
    ] {
        assert!(paths.contains_key(path), "missing {path}");
    }
    assert!(paths["/api/v1/dossiers/{number}"].get("patch").is_some());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let not_found = &paths["/api/v1/dossiers/{number}"]["get"]["responses"]["404"]["content"];
    assert!(not_found["application/problem+json"]["schema"]["$ref"].as_str().unwrap().ends_with("/Problem"));
    assert!(paths["/api/v1/dossiers/{number}"]["get"]["responses"]["200"]["content"]["application/json"].is_object());
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems_too() {
    let app = spawn_app().await;
    assert_problem(app.get(app.assistant(), "/api/v1/nothing").await, StatusCode::NOT_FOUND, "route_not_found").await;
    let delete = app.http.delete(app.url("/healthz")).send().await.unwrap();
    assert_problem(delete, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
}
