//! `cargo run -p varoskapu-documents --example sample -- DATA_DIR OUT.pdf`: issues the
//! sample decision (what `varoskapu documents sample` does) and verifies it.

use std::path::PathBuf;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let data_dir = PathBuf::from(args.next().unwrap_or_else(|| "data".into()));
    let out = PathBuf::from(args.next().unwrap_or_else(|| "sample.pdf".into()));
    let document = varoskapu_documents::issue_sample(&data_dir, &out).await?;
    println!(
        "{}",
        varoskapu_documents::sample::describe(&document, &out, &data_dir)
    );
    let roots = varoskapu_documents::LocalKeys::root_pem_path(&data_dir);
    println!(
        "{}",
        varoskapu_documents::verify::verify_file(&out, &roots)?
    );
    Ok(())
}
