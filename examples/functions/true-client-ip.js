// True-Client-IP (viewer request). Tells the origin which address the viewer connected from,
// in one header it can trust: any true-client-ip the viewer sent is replaced, never passed on.
// The edge takes the address from the connection (event.viewer.ip), so a forged
// x-forwarded-for cannot change it.

function handler(event) {
  const request = event.request;
  request.headers['true-client-ip'] = { value: event.viewer.ip };
  return request;
}
