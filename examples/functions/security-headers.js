// Security headers (viewer response). Adds the headers browsers use to harden a site, and
// removes the ones that only tell an attacker what software the origin runs. A header the
// origin already sent wins: a page that needs its own Content-Security-Policy (say, to allow
// an embedded payment form) sets it at the origin.

const ADDED = {
  // Two years, subdomains included. Browsers ignore it on plain HTTP (RFC 6797 §8.1).
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'content-security-policy': [
    "default-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    'upgrade-insecure-requests',
  ].join('; '),
};

const REMOVED = ['server', 'x-powered-by'];

function handler(event) {
  const response = event.response;
  const headers = response.headers;

  for (const name of Object.keys(ADDED)) {
    if (!headers[name]) {
      headers[name] = { value: ADDED[name] };
    }
  }
  for (const name of REMOVED) {
    delete headers[name];
  }
  return response;
}
