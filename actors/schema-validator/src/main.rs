//! The schema-validator Actor binary, as the Docker image runs it.

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    std::process::exit(schema_validator::main_exit_code().await);
}
