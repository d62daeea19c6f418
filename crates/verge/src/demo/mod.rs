//! `verge demo`: an edge in front of a small built-in origin, configured to show the product
//! (caching, compression, security headers, CloudFront viewer headers, a custom error page),
//! with the URLs to open printed at start.

mod origin;

use verge_config::Config;
use verge_config::model::{CustomErrorResponse, GeoRestriction};
use verge_edge::{ConfigSource, Edge};

use crate::cli::DemoArgs;
use crate::serve::{ServeError, quick, run_until_signal};

/// Runs the demo until Ctrl-C.
pub async fn run(args: DemoArgs) -> Result<(), ServeError> {
    let origin = origin::start(([127, 0, 0, 1], 0).into())
        .await
        .map_err(|e| ServeError::Usage(format!("cannot start the demo origin: {e}")))?;
    let mut node = args.node;
    if node.access_log.is_none() {
        node.access_log = Some("stdout".to_owned());
    }
    let config = demo_config(quick(&format!("http://{origin}"), &node)?);
    let edge = Edge::start(ConfigSource::Fixed(Box::new(config)), Some(node.data_dir())).await?;

    let http = edge
        .http_address()
        .map(|a| format!("http://{a}/"))
        .unwrap_or_default();
    let https = edge
        .https_address()
        .map(|a| format!("https://localhost:{}/", a.port()));
    eprintln!("\nVerge demo is running.");
    eprintln!("  Edge over HTTP:    {http}");
    if let Some(https) = &https {
        eprintln!("  Edge over HTTPS:   {https}   (self-signed certificate; HTTP/2)");
    }
    eprintln!("  JSON API:          {http}api/time");
    eprintln!("  Login form:        {http}login");
    eprintln!("  Custom 404 page:   {http}no/such/page");
    eprintln!(
        "  Metrics:           http://{}/metrics",
        edge.admin_address()
    );
    eprintln!("  Cache contents:    http://{}/cache", edge.admin_address());
    eprintln!("  Origin, direct:    http://{origin}/");
    eprintln!("Try: curl -si {http} | head -20   (twice: the second is `x-cache: Hit from verge`)");
    eprintln!("Stop with Ctrl-C.\n");
    run_until_signal(edge).await
}

/// Quick mode plus what makes the demo worth looking at.
fn demo_config(mut config: Config) -> Config {
    if let Some(distribution) = config.distributions.first_mut() {
        distribution.id = "demo".to_owned();
        distribution.comment = Some("verge demo".to_owned());
        let behavior = &mut distribution.default_cache_behavior;
        behavior.compress = true;
        behavior.origin_request_policy = Some("AllViewerAndCloudFrontHeaders-2022-06".to_owned());
        behavior.response_headers_policy = Some("SecurityHeadersPolicy".to_owned());
        let mut api = behavior.clone();
        api.path_pattern = Some("/api/*".to_owned());
        api.response_headers_policy = Some("CORS-With-Preflight".to_owned());
        distribution.cache_behaviors.push(api);
        distribution
            .custom_error_responses
            .push(CustomErrorResponse {
                error_code: 404,
                response_page_path: Some("/errors/404.html".to_owned()),
                response_code: Some(404),
                error_caching_min_ttl: None,
            });
        distribution.geo_restriction = GeoRestriction::default();
    }
    config
}
