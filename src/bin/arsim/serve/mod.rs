//! `arsim serve`: a local web server for the viewer page (`arsim::api::view`), a shell over the
//! front door like the rest of the command line. It serves the page (compiled into the binary),
//! the machines of `machines/` and the proofs of `proofs/` by name (nothing else of the file
//! system), and a JSON API whose requests `api` holds to the viewer's limits; every error is a
//! JSON object in the command line's words (`{"error", "exit_code", "lines"}`), and the server
//! keeps serving.
//!
//! It binds to loopback unless `--bind` says otherwise, and warns when it does.

mod routes;

use crate::Failure;
use anyhow::anyhow;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};

/// `arsim serve`: serves until interrupted (Ctrl-C).
pub fn cmd_serve(port: u16, bind: IpAddr, open: bool) -> Result<(), Failure> {
    if !bind.is_loopback() {
        eprintln!(
            "warning: --bind {bind} serves the viewer beyond this machine: anyone who can reach {bind}:{port} can use it (its requests are limited, and it reads only machines/ and proofs/)"
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow!("cannot start the server's runtime: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(bind, port))
            .await
            .map_err(|e| anyhow!("cannot listen on {bind}:{port}: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| anyhow!("cannot read the address listened on: {e}"))?;
        let url = format!("http://{addr}/");
        // The first line says where: a test that asked for port 0 reads it.
        println!("arsim serve: {url} (Ctrl-C stops it)");
        let _ = std::io::stdout().flush();
        if open {
            if let Err(e) = webbrowser::open(&url) {
                eprintln!("warning: --open: cannot start a browser ({e}); open {url} by hand");
            }
        }
        let app = routes::router(routes::Files::find());
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| anyhow!("the server stopped: {e}"))?;
        Ok::<(), anyhow::Error>(())
    })?;
    Ok(())
}
