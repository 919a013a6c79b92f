//! A browser without script for the page tests: its own cookie jar, redirects looked at
//! one by one, forms posted as a browser posts them (for refusals that a clicking browser
//! cannot provoke: a missing CSRF token, a stranger's session).

use super::{World, field};
use reqwest::StatusCode;

/// A browser without script: its own cookies, redirects looked at one by one.
pub struct Browser {
    pub http: reqwest::Client,
    pub base: String,
    pub jar: Vec<(String, String)>,
    /// The `Set-Cookie` headers of the last answer.
    pub last_cookies: Vec<String>,
}

/// One answer: status, where it sends the browser, its body.
pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl Browser {
    pub fn new(world: &World) -> Self {
        Self {
            http: world.http.clone(),
            base: world.base.clone(),
            jar: Vec::new(),
            last_cookies: Vec::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    pub fn cookie_header(&self) -> String {
        self.jar
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn read(&mut self, response: reqwest::Response) -> Answer {
        self.last_cookies = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().expect("ascii").to_owned())
            .collect();
        for cookie in &self.last_cookies {
            let pair = cookie.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                self.jar.retain(|(n, _)| n != name);
                if !value.is_empty() {
                    self.jar.push((name.to_owned(), value.to_owned()));
                }
            }
        }
        let status = response.status();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().expect("ascii").to_owned());
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().expect("ascii").to_owned())
            .unwrap_or_default();
        let bytes = response.bytes().await.expect("body").to_vec();
        Answer {
            status,
            location,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            content_type,
            bytes,
        }
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let response = self
            .http
            .get(self.url(path))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("get");
        self.read(response).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        let response = self
            .http
            .post(self.url(path))
            .header("cookie", self.cookie_header())
            .form(form)
            .send()
            .await
            .expect("post");
        self.read(response).await
    }

    /// A multipart form with one file, as a browser sends it.
    pub async fn post_file(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: &[u8],
        media_type: &str,
    ) -> Answer {
        self.post_multipart(path, fields, Some((file, media_type)))
            .await
    }

    /// A multipart form, with a chosen file or none (an empty file field, as browsers send).
    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&[u8], &str)>,
    ) -> Answer {
        let boundary = "----portal-test-boundary-7d2f";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        let (bytes, media_type, filename) = match file {
            Some((bytes, media_type)) => (bytes, media_type, "scan"),
            None => (&b""[..], "application/octet-stream", ""),
        };
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {media_type}\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let response = self
            .http
            .post(self.url(path))
            .header("cookie", self.cookie_header())
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .expect("post");
        self.read(response).await
    }

    /// Follows redirects from `answer` until a page answers.
    pub async fn follow(&mut self, mut answer: Answer) -> Answer {
        for _ in 0..10 {
            match (answer.status, answer.location.clone()) {
                (s, Some(to)) if s.is_redirection() => answer = self.get(&to).await,
                _ => return answer,
            }
        }
        panic!("too many redirects");
    }

    /// Signs in through the site's "Bejelentkezés" and the provider's login page, and
    /// lands on `start` (a page that needs a session: the portal's, or the office's under
    /// `/office`).
    pub async fn sign_in(&mut self, email: &str, password: &str, start: &str) -> Answer {
        let site = if start.starts_with("/office") {
            "/office"
        } else {
            ""
        };
        let first = self.get(start).await;
        assert_eq!(
            first.status,
            StatusCode::SEE_OTHER,
            "{start} without a session"
        );
        let login = first.location.clone().expect("to sign-in");
        assert!(
            login.starts_with(&format!("{site}/auth/login?return_to=")),
            "{login}"
        );
        let to_provider = self.get(&login).await;
        let authorize = to_provider.location.clone().expect("to the provider");
        assert!(
            authorize.starts_with(&format!("{}/oauth2/authorize?", self.base))
                && authorize.contains("code_challenge_method=S256")
                && authorize.contains("nonce=")
                && authorize.contains("state="),
            "{authorize}"
        );
        let page = self.get(&authorize).await;
        assert_eq!(page.status, StatusCode::OK, "login page");
        let answer = self
            .post(
                "/oauth2/login",
                &[
                    ("request_id", &field(&page.body, "request_id")),
                    ("csrf", &field(&page.body, "csrf")),
                    ("email", email),
                    ("password", password),
                ],
            )
            .await;
        let callback = answer.location.clone().expect("back to the portal");
        assert!(
            callback.starts_with(&format!("{}{site}/auth/callback?", self.base)),
            "{callback}: {}",
            answer.body
        );
        let back = self.get(&callback).await;
        assert_eq!(back.status, StatusCode::SEE_OTHER);
        assert_eq!(back.location.as_deref(), Some(start));
        self.follow(back).await
    }

    /// The portal's session cookie's value.
    pub fn session_secret(&self) -> String {
        self.cookie("vk_portal").expect("portal session cookie")
    }

    /// The value of the cookie `name` in the jar.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.jar
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }
}

/// The hidden fields of the first form posting to `action` on a page.
pub fn hidden_fields(page: &str, action: &str) -> Vec<(String, String)> {
    let start = page
        .find(&format!(r#"action="{action}""#))
        .unwrap_or_else(|| panic!("no form to {action}: {page}"));
    let form = &page[start
        ..page[start..]
            .find("</form>")
            .map_or(page.len(), |e| start + e)];
    form.split("<input")
        .skip(1)
        .filter(|i| i.contains(r#"type="hidden""#))
        .filter_map(|i| {
            let attr = |name: &str| {
                let marker = format!(r#"{name}=""#);
                let at = i.find(&marker)? + marker.len();
                Some(i[at..at + i[at..].find('"')?].replace("&#38;", "&"))
            };
            Some((attr("name")?, attr("value")?))
        })
        .collect()
}
