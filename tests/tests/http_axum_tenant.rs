//! `examples/axum_tenant.rs`'s axum `Router` (the example compiled into this test), served
//! on ctxrt through hyper-util's auto connection builder exactly as the example serves it,
//! and driven by hyper's own client on a second ctxrt runtime through the shared suite in
//! `ctxrt_tests::http` (the one `http_tenant_server.rs` runs):
//! - HTTP/1.1: 1,000 requests on 50 concurrent keep-alive connections, each with its own
//!   tenant and request id: every response and every log line the handler, its spawned
//!   task and its blocking job wrote carry the ids that request was sent with;
//! - HTTP/2 (h2c prior knowledge): 1,000 requests multiplexed on 4 connections, the same;
//! - missing headers: the default tenant, a generated request id;
//! - a client that disconnects mid-request, a 10 MiB body, a malformed request line and a
//!   slowloris client (header timeout through `CtxrtTimer`) never take it down nor leak a
//!   context;
//! - shutdown: in-flight requests finish, `serve` returns, the port is closed.

use ctxrt_tests::http::TestServer;

#[allow(dead_code, unreachable_pub)]
#[path = "../../runtime/examples/axum_tenant.rs"]
mod axum_tenant;

fn start() -> TestServer {
    TestServer::start(|listener, sink, shutdown| {
        axum_tenant::LOG_SINK.set(sink);
        axum_tenant::serve(listener, shutdown)
    })
}

ctxrt_tests::http_server_suite!(start);
