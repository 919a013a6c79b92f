//! Server-rendered pages a person sees: login, second factor, consent, logout and errors,
//! all in the page kit's one layout. Hungarian by default, English by `Accept-Language` or
//! `?lang=en`; plain forms with labels that work without JavaScript.

use axum::http::StatusCode;
use axum::response::Response;
use varoskapu_core::access::Scope;

use super::form_page::{Field, FormPage};
use varoskapu_web::{FieldErrors, Page, PageLang};
pub use varoskapu_web::{Lang, escape};

/// What the login form shows.
pub struct LoginPage<'a> {
    pub lang: Lang,
    pub client_name: &'a str,
    pub request_id: &'a str,
    pub csrf: &'a str,
    pub email: Option<&'a str>,
    pub error: Option<&'a str>,
    /// The upstream eID provider's name, when federated login is offered.
    pub federated: Option<&'a str>,
}

/// A page of the kit in `lang` (the provider's pages negotiate their language themselves).
fn kit_page(lang: Lang, title: &str) -> Page {
    Page::new(
        PageLang {
            lang,
            explicit: false,
        },
        title,
    )
}

/// The login form, with the ways out: registration, a forgotten password, federated login.
pub fn login(status: StatusCode, p: LoginPage<'_>) -> Response {
    let lang = p.lang;
    let mut errors = FieldErrors::default();
    if let Some(error) = p.error {
        errors.add("password", error);
    }
    let after = p
        .federated
        .map(|name| {
            format!(
                r#"<form method="post" action="/oauth2/federated/start">
<input type="hidden" name="request_id" value="{}">
<input type="hidden" name="csrf" value="{}">
<button type="submit" class="secondary">{} {}</button>
</form>"#,
                escape(p.request_id),
                escape(p.csrf),
                lang.t("Belépés ezzel:", "Sign in with"),
                escape(name)
            )
        })
        .unwrap_or_default();
    let mut form = FormPage::new("/oauth2/login", lang.t("Bejelentkezés", "Sign in"))
        .hidden("request_id", p.request_id)
        .hidden("csrf", p.csrf)
        .field(
            Field::new(
                "email",
                lang.t("E-mail-cím", "E-mail address"),
                "email",
                "username",
            )
            .value(p.email.unwrap_or_default()),
        )
        .field(
            Field::new(
                "password",
                lang.t("Jelszó", "Password"),
                "password",
                "current-password",
            )
            .errors(&errors),
        )
        .link(
            "/account/password-reset",
            lang.t("Elfelejtette a jelszavát?", "Forgot your password?"),
        )
        .link(
            "/account/register",
            lang.t("Nincs még fiókja? Regisztráció", "No account yet? Register"),
        );
    if !p.client_name.is_empty() {
        form = form.intro(&format!(
            "{} {}",
            lang.t("Bejelentkezés ide:", "Sign in to"),
            p.client_name
        ));
    }
    form.after = after + &super::browser::passkey::section(lang, p.request_id, p.csrf);
    kit_page(lang, lang.t("Bejelentkezés", "Sign in"))
        .status(status)
        .errors(errors)
        .forms_may_leave()
        .scripts_from_self()
        .template(&form)
}

/// Asks for the authenticator app's code (or a recovery code) after a correct password.
pub fn second_factor(
    status: StatusCode,
    lang: Lang,
    request_id: &str,
    csrf: &str,
    error: Option<&str>,
) -> Response {
    let mut errors = FieldErrors::default();
    if let Some(error) = error {
        errors.add("code", error);
    }
    let mut form = FormPage::new("/oauth2/second-factor", lang.t("Tovább", "Continue"))
        .hidden("request_id", request_id)
        .hidden("csrf", csrf)
        .field(code_field(lang, &errors));
    // A passkey of the account is accepted in place of the code.
    form.after = super::browser::passkey::section(lang, request_id, csrf);
    kit_page(
        lang,
        lang.t("Kétlépcsős azonosítás", "Two-step verification"),
    )
    .status(status)
    .errors(errors)
    .forms_may_leave()
    .scripts_from_self()
    .template(&form)
}

/// The second factor's field: the app's code, or one of the recovery codes.
pub fn code_field(lang: Lang, errors: &FieldErrors) -> Field {
    Field::new(
        "code",
        lang.t(
            "A hitelesítő alkalmazás 6 jegyű kódja",
            "The 6-digit code from your authenticator app",
        ),
        "text",
        "one-time-code",
    )
    .hint(lang.t(
        "Ha a telefonja nincs kéznél, írja be egyik helyreállító kódját.",
        "If your phone is not at hand, enter one of your recovery codes.",
    ))
    .errors(errors)
}

/// What granting a scope lets an app do, in words a citizen understands.
fn scope_text(lang: Lang, scope: Scope) -> &'static str {
    match scope {
        Scope::OpenId => lang.t(
            "Bejelentkeztetheti Önt (megkapja az Ön azonosítóját)",
            "Sign you in (it receives your identifier)",
        ),
        Scope::Profile => lang.t("Láthatja az Ön nevét", "See your name"),
        Scope::Email => lang.t("Láthatja az Ön e-mail-címét", "See your e-mail address"),
        Scope::OfflineAccess => lang.t(
            "Akkor is hozzáférhet ezekhez, amikor Ön nincs bejelentkezve",
            "Keep this access while you are signed out",
        ),
        Scope::Cases => lang.t(
            "Ügyei megtekintése és új ügy indítása az Ön nevében",
            "See your cases and start new ones on your behalf",
        ),
        Scope::Payments => lang.t(
            "Díjai megtekintése és befizetése az Ön nevében",
            "See your fees and pay them on your behalf",
        ),
        Scope::Appointments => lang.t(
            "Időpontjai megtekintése, foglalása és lemondása az Ön nevében",
            "See, book and cancel your appointments on your behalf",
        ),
        Scope::Backoffice => lang.t(
            "Ügyintézői munka az Ön nevében: ügyek, befizetések és időpontok kezelése, az Ön szerepköreivel",
            "Do office work in your name: handle cases, payments and appointments, with your roles",
        ),
        Scope::BackofficeApprove => lang.t(
            "Döntések jóváhagyása és kiadmányozása az Ön nevében",
            "Approve and sign off decisions in your name",
        ),
        Scope::Crm => lang.t(
            "Az ügyfélnyilvántartás keresése, megtekintése és javítása az Ön nevében",
            "Search, read and correct the citizen records in your name",
        ),
        Scope::CrmExport => lang.t(
            "Az ügyfélnyilvántartás keresési eredményeinek letöltése az Ön nevében",
            "Download citizen record search results in your name",
        ),
    }
}

/// Asks the person whether a third-party client may receive the requested scopes.
pub fn consent(
    lang: Lang,
    client_name: &str,
    scopes: &[String],
    request_id: &str,
    csrf: &str,
) -> Response {
    // Scopes are checked against the known ones before a consent page is ever shown.
    let items: String = scopes
        .iter()
        .filter_map(|s| Scope::parse(s))
        .map(|s| format!("<li>{}</li>", escape(scope_text(lang, s))))
        .collect();
    let body = format!(
        r#"<p><strong>{client}</strong> {asks}</p>
<ul>{items}</ul>
<form method="post" action="/oauth2/consent">
<input type="hidden" name="request_id" value="{request_id}">
<input type="hidden" name="csrf" value="{csrf}">
<button type="submit" name="decision" value="allow" autofocus>{allow}</button>
<button type="submit" name="decision" value="deny">{deny}</button>
</form>"#,
        client = escape(client_name),
        asks = lang.t("a következőkhöz kér hozzáférést:", "asks to access:"),
        request_id = escape(request_id),
        csrf = escape(csrf),
        allow = lang.t("Engedélyezem", "Allow"),
        deny = lang.t("Elutasítom", "Deny"),
    );
    // The answer to the form redirects to the client's origin.
    kit_page(lang, lang.t("Hozzájárulás", "Consent"))
        .forms_may_leave()
        .render(&body)
}

/// An error page: used wherever redirecting back would be unsafe.
pub fn error(lang: Lang, status: StatusCode, message: &str) -> Response {
    let body = format!(
        r#"<p class="error" role="alert">{}</p><p>{}</p>"#,
        escape(message),
        lang.t(
            "Kérjük, térjen vissza az alkalmazáshoz, és próbálja újra.",
            "Please go back to the application and try again."
        )
    );
    kit_page(lang, lang.t("Hiba", "Error"))
        .status(status)
        .render(&body)
}

/// What the sign-out confirmation carries to its form: the CSRF token and the logout
/// request's return address, checked again when she confirms.
pub struct LogoutConfirm<'a> {
    pub csrf: &'a str,
    pub client_id: Option<&'a str>,
    pub post_logout_redirect_uri: Option<&'a str>,
    pub state: Option<&'a str>,
}

/// Asks before signing out when the request did not prove where it came from.
pub fn logout_confirm(lang: Lang, c: LogoutConfirm<'_>) -> Response {
    let hidden: String = [
        ("client_id", c.client_id),
        ("post_logout_redirect_uri", c.post_logout_redirect_uri),
        ("state", c.state),
    ]
    .into_iter()
    .filter_map(|(name, value)| {
        value.map(|v| {
            format!(
                r#"<input type="hidden" name="{name}" value="{}">"#,
                escape(v)
            )
        })
    })
    .collect::<Vec<_>>()
    .join("\n");
    let body = format!(
        r#"<form method="post" action="/oauth2/logout">
<input type="hidden" name="csrf" value="{}">
{hidden}
<p>{}</p>
<button type="submit" autofocus>{}</button>
</form>"#,
        escape(c.csrf),
        lang.t("Biztosan kijelentkezik?", "Do you want to sign out?"),
        lang.t("Kijelentkezés", "Sign out"),
    );
    // The answer to the form may redirect to the client's post-logout address.
    kit_page(lang, lang.t("Kijelentkezés", "Sign out"))
        .forms_may_leave()
        .render(&body)
}

/// Confirms that the person is signed out.
pub fn logged_out(lang: Lang) -> Response {
    let body = format!(
        "<p>{}</p>",
        lang.t("Sikeresen kijelentkezett.", "You have signed out.")
    );
    kit_page(lang, lang.t("Kijelentkezve", "Signed out")).render(&body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_text_is_escaped() {
        assert_eq!(
            escape(r#"<a href="x">'&"#),
            "&#60;a href=&#34;x&#34;&#62;&#39;&#38;"
        );
    }

    #[test]
    fn every_scope_is_explained_in_both_languages() {
        for scope in Scope::ALL {
            for lang in [Lang::Hu, Lang::En] {
                assert!(scope_text(lang, scope).len() > 8, "{scope} in {lang:?}");
            }
            assert_ne!(scope_text(Lang::Hu, scope), scope_text(Lang::En, scope));
        }
    }
}
