//! The floor of the cold-start benchmark: the smallest `lambda_http` function, measured in
//! the same run as the real ones (`tests/bench/cold_start.py`).

use lambda_http::{Body, Error, Request, Response, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::run(service_fn(|_: Request| async {
        Response::builder()
            .status(200)
            .header("content-type", "text/plain")
            .body(Body::from("hello"))
            .map_err(Error::from)
    }))
    .await
}
