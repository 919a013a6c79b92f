//! OpenAPI pieces every function's document needs, such as the bearer-token scheme its
//! protected routes name (`security(("bearer" = []))`).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

/// Adds the `bearer` (JWT access token) security scheme to a document.
pub struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The refusals every operation of this API may answer with, by what the operation takes,
/// as the status table in this crate's README lists them. Written once here so that each
/// function's document lists them alike and always as `application/problem+json`.
mod refusals {
    use utoipa::openapi::path::{Operation, ParameterIn};
    use utoipa::openapi::response::{Response, ResponseBuilder};
    use utoipa::openapi::schema::ObjectBuilder;
    use utoipa::openapi::{ContentBuilder, Header, Ref, RefOr, Type};

    /// What a refusal needs to be listed on an operation.
    enum When {
        Always,
        TakesInput,
        HasPathParameters,
        HasBody,
        Protected,
    }

    const REFUSALS: &[(&str, When, &str, Option<(&str, &str)>)] = &[
        (
            "400",
            When::TakesInput,
            "Malformed request: a path, query or header value, or the body, cannot be read",
            None,
        ),
        (
            "401",
            When::Protected,
            "No access token, or one that is expired, revoked or not for this API",
            Some(("WWW-Authenticate", "The RFC 6750 challenge")),
        ),
        (
            "403",
            When::Protected,
            "The token lacks the scope, role or second factor this operation needs",
            Some((
                "WWW-Authenticate",
                "The RFC 6750 / RFC 9470 challenge, for token refusals",
            )),
        ),
        (
            "404",
            When::HasPathParameters,
            "No such record, or not one this caller may see",
            None,
        ),
        ("413", When::HasBody, "The body is too large", None),
        (
            "415",
            When::HasBody,
            "The body's media type is not one this operation reads",
            None,
        ),
        (
            "422",
            When::HasBody,
            "The body is invalid (`errors` names each field), or an Idempotency-Key is reused with another body",
            None,
        ),
        (
            "500",
            When::Always,
            "Internal error (the cause is logged, never shown)",
            None,
        ),
        (
            "503",
            When::Always,
            "Storage or a dependency is unavailable; try again after Retry-After",
            Some(("Retry-After", "Seconds to wait before trying again")),
        ),
    ];

    /// The problem document as a response's content.
    fn problem_content() -> utoipa::openapi::Content {
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build()
    }

    fn refusal(description: &str, header: Option<(&str, &str)>) -> Response {
        let mut response = ResponseBuilder::new()
            .description(description)
            .content(crate::problem::PROBLEM_JSON, problem_content());
        if let Some((name, about)) = header {
            let mut value = Header::new(ObjectBuilder::new().schema_type(Type::String));
            value.description = Some(about.to_owned());
            response = response.header(name, value);
        }
        response.build()
    }

    /// Lists the refusals `operation` at `path` may answer with, and makes every error
    /// response it already declares a problem document.
    pub fn complete(operation: &mut Operation, path: &str, protected: bool) {
        let has_path_parameters = path.contains('{');
        let has_body = operation.request_body.is_some();
        let has_parameters = operation.parameters.as_ref().is_some_and(|p| {
            p.iter()
                .any(|p| matches!(p.parameter_in, ParameterIn::Query | ParameterIn::Header))
        });
        let responses = &mut operation.responses.responses;
        for (status, response) in responses.iter_mut() {
            let is_error = status.starts_with('4') || status.starts_with('5');
            if let (true, RefOr::T(response)) = (is_error, response) {
                if response.content.shift_remove("application/json").is_some() {
                    response
                        .content
                        .insert(crate::problem::PROBLEM_JSON.to_owned(), problem_content());
                }
            }
        }
        for (status, when, description, header) in REFUSALS {
            let applies = match when {
                When::Always => true,
                When::TakesInput => has_path_parameters || has_body || has_parameters,
                When::HasPathParameters => has_path_parameters,
                When::HasBody => has_body,
                When::Protected => protected,
            };
            if applies && !responses.contains_key(*status) {
                responses.insert(
                    (*status).to_owned(),
                    RefOr::T(refusal(description, *header)),
                );
            }
        }
    }
}

pub(crate) use refusals::complete as complete_refusals;

/// Registers the `Problem` schema that every refusal refers to.
pub(crate) fn ensure_problem_schema(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::{PartialSchema, ToSchema};
    let components = openapi.components.get_or_insert_with(Default::default);
    components
        .schemas
        .entry(crate::Problem::name().into_owned())
        .or_insert_with(crate::Problem::schema);
}

/// A body of raw bytes (a PDF, an upload, a DER structure): `type: string, format: binary`,
/// with the media type named by the operation.
pub struct Binary;

impl utoipa::PartialSchema for Binary {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some("The document's bytes"))
            .into()
    }
}

impl utoipa::ToSchema for Binary {}
