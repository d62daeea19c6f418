//! The `cloudfront` module: key-value store reads in every format, origin changes with
//! CloudFront's validation, the edge location, and the tenant on standard distributions.

mod support;

use serde_json::json;
use support::*;
use verge_functions::{Limits, OriginChange, Output};

const ROUTES: &str =
    r#"{"data":[{"key":"acme","value":"us"},{"key":"cfg","value":"{\"weight\":30}"}]}"#;

#[test]
fn kvs_reads_in_every_format() {
    let source = "import cf from 'cloudfront';
const kvs = cf.kvs();
async function handler(event) {
  const out = [];
  out.push(await kvs.get('acme'));
  out.push((await kvs.get('cfg', { format: 'json' })).weight);
  out.push((await kvs.get('acme', { format: 'bytes' })).toString('hex'));
  out.push(await kvs.exists('acme'), await kvs.exists('nobody'));
  try { await kvs.get('nobody'); } catch (e) { out.push('missing'); }
  const meta = await kvs.meta();
  out.push(meta.keyCount, typeof meta.creationDateTime);
  out.push(cf.kvs('routes') !== undefined);
  try { cf.kvs('other'); } catch (e) { out.push('unknown store'); }
  event.request.headers['x-out'] = { value: JSON.stringify(out) };
  return event.request;
}";
    let store = store("routes", ROUTES);
    let function = compile_with(source, Limits::default(), vec![store.clone()]);
    let read = |function: &verge_functions::Function| {
        let Ok(Output::Request(request)) = run(function, &viewer_request()).result else {
            panic!("kvs function failed")
        };
        serde_json::from_str::<serde_json::Value>(&request.headers.get("x-out").expect("set").value)
            .expect("JSON")
    };
    assert_eq!(
        read(&function),
        json!([
            "us",
            30,
            "7573",
            true,
            false,
            "missing",
            2,
            "string",
            true,
            "unknown store"
        ])
    );

    store
        .update(&[("acme".into(), "eu".into())], &[])
        .expect("update");
    assert_eq!(
        read(&function)[0],
        "eu",
        "an update is visible to the next invocation"
    );
}

#[test]
fn update_request_origin_is_recorded_and_validated() {
    let function = compile(
        "import cf from 'cloudfront';
function handler(event) {
  if (event.request.uri === '/bad') {
    try { cf.updateRequestOrigin({ connectionAttempts: 9 }); } catch (e) { event.request.headers['x-error'] = { value: e.message }; }
    return event.request;
  }
  cf.updateRequestOrigin({ domainName: '127.0.0.1', customOriginConfig: { port: 8443, protocol: 'http' }, originPath: '/eu' });
  return event.request;
}",
    );
    let invocation = run(&function, &viewer_request());
    let Some(OriginChange::Update(update)) = invocation.origin else {
        panic!("an origin update: {:?}", invocation.origin)
    };
    assert_eq!(update.domain_name.as_deref(), Some("127.0.0.1"));
    assert_eq!(update.port, Some(8443));
    assert_eq!(update.origin_path.as_deref(), Some("/eu"));

    let mut bad = viewer_request();
    bad.request.uri = "/bad".into();
    let invocation = run(&function, &bad);
    assert!(invocation.origin.is_none());
    let Ok(Output::Request(request)) = invocation.result else {
        panic!("caught")
    };
    assert!(
        request
            .headers
            .get("x-error")
            .expect("set")
            .value
            .contains("connectionAttempts")
    );
}

#[test]
fn select_and_group_name_the_distributions_origins() {
    let function = compile(
        "import cf from 'cloudfront';
function handler(event) {
  if (event.request.uri === '/group') {
    cf.createRequestOriginGroup({ originIds: ['us', 'eu'], failoverCriteria: { statusCodes: [503] } });
  } else if (event.request.uri === '/unknown') {
    cf.selectRequestOriginById('ap');
  } else {
    cf.selectRequestOriginById('eu');
  }
  return event.request;
}",
    );
    assert_eq!(
        run(&function, &viewer_request()).origin,
        Some(OriginChange::Select("eu".into()))
    );
    let mut group = viewer_request();
    group.request.uri = "/group".into();
    assert!(matches!(
        run(&function, &group).origin,
        Some(OriginChange::Group { .. })
    ));
    let mut unknown = viewer_request();
    unknown.request.uri = "/unknown".into();
    let invocation = run(&function, &unknown);
    assert_eq!(invocation.result.expect_err("unknown origin").status(), 503);
}

#[test]
fn edge_location_and_tenant() {
    let out = returned(
        "const cf = require('cloudfront');
         let tenant;
         try { tenant = cf.distributionTenant.id; } catch (e) { tenant = 'threw'; }
         return [cf.edgeLocation.name, cf.edgeLocation.region, tenant];",
    );
    assert_eq!(out, json!(["fra", "eu-central-1", "threw"]));
}
