// Verge's silent challenge: find a decimal nonce such that SHA-256(seed ":" nonce) starts
// with `bits` zero bits, then post it. SHA-256 is written out because crypto.subtle exists
// only in secure contexts. The search is cut into slices so the page stays responsive.
var vergeK = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
]);

// The eight state words of SHA-256 over the first `n` of `bytes` (values 0..255).
function vergeSha256(bytes, n) {
  var blocks = ((n + 8) >> 6) + 1, w = new Int32Array(blocks * 16);
  for (var i = 0; i < n; i++) w[i >> 2] |= bytes[i] << (24 - (i & 3) * 8);
  w[n >> 2] |= 0x80 << (24 - (n & 3) * 8);
  w[blocks * 16 - 1] = n * 8;
  var h = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                          0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  var m = new Int32Array(64);
  for (var b = 0; b < blocks; b++) {
    var t;
    for (t = 0; t < 16; t++) m[t] = w[b * 16 + t];
    for (t = 16; t < 64; t++) {
      var x = m[t - 15], y = m[t - 2];
      var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      m[t] = (m[t - 16] + s0 + m[t - 7] + s1) | 0;
    }
    var a = h[0], c1 = h[1], c2 = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (t = 0; t < 64; t++) {
      var e1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      var t1 = (k + e1 + ((e & f) ^ (~e & g)) + vergeK[t] + m[t]) | 0;
      var a1 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      var t2 = (a1 + ((a & c1) ^ (a & c2) ^ (c1 & c2))) | 0;
      k = g; g = f; f = e; e = (d + t1) | 0; d = c2; c2 = c1; c1 = a; a = (t1 + t2) | 0;
    }
    h[0] = (h[0] + a) | 0; h[1] = (h[1] + c1) | 0; h[2] = (h[2] + c2) | 0;
    h[3] = (h[3] + d) | 0; h[4] = (h[4] + e) | 0; h[5] = (h[5] + f) | 0;
    h[6] = (h[6] + g) | 0; h[7] = (h[7] + k) | 0;
  }
  return h;
}

// Leading zero bits of a digest given as state words.
function vergeZeroBits(h) {
  for (var i = 0; i < 8; i++) {
    if (h[i] !== 0) return i * 32 + Math.clz32(h[i]);
  }
  return 256;
}

// The first nonce in [start, start + count) that solves the challenge, or -1.
function vergeSearch(seed, bits, start, count) {
  var at = seed.length + 1, bytes = new Uint8Array(at + 24);
  for (var i = 0; i < seed.length; i++) bytes[i] = seed.charCodeAt(i) & 255;
  bytes[seed.length] = 58;
  for (var n = start; n < start + count; n++) {
    var digits = String(n);
    for (var j = 0; j < digits.length; j++) bytes[at + j] = digits.charCodeAt(j);
    if (vergeZeroBits(vergeSha256(bytes, at + digits.length)) >= bits) return n;
  }
  return -1;
}

if (typeof document !== "undefined") {
  (function () {
    var form = document.getElementById("verge-challenge");
    if (!form) return;
    var seed = form.getAttribute("data-seed"), bits = +form.getAttribute("data-bits");
    var next = 0, slice = 20000;
    function step() {
      var found = vergeSearch(seed, bits, next, slice);
      if (found < 0) { next += slice; setTimeout(step, 0); return; }
      form.elements.solution.value = String(found);
      form.submit();
    }
    setTimeout(step, 0);
  })();
}
