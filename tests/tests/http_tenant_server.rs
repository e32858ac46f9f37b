//! `examples/tenant_server.rs` (compiled into this test) served over loopback and driven by
//! hyper's own client running on a second ctxrt runtime, through the shared suite in
//! `ctxrt_tests::http`:
//! - HTTP/1.1: 1,000 requests on 50 concurrent keep-alive connections, each request with
//!   its own tenant and request id: every response and every log line the handler, its
//!   spawned task and its blocking job wrote carry the ids that request was sent with;
//! - HTTP/2 (h2c prior knowledge): 1,000 requests multiplexed on 4 connections, the same;
//! - a request without `x-tenant` sees the default, never a previous request's tenant; a
//!   request without `x-request-id` gets a generated one, echoed in the header and body;
//! - the server survives a client that disconnects mid-request, a 10 MiB body, a malformed
//!   request line and a slowloris client (cut off by the header timeout through
//!   `CtxrtTimer`), and answers correctly afterwards;
//! - shutdown: after the shutdown future resolves, in-flight requests finish and `serve`
//!   returns.

use ctxrt_tests::http::TestServer;

#[allow(dead_code, unreachable_pub)]
#[path = "../../runtime/examples/tenant_server.rs"]
mod tenant_server;

fn start() -> TestServer {
    TestServer::start(|listener, sink, shutdown| {
        tenant_server::LOG_SINK.set(sink);
        tenant_server::serve(listener, shutdown)
    })
}

ctxrt_tests::http_server_suite!(start);
