//! What a token is for: the scopes a request names, the resources (RFC 8707) that narrow
//! them, and the audience (RFC 9068 `aud`) that follows from what is left. A token whose
//! scopes open no Városkapu API names none, so no API accepts a sign-in-only token.

use varoskapu_core::access::{Resource, Scope};
use varoskapu_jose::Audience;

/// Space-separated scope names, each known; the unknown name otherwise.
pub fn parse_scopes(text: &str) -> Result<Vec<String>, String> {
    let mut scopes: Vec<String> = Vec::new();
    for name in text.split_whitespace() {
        let scope = Scope::parse(name).ok_or_else(|| name.to_owned())?;
        if !scopes.iter().any(|s| s == scope.as_str()) {
            scopes.push(scope.as_str().to_owned());
        }
    }
    Ok(scopes)
}

/// The resources named by `resource` parameters; the unknown one otherwise (`invalid_target`).
pub fn parse_resources(values: &[String]) -> Result<Vec<Resource>, String> {
    values
        .iter()
        .map(|v| Resource::from_audience(v).ok_or_else(|| v.clone()))
        .collect()
}

fn scopes_of(names: &[String]) -> impl Iterator<Item = Scope> + '_ {
    names.iter().filter_map(|n| Scope::parse(n))
}

/// Keeps the sign-in scopes and those of the named resources (every scope when none is
/// named). A named resource that none of the scopes opens is refused: it is returned.
pub fn narrow(scopes: &[String], resources: &[Resource]) -> Result<Vec<String>, Resource> {
    if resources.is_empty() {
        return Ok(scopes.to_vec());
    }
    if let Some(unopened) = resources
        .iter()
        .find(|r| !scopes_of(scopes).any(|s| s.resource() == Some(**r)))
    {
        return Err(*unopened);
    }
    Ok(scopes
        .iter()
        .filter(|name| {
            Scope::parse(name).is_some_and(|s| s.resource().is_none_or(|r| resources.contains(&r)))
        })
        .cloned()
        .collect())
}

/// The audience of an access token with these scopes: the APIs they open, and the issuer
/// (which serves UserInfo) when `openid` is among them or nothing else is.
pub fn audience(scopes: &[String], issuer: &str) -> Audience {
    let mut audiences: Vec<String> = Resource::ALL
        .into_iter()
        .filter(|r| scopes_of(scopes).any(|s| s.resource() == Some(*r)))
        .map(|r| r.audience().to_owned())
        .collect();
    if audiences.is_empty() || scopes_of(scopes).any(|s| s == Scope::OpenId) {
        audiences.insert(0, issuer.to_owned());
    }
    match <[String; 1]>::try_from(audiences) {
        Ok([one]) => Audience::One(one),
        Err(many) => Audience::Many(many),
    }
}

/// Whether a token with these scopes carries the person's roles.
pub fn bears_roles(scopes: &[String]) -> bool {
    scopes_of(scopes).any(Scope::bears_roles)
}

/// Whether a scope is one of signing a person in, which no service may ask for on its own.
pub fn is_sign_in(scope: &str) -> bool {
    Scope::parse(scope).is_some_and(|s| Scope::SIGN_IN.contains(&s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        parse_scopes(text).expect("known scopes")
    }

    #[test]
    fn unknown_scopes_and_resources_are_named() {
        assert_eq!(parse_scopes("openid roles"), Err("roles".into()));
        assert_eq!(names("openid openid cases"), ["openid", "cases"]);
        assert_eq!(
            parse_resources(&["https://evil.example".into()]),
            Err("https://evil.example".into())
        );
    }

    #[test]
    fn sign_in_scopes_name_only_the_issuer() {
        assert_eq!(
            audience(&names("openid profile email offline_access"), "https://idp"),
            Audience::One("https://idp".into())
        );
        assert_eq!(
            audience(&names("openid cases backoffice:approve"), "https://idp"),
            Audience::Many(vec![
                "https://idp".into(),
                Resource::Cases.audience().into(),
                Resource::Backoffice.audience().into()
            ])
        );
        assert_eq!(
            audience(&names("payments"), "https://idp"),
            Audience::One(Resource::Payments.audience().into())
        );
    }

    #[test]
    fn a_resource_narrows_to_its_scopes_and_an_unopened_one_is_refused() {
        let granted = names("openid email cases payments backoffice");
        assert_eq!(
            narrow(&granted, &[Resource::Cases]),
            Ok(names("openid email cases"))
        );
        assert_eq!(narrow(&granted, &[]), Ok(granted.clone()));
        assert_eq!(
            narrow(&granted, &[Resource::Appointments]),
            Err(Resource::Appointments)
        );
    }
}
