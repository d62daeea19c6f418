//! One invocation, event serialisation and result checks included, on a warm context: a
//! header-rewrite function and a region-steering function that reads a key-value store and
//! calls `updateRequestOrigin`. Also the cold cost: compiling a function into a new context.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use verge_functions::kvs::KvsLimits;
use verge_functions::runtime::EdgeLocation;
use verge_functions::{Environment, Event, EventType, Function, KeyValueStore, Limits};

const REWRITE: &str = "function handler(event) {
  var request = event.request;
  request.headers['x-forwarded-host'] = { value: request.headers.host.value };
  if (request.uri.endsWith('/')) request.uri += 'index.html';
  delete request.headers['x-debug'];
  return request;
}";

const STEER: &str = "import cf from 'cloudfront';
const kvs = cf.kvs();
async function handler(event) {
  const tenant = event.request.headers['x-tenant'] ? event.request.headers['x-tenant'].value : 'unknown';
  let region = 'us';
  try { region = await kvs.get(tenant); } catch (e) {}
  cf.updateRequestOrigin({ domainName: region + '.origin.example.com', originPath: '/' + region });
  return event.request;
}";

fn event() -> Event {
    serde_json::from_value(serde_json::json!({
        "context": {"distributionId": "E1", "eventType": "viewer-request", "requestId": "r"},
        "viewer": {"ip": "198.51.100.7"},
        "request": {
            "method": "GET", "uri": "/app/",
            "querystring": {"q": {"value": "1"}},
            "headers": {
                "host": {"value": "www.example.com"},
                "user-agent": {"value": "Mozilla/5.0 (X11; Linux x86_64)"},
                "accept": {"value": "text/html,application/xhtml+xml"},
                "accept-encoding": {"value": "gzip, br"},
                "x-tenant": {"value": "tenant-0042"}
            },
            "cookies": {"session": {"value": "abc"}}
        }
    }))
    .expect("valid event")
}

fn env() -> Environment {
    Environment {
        now: UNIX_EPOCH + Duration::from_secs(1_716_163_200),
        edge_location: EdgeLocation::default(),
        origin_ids: Arc::from(vec!["us".to_owned()]),
        tenant: None,
    }
}

fn bench(c: &mut Criterion) {
    let entries: Vec<String> = (0..1000)
        .map(|i| {
            format!(
                r#"{{"key":"tenant-{i:04}","value":"{}"}}"#,
                if i % 2 == 0 { "eu" } else { "us" }
            )
        })
        .collect();
    let import = format!(r#"{{"data":[{}]}}"#, entries.join(","));
    let store = Arc::new(
        KeyValueStore::from_import("routes", &import, "bench", KvsLimits::default())
            .expect("valid"),
    );
    let rewrite =
        Function::compile("rewrite.js", REWRITE, Limits::default(), Vec::new()).expect("compiles");
    let steer = Function::compile("steer.js", STEER, Limits::default(), vec![store.clone()])
        .expect("compiles");
    let (event, env) = (event(), env());

    c.bench_function("invoke/header_rewrite", |b| {
        b.iter(|| {
            let invocation = rewrite.invoke(&event, EventType::ViewerRequest, &env);
            assert!(invocation.result.is_ok());
        })
    });
    c.bench_function("invoke/region_steering", |b| {
        b.iter(|| {
            let invocation = steer.invoke(&event, EventType::ViewerRequest, &env);
            assert!(invocation.origin.is_some());
        })
    });
    c.bench_function("compile/header_rewrite_cold", |b| {
        b.iter(|| {
            Function::compile("rewrite.js", REWRITE, Limits::default(), Vec::new())
                .expect("compiles")
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
