/* SHA-256 of our own, for the report form's proof of work (public/challenge.py).
 *
 * crypto.subtle exists only on secure pages (https or localhost), and WeChat's browser on a
 * plain-http test server has none; the work is many tiny hashes anyway, which a plain loop does
 * faster than thousands of promises. Loaded as a page script it defines `zxSha256`; started as
 * a Web Worker it also answers {token, bits} with {counter} (and {tried} as it goes), so the
 * page stays responsive while it searches.
 */
(function (root) {
  "use strict";

  var K = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ];
  var W = new Int32Array(64);

  function utf8(text) {
    var raw = unescape(encodeURIComponent(text));
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes;
  }

  function compress(H, M, off) {
    var i, x, y;
    for (i = 0; i < 16; i++) {
      var j = off + i * 4;
      W[i] = (M[j] << 24) | (M[j + 1] << 16) | (M[j + 2] << 8) | M[j + 3];
    }
    for (i = 16; i < 64; i++) {
      x = W[i - 15];
      y = W[i - 2];
      W[i] =
        (W[i - 16] +
          (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) +
          W[i - 7] +
          (((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10))) |
        0;
    }
    var a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
    for (i = 0; i < 64; i++) {
      var t1 =
        (h +
          (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) +
          ((e & f) ^ (~e & g)) +
          K[i] +
          W[i]) |
        0;
      var t2 =
        ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) +
          ((a & b) ^ (a & c) ^ (b & c))) |
        0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    H[0] = (H[0] + a) | 0; H[1] = (H[1] + b) | 0; H[2] = (H[2] + c) | 0; H[3] = (H[3] + d) | 0;
    H[4] = (H[4] + e) | 0; H[5] = (H[5] + f) | 0; H[6] = (H[6] + g) | 0; H[7] = (H[7] + h) | 0;
  }

  /* The eight state words of SHA-256(bytes). */
  function digestBytes(bytes) {
    var length = bytes.length;
    var blocks = Math.ceil((length + 9) / 64);
    var M = new Uint8Array(blocks * 64);
    M.set(bytes);
    M[length] = 0x80;
    var bits = length * 8;
    var end = blocks * 64;
    var high = Math.floor(bits / 0x100000000);
    M[end - 8] = high >>> 24; M[end - 7] = high >>> 16; M[end - 6] = high >>> 8; M[end - 5] = high;
    M[end - 4] = bits >>> 24; M[end - 3] = bits >>> 16; M[end - 2] = bits >>> 8; M[end - 1] = bits;
    var H = new Int32Array([
      0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
    ]);
    for (var off = 0; off < end; off += 64) {
      compress(H, M, off);
    }
    return H;
  }

  function hex(text) {
    var H = digestBytes(utf8(text));
    var out = "";
    for (var i = 0; i < 8; i++) {
      out += ("00000000" + (H[i] >>> 0).toString(16)).slice(-8);
    }
    return out;
  }

  function zeroBits(H) {
    var n = 0;
    for (var i = 0; i < 8; i++) {
      if (H[i] === 0) {
        n += 32;
      } else {
        return n + Math.clz32(H[i]);
      }
    }
    return n;
  }

  /* The first counter in [start, start + count) that solves the challenge, or -1. */
  function solve(token, bits, start, count) {
    var prefix = utf8(token + ":");
    var buffer = new Uint8Array(prefix.length + 20);
    buffer.set(prefix);
    for (var n = start; n < start + count; n++) {
      var digits = String(n);
      for (var i = 0; i < digits.length; i++) {
        buffer[prefix.length + i] = digits.charCodeAt(i);
      }
      if (zeroBits(digestBytes(buffer.subarray(0, prefix.length + digits.length))) >= bits) {
        return n;
      }
    }
    return -1;
  }

  root.zxSha256 = { hex: hex, zeroBits: zeroBits, digest: digestBytes, utf8: utf8, solve: solve };

  // Started as a worker: search in steps, telling the page how far it got.
  if (typeof document === "undefined" && typeof root.importScripts === "function") {
    root.onmessage = function (event) {
      var token = event.data.token;
      var bits = event.data.bits;
      var step = 5000;
      for (var start = 0; start < 9007199254740991; start += step) {
        var found = solve(token, bits, start, step);
        if (found >= 0) {
          root.postMessage({ counter: String(found) });
          return;
        }
        root.postMessage({ tried: start + step });
      }
    };
  }
})(typeof self !== "undefined" ? self : this);
