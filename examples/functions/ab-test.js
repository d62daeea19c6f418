// A/B test with a sticky bucket (viewer request). The experiment lives in the key-value store
// under `ab_homepage`, e.g. {"b_percent": 30, "b_path": "/v2"}: 30% of viewers are served
// from /v2 (/pricing becomes /v2/pricing), the rest get the page as it is. Changing the value
// changes the split for new viewers; deleting the key ends the experiment.
//
// Why the bucket is derived rather than drawn with Math.random: a viewer-request function can
// only set a cookie on the response by generating the whole response, so the `ab` cookie is
// added to the request (the origin sees it, and can return it in Set-Cookie) and reaches the
// browser only that way. A hash of the viewer's address and user agent puts the same viewer
// in the same bucket on every request until the cookie comes back. Each bucket has its own URI,
// so a cached response's Set-Cookie always names the bucket it was cached for.
//
// Attach it to the cache behavior of the pages under test, and forward the `ab` cookie to the
// origin in its origin request policy; the cache key does not need it.

import cf from 'cloudfront';
import crypto from 'crypto';

const kvs = cf.kvs();
const EXPERIMENT = 'ab_homepage';
const COOKIE = 'ab';
// A path prefix without a trailing slash: /v2, /experiments/checkout-b.
const PATH_PREFIX = /^\/[A-Za-z0-9._~\/-]*[A-Za-z0-9._~-]$/;

async function handler(event) {
  const request = event.request;

  // A missing or unreadable experiment sends everyone to A: a typo in the store must not take
  // the pages down.
  let experiment;
  try {
    experiment = await kvs.get(EXPERIMENT, { format: 'json' });
  } catch (e) {
    console.log('no experiment ' + EXPERIMENT + ': ' + e.message);
    return request;
  }
  const percent = Number(experiment && experiment.b_percent);
  const prefix = String(experiment && experiment.b_path);
  if (!(percent >= 0 && percent <= 100) || !PATH_PREFIX.test(prefix)) {
    console.log('experiment ' + EXPERIMENT + ' needs b_percent 0-100 and a b_path like /v2');
    return request;
  }

  const cookie = request.cookies[COOKIE];
  let bucket = cookie && (cookie.value === 'a' || cookie.value === 'b') ? cookie.value : null;
  if (!bucket) {
    bucket = assign(event.viewer.ip, request.headers['user-agent'], percent);
    request.cookies[COOKIE] = { value: bucket };
  }

  if (bucket === 'b') {
    request.uri = prefix + request.uri;
  }
  return request;
}

// A number from 0 to 99 that stays the same for a viewer; below `percent` means bucket B.
function assign(ip, userAgent, percent) {
  const seed = ip + '\n' + (userAgent ? userAgent.value : '');
  const hex = crypto.createHash('sha256').update(seed).digest('hex');
  const slot = parseInt(hex.slice(0, 8), 16) % 100;
  return slot < percent ? 'b' : 'a';
}
