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

    /// A refusal: its status, which operations may answer with it, what it means, and the
    /// header it carries.
    struct Refusal {
        status: &'static str,
        when: When,
        description: &'static str,
        header: Option<(&'static str, &'static str)>,
    }

    const REFUSALS: &[Refusal] = &[
        Refusal {
            status: "400",
            when: When::TakesInput,
            description: "Malformed request: a path, query or header value, or the body, cannot be read",
            header: None,
        },
        Refusal {
            status: "401",
            when: When::Protected,
            description: "No access token, or one that is expired, revoked or not for this API",
            header: Some(("WWW-Authenticate", "The RFC 6750 challenge")),
        },
        Refusal {
            status: "403",
            when: When::Protected,
            description: "The token lacks the scope, role or second factor this operation needs",
            header: Some((
                "WWW-Authenticate",
                "The RFC 6750 / RFC 9470 challenge, for token refusals",
            )),
        },
        Refusal {
            status: "404",
            when: When::HasPathParameters,
            description: "No such record, or not one this caller may see",
            header: None,
        },
        Refusal {
            status: "413",
            when: When::HasBody,
            description: "The body is too large",
            header: None,
        },
        Refusal {
            status: "415",
            when: When::HasBody,
            description: "The body's media type is not one this operation reads",
            header: None,
        },
        Refusal {
            status: "422",
            when: When::HasBody,
            description: "The body is invalid (`errors` names each field), or an Idempotency-Key is reused with another body",
            header: None,
        },
        Refusal {
            status: "500",
            when: When::Always,
            description: "Internal error (the cause is logged, never shown)",
            header: None,
        },
        Refusal {
            status: "503",
            when: When::Always,
            description: "Storage or a dependency is unavailable; try again after Retry-After",
            header: Some(("Retry-After", "Seconds to wait before trying again")),
        },
    ];

    /// The problem document as a response's content.
    fn problem_content() -> utoipa::openapi::Content {
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build()
    }

    fn response(description: &str, header: Option<(&str, &str)>) -> Response {
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
            if let (true, RefOr::T(response)) = (is_error, response)
                && response.content.shift_remove("application/json").is_some()
            {
                response
                    .content
                    .insert(crate::problem::PROBLEM_JSON.to_owned(), problem_content());
            }
        }
        for refusal in REFUSALS {
            let applies = match refusal.when {
                When::Always => true,
                When::TakesInput => has_path_parameters || has_body || has_parameters,
                When::HasPathParameters => has_path_parameters,
                When::HasBody => has_body,
                When::Protected => protected,
            };
            if applies && !responses.contains_key(refusal.status) {
                responses.insert(
                    refusal.status.to_owned(),
                    RefOr::T(response(refusal.description, refusal.header)),
                );
            }
        }
    }
}

pub(crate) use refusals::complete as complete_refusals;

/// Gives every JSON write of a document of public routes (a POST, PUT or PATCH that takes
/// `application/json`) the refusals of [`complete_refusals`], for functions whose routes
/// need no token and so are not documented by [`crate::auth::Routes::document`]; the forms
/// their pages post answer no problem and are left as their annotations say (see
/// [`complete_page_forms`]).
pub fn complete_public_writes(openapi: &mut utoipa::openapi::OpenApi) {
    for (path, item) in openapi.paths.paths.iter_mut() {
        for operation in [&mut item.post, &mut item.put, &mut item.patch]
            .into_iter()
            .flatten()
        {
            let takes_json = operation
                .request_body
                .as_ref()
                .is_some_and(|body| body.content.contains_key("application/json"));
            if takes_json {
                complete_refusals(operation, path, false);
            }
        }
    }
    ensure_problem_schema(openapi);
}

/// Completes the operations of the server-rendered pages: a posted form (URL-encoded or
/// multipart) that cannot be read is answered with a page saying so (400, `text/html`),
/// which the operation documents unless it already documents its own 400.
pub fn complete_page_forms(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::response::ResponseBuilder;
    use utoipa::openapi::schema::ObjectBuilder;
    use utoipa::openapi::{ContentBuilder, Type};
    const FORMS: [&str; 2] = ["application/x-www-form-urlencoded", "multipart/form-data"];
    for item in openapi.paths.paths.values_mut() {
        for operation in [&mut item.post, &mut item.put].into_iter().flatten() {
            let posts_a_form = operation
                .request_body
                .as_ref()
                .is_some_and(|body| FORMS.iter().any(|f| body.content.contains_key(*f)));
            if !posts_a_form {
                continue;
            }
            operation
                .responses
                .responses
                .entry("400".to_owned())
                .or_insert_with(|| {
                    ResponseBuilder::new()
                        .description("The form cannot be read; the answer is a page saying so")
                        .content(
                            "text/html",
                            ContentBuilder::new()
                                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                                .build(),
                        )
                        .build()
                        .into()
                });
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::complete_refusals;
    use utoipa::openapi::path::{OperationBuilder, ParameterBuilder, ParameterIn};
    use utoipa::openapi::request_body::RequestBodyBuilder;
    use utoipa::openapi::{ContentBuilder, RefOr, ResponseBuilder};

    fn statuses(op: &utoipa::openapi::path::Operation) -> Vec<&str> {
        op.responses.responses.keys().map(String::as_str).collect()
    }

    #[test]
    fn a_protected_write_lists_every_refusal_as_a_problem_document() {
        let mut op = OperationBuilder::new()
            .request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/json", ContentBuilder::new().build())
                    .build(),
            ))
            .response("201", ResponseBuilder::new().description("Created"))
            .response(
                "409",
                ResponseBuilder::new()
                    .description("Taken")
                    .content("application/json", ContentBuilder::new().build()),
            )
            .build();
        complete_refusals(&mut op, "/cases/{case_id}/notes", true);
        let mut got = statuses(&op);
        got.sort();
        assert_eq!(
            got,
            [
                "201", "400", "401", "403", "404", "409", "413", "415", "422", "500", "503"
            ]
        );
        for (status, response) in &op.responses.responses {
            let RefOr::T(response) = response else {
                panic!("{status} is a reference")
            };
            if status.starts_with('4') || status.starts_with('5') {
                assert_eq!(
                    response.content.keys().collect::<Vec<_>>(),
                    ["application/problem+json"],
                    "{status}"
                );
            }
        }
    }

    #[test]
    fn a_public_read_without_parameters_lists_only_what_it_can_answer() {
        let mut op = OperationBuilder::new()
            .response("200", ResponseBuilder::new().description("The list"))
            .build();
        complete_refusals(&mut op, "/case-types", false);
        assert_eq!(statuses(&op), ["200", "500", "503"]);

        let mut op = OperationBuilder::new()
            .parameter(
                ParameterBuilder::new()
                    .name("limit")
                    .parameter_in(ParameterIn::Query),
            )
            .response("200", ResponseBuilder::new().description("A page"))
            .build();
        complete_refusals(&mut op, "/appointments/services", false);
        assert_eq!(statuses(&op), ["200", "400", "500", "503"]);
    }

    #[test]
    fn a_page_form_documents_the_page_that_refuses_an_unreadable_body() {
        use utoipa::openapi::{PathItem, Paths};
        let form = OperationBuilder::new()
            .request_body(Some(
                RequestBodyBuilder::new()
                    .content(
                        "application/x-www-form-urlencoded",
                        ContentBuilder::new().build(),
                    )
                    .build(),
            ))
            .response("303", ResponseBuilder::new().description("Saved"))
            .build();
        let mut doc = utoipa::openapi::OpenApiBuilder::new()
            .paths(Paths::builder().path(
                "/account/name",
                PathItem::new(utoipa::openapi::HttpMethod::Post, form),
            ))
            .build();
        crate::openapi::complete_page_forms(&mut doc);
        let op = doc.paths.paths["/account/name"]
            .post
            .as_ref()
            .expect("post");
        assert_eq!(statuses(op), ["303", "400"]);
        let RefOr::T(refused) = &op.responses.responses["400"] else {
            panic!("an inline response")
        };
        assert_eq!(refused.content.keys().collect::<Vec<_>>(), ["text/html"]);
    }
}
