// JWT check (viewer request). Lets a request through only with a valid HS256 token, from
// `Authorization: Bearer <token>` or, for browsers, a `token` cookie. The signing secret is
// read from the key-value store (`jwt_secret`), so rotating it needs no new function version.
// A valid token's subject reaches the origin as `x-user`; anything else gets a 401.
//
// Checked: the header names HS256, the HMAC-SHA256 signature, `exp` (required) and `nbf`.
// Not checked: `iss` and `aud`; add them below if several services share the secret.

import cf from 'cloudfront';
import crypto from 'crypto';

const kvs = cf.kvs();
const REALM = 'example';
// Clock difference tolerated between the token's issuer and the edge (RFC 7519 §4.1.4).
const LEEWAY_SECONDS = 30;
const TOKEN = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
// The subject goes into a header: printable ASCII only.
const SUBJECT = /^[\x20-\x7e]{1,256}$/;

async function handler(event) {
  const request = event.request;
  const token = findToken(request);
  if (!token) {
    return unauthorized(null);
  }

  // No secret in the store throws: the function fails (503) rather than letting anyone in.
  const secret = await kvs.get('jwt_secret');
  const checked = verify(token, secret, Date.now() / 1000);
  if (checked.error) {
    return unauthorized(checked.error);
  }

  // Replaces any x-user the viewer sent.
  request.headers['x-user'] = { value: checked.claims.sub };
  return request;
}

function findToken(request) {
  const authorization = request.headers.authorization;
  const bearer = authorization && /^Bearer +(\S+) *$/i.exec(authorization.value);
  if (bearer) {
    return bearer[1];
  }
  const cookie = request.cookies.token;
  return cookie && cookie.value ? cookie.value : null;
}

function verify(token, secret, now) {
  if (!TOKEN.test(token)) {
    return { error: 'malformed token' };
  }
  const [header, payload, signature] = token.split('.');

  // The algorithm is fixed here, never taken from the token: a token that names another one
  // (or "none") is refused (RFC 8725 §3.1).
  const head = decodeJson(header);
  if (!head || head.alg !== 'HS256') {
    return { error: 'unsupported algorithm' };
  }
  const expected = crypto
    .createHmac('sha256', secret)
    .update(header + '.' + payload)
    .digest('base64url');
  if (!sameText(expected, signature)) {
    return { error: 'bad signature' };
  }

  const claims = decodeJson(payload);
  if (!claims) {
    return { error: 'malformed claims' };
  }
  if (typeof claims.exp !== 'number') {
    return { error: 'token has no expiry' };
  }
  if (now >= claims.exp + LEEWAY_SECONDS) {
    return { error: 'token expired' };
  }
  if (typeof claims.nbf === 'number' && now + LEEWAY_SECONDS < claims.nbf) {
    return { error: 'token not yet valid' };
  }
  if (typeof claims.sub !== 'string' || !SUBJECT.test(claims.sub)) {
    return { error: 'token has no usable subject' };
  }
  return { claims };
}

function decodeJson(part) {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' ? value : null;
  } catch (e) {
    return null;
  }
}

// Looks at every character whatever the first difference, so the time taken does not tell a
// forger how much of a guessed signature was right.
function sameText(a, b) {
  let difference = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) {
    difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  }
  return difference === 0;
}

function unauthorized(error) {
  // RFC 6750 §3.1: a request that carried no token gets the challenge without an error code.
  let challenge = 'Bearer realm="' + REALM + '"';
  if (error) {
    challenge += ', error="invalid_token", error_description="' + error + '"';
  }
  return {
    statusCode: 401,
    statusDescription: 'Unauthorized',
    headers: {
      'www-authenticate': { value: challenge },
      'cache-control': { value: 'no-store' },
      'content-type': { value: 'text/plain; charset=utf-8' },
    },
    body: { encoding: 'text', data: 'Unauthorized\n' },
  };
}
