//! The quality-monitor Actor binary, as the Docker image runs it.

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    std::process::exit(quality_monitor::main_exit_code().await);
}
