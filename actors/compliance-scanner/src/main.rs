//! The compliance-scanner Actor binary, as the Docker image runs it.

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    std::process::exit(compliance_scanner::main_exit_code().await);
}
