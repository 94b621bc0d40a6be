//! `spin-test-host`: serve a Spin app's built components for tests.
//!
//! Usage: spin-test-host [--manifest spin.toml] [--listen 127.0.0.1:3000]
//!                       [--store memory|sqlite:PATH] [--variable name=value]...

use anyhow::{bail, Context, Result};
use spin_test_host::{serve, Host, HostConfig, StoreMode};

#[tokio::main]
async fn main() -> Result<()> {
    let mut config = HostConfig::new("spin.toml");
    config.listen = ([127, 0, 0, 1], 3000).into();
    config.store = StoreMode::Sqlite(".spin/sqlite_key_value.db".into());
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--manifest" => config.manifest = value()?.into(),
            "--listen" => config.listen = value()?.parse().context("--listen takes host:port")?,
            "--store" => {
                config.store = match value()?.as_str() {
                    "memory" => StoreMode::Memory,
                    other => match other.strip_prefix("sqlite:") {
                        Some(path) => StoreMode::Sqlite(path.into()),
                        None => bail!("--store takes memory or sqlite:PATH"),
                    },
                }
            }
            "--variable" => {
                let v = value()?;
                let (name, val) = v.split_once('=').context("--variable takes name=value")?;
                config.variables.insert(name.to_string(), val.to_string());
            }
            "--help" | "-h" => {
                println!("spin-test-host [--manifest spin.toml] [--listen 127.0.0.1:3000] [--store memory|sqlite:PATH] [--variable name=value]...");
                return Ok(());
            }
            other => bail!("unknown argument {other:?} (see --help)"),
        }
    }
    let host = Host::new(&config)?;
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    println!("Serving http://{}", listener.local_addr()?);
    serve(host, listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
