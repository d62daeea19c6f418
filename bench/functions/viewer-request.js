// The viewer-request function bench/functions.sh attaches: a typical header rewrite (true
// client IP, a normalised Accept-Encoding, an index document for directory paths).
function handler(event) {
    var request = event.request;
    request.headers['true-client-ip'] = { value: event.viewer.ip };
    var encoding = request.headers['accept-encoding'];
    if (encoding && encoding.value.indexOf('br') !== -1) {
        request.headers['accept-encoding'] = { value: 'br' };
    }
    if (request.uri.endsWith('/')) {
        request.uri += 'index.html';
    }
    return request;
}
