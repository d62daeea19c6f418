// Country redirect (viewer request). Viewers in a country with a localised site who ask for the
// home page are sent there with a 302, their query string kept (campaign tags survive the hop).
// Every other path, and viewers elsewhere, pass to the origin unchanged.
//
// The country comes from the edge's geolocation (cloudfront-viewer-country). On CloudFront the
// function sees that header only when the cache behavior's origin request policy includes it;
// Verge always supplies it. A viewer with a `locale` cookie has chosen a site already and is
// left alone.

const LOCALISED_HOME = {
  DE: '/de/',
  AT: '/de/',
  CH: '/de/',
  FR: '/fr/',
};

function handler(event) {
  const request = event.request;
  const country = request.headers['cloudfront-viewer-country'];
  const target = country && LOCALISED_HOME[country.value.toUpperCase()];

  if (request.uri !== '/' || !target || request.cookies.locale) {
    return request;
  }

  const query = queryString(request.querystring);
  return {
    statusCode: 302,
    statusDescription: 'Found',
    headers: {
      // A relative reference is a valid Location (RFC 9110 §10.2.2) and keeps the viewer on
      // the host and scheme it used.
      location: { value: query ? target + '?' + query : target },
      // The answer depends on where the viewer is: no shared cache may keep it.
      'cache-control': { value: 'private, no-store' },
    },
  };
}

// The event holds values as they appeared in the URL (still percent-encoded), so they are
// joined back as they are; a repeated name keeps every value in order.
function queryString(querystring) {
  const parts = [];
  for (const name of Object.keys(querystring)) {
    const field = querystring[name];
    const values = field.multiValue ? field.multiValue : [field];
    for (const item of values) {
      parts.push(item.value === '' ? name : name + '=' + item.value);
    }
  }
  return parts.join('&');
}
