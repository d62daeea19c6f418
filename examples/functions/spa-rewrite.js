// Single-page app routing (viewer request). The app's router owns every path that is not a
// file, so a request for /settings/profile must get the app shell (/index.html) rather than a
// 404 from the origin. A path whose last segment has a dot (/assets/app.3f9c1e.js, /robots.txt)
// is a file and passes unchanged.
//
// Attach it to the cache behavior that serves the app; an API under the same distribution
// belongs to its own cache behavior, where this function does not run.

function handler(event) {
  const request = event.request;
  const lastSegment = request.uri.slice(request.uri.lastIndexOf('/') + 1);

  if (!lastSegment.includes('.')) {
    request.uri = '/index.html';
  }
  return request;
}
