// Region steering (viewer request). Each tenant's data lives in one home region, so its
// requests go to that region's origin. The tenant is the first label of the host
// (acme.app.example.com is `acme`) or, on a shared host such as api.example.com, the
// `x-tenant` header. The key-value store maps each tenant to its home, e.g.
// {"region":"eu","origin":"eu.origin.example.com"}, with an optional "path" (originPath).
// Unknown tenants get a 404 from the edge without reaching any origin.
//
// The header only routes: the origin still decides whether the viewer may see the tenant.

import cf from 'cloudfront';

const kvs = cf.kvs();
const TENANT_ZONE = '.app.example.com';
// One DNS label, so a tenant name is also a safe store key and header value.
const TENANT = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

async function handler(event) {
  const request = event.request;
  const tenant = tenantOf(request);
  if (!tenant) {
    return notFound();
  }

  let stored;
  try {
    stored = await kvs.get(tenant);
  } catch (e) {
    return notFound();
  }
  // A broken entry fails the function (503) so it gets fixed, rather than a 404 that looks
  // like the tenant is gone.
  const home = JSON.parse(stored);
  if (!home || typeof home.origin !== 'string' || typeof home.region !== 'string') {
    throw new Error('store entry ' + tenant + ' needs "origin" and "region"');
  }

  const origin = {
    domainName: home.origin,
    customHeaders: { 'x-home-region': home.region },
  };
  if (home.path) {
    origin.originPath = home.path;
  }
  cf.updateRequestOrigin(origin);

  // The origin sees the tenant the edge resolved, however the viewer named it.
  request.headers['x-tenant'] = { value: tenant };
  return request;
}

function tenantOf(request) {
  const host = request.headers.host ? request.headers.host.value.toLowerCase() : '';
  const name = host.replace(/:\d+$/, '');
  if (name.endsWith(TENANT_ZONE)) {
    const label = name.slice(0, -TENANT_ZONE.length);
    return TENANT.test(label) ? label : null;
  }
  const header = request.headers['x-tenant'];
  const named = header ? header.value.toLowerCase() : '';
  return TENANT.test(named) ? named : null;
}

function notFound() {
  return {
    statusCode: 404,
    statusDescription: 'Not Found',
    headers: {
      // A tenant added to the store is served on the next request, not after a cache expiry.
      'cache-control': { value: 'no-store' },
      'content-type': { value: 'text/plain; charset=utf-8' },
    },
    body: { encoding: 'text', data: 'Unknown tenant\n' },
  };
}
