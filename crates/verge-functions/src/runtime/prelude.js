// Verge's CloudFront Functions runtime 2.0 library, evaluated once in every warm context
// before the function. `native` holds the few operations written in Rust (hashing, UTF-8,
// key-value stores, origin changes); everything else is plain JavaScript here.
'use strict';
(function (native) {
  const g = globalThis;
  const define = (object, name, value) =>
    Object.defineProperty(object, name, { value, writable: false, enumerable: false, configurable: false });

  // Date is frozen at the start of each invocation.
  const RealDate = Date;
  let now = 0;
  function FrozenDate(...args) {
    if (new.target === undefined) return new RealDate(now).toString();
    return args.length === 0 ? new RealDate(now) : new RealDate(...args);
  }
  FrozenDate.prototype = RealDate.prototype;
  Object.defineProperty(RealDate.prototype, 'constructor', { value: FrozenDate, writable: true, configurable: true });
  FrozenDate.now = () => now;
  FrozenDate.parse = RealDate.parse;
  FrozenDate.UTC = RealDate.UTC;
  g.Date = FrozenDate;

  // console.log and friends collect the function's logs.
  const show = (value) => {
    if (typeof value === 'string') return value;
    if (value instanceof Error) return String(value);
    try {
      const json = JSON.stringify(value);
      return json === undefined ? String(value) : json;
    } catch (e) {
      return String(value);
    }
  };
  const log = (...args) => native.log(args.map(show).join(' '));
  g.console = Object.freeze({ log, info: log, warn: log, error: log, debug: log });

  // Binary strings (one char per byte) carry bytes across to Rust.
  const toBinary = (bytes) => {
    let out = '';
    for (let i = 0; i < bytes.length; i += 4096) {
      out += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096));
    }
    return out;
  };
  const fromBinary = (binary) => {
    const bytes = new Buffer(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i) & 0xff;
    return bytes;
  };
  const normalize = (encoding) => {
    const name = String(encoding === undefined ? 'utf8' : encoding).toLowerCase();
    switch (name) {
      case 'utf8': case 'utf-8': return 'utf8';
      case 'hex': return 'hex';
      case 'base64': return 'base64';
      case 'base64url': return 'base64url';
      case 'latin1': case 'binary': return 'latin1';
      case 'ascii': return 'ascii';
      default: throw new TypeError('Unknown encoding: ' + encoding);
    }
  };
  const decodeBase64 = (text) => {
    let clean = String(text).replace(/-/g, '+').replace(/_/g, '/').replace(/[^A-Za-z0-9+/]/g, '');
    if (clean.length % 4 === 1) clean = clean.slice(0, -1);
    while (clean.length % 4 !== 0) clean += '=';
    return atob(clean);
  };
  const encodeString = (text, encoding) => {
    text = String(text);
    switch (normalize(encoding)) {
      case 'utf8': return fromBinary(native.utf8Encode(text));
      case 'hex': {
        const length = text.length >>> 1;
        const bytes = new Buffer(length);
        let i = 0;
        for (; i < length; i++) {
          const byte = parseInt(text.substr(i * 2, 2), 16);
          if (Number.isNaN(byte)) break;
          bytes[i] = byte;
        }
        return i === length ? bytes : bytes.subarray(0, i);
      }
      case 'base64': case 'base64url': return fromBinary(decodeBase64(text));
      case 'latin1': return fromBinary(text);
      case 'ascii': return fromBinary(text);
    }
  };
  const decodeBytes = (bytes, encoding) => {
    switch (normalize(encoding)) {
      case 'utf8': return native.utf8Decode(toBinary(bytes));
      case 'hex': {
        let out = '';
        for (let i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
        return out;
      }
      case 'base64': return btoa(toBinary(bytes));
      case 'base64url': return btoa(toBinary(bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
      case 'latin1': return toBinary(bytes);
      case 'ascii': {
        let out = '';
        for (let i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i] & 0x7f);
        return out;
      }
    }
  };

  class Buffer extends Uint8Array {
    static from(value, encodingOrOffset, length) {
      if (typeof value === 'string') return encodeString(value, encodingOrOffset);
      if (value instanceof ArrayBuffer) {
        const offset = encodingOrOffset === undefined ? 0 : encodingOrOffset >>> 0;
        const size = length === undefined ? value.byteLength - offset : length >>> 0;
        return new Buffer(value, offset, size);
      }
      if (ArrayBuffer.isView(value)) {
        const bytes = new Buffer(value.byteLength);
        bytes.set(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
        return bytes;
      }
      if (value && value.type === 'Buffer' && Array.isArray(value.data)) return Buffer.from(value.data);
      if (Array.isArray(value) || (value && typeof value.length === 'number')) {
        const bytes = new Buffer(value.length);
        for (let i = 0; i < value.length; i++) bytes[i] = value[i] & 0xff;
        return bytes;
      }
      throw new TypeError('The first argument must be a string, Buffer, ArrayBuffer, Array or array-like object');
    }
    static alloc(size, fill, encoding) {
      const bytes = new Buffer(size >>> 0);
      if (fill !== undefined) bytes.fill(fill, 0, bytes.length, encoding);
      return bytes;
    }
    static allocUnsafe(size) { return new Buffer(size >>> 0); }
    static byteLength(value, encoding) {
      if (typeof value !== 'string') return value.byteLength;
      return encodeString(value, encoding).length;
    }
    static concat(list, totalLength) {
      const total = totalLength === undefined ? list.reduce((n, b) => n + b.length, 0) : totalLength >>> 0;
      const out = Buffer.alloc(total);
      let offset = 0;
      for (const part of list) {
        if (offset >= total) break;
        const slice = part.length > total - offset ? part.subarray(0, total - offset) : part;
        out.set(slice, offset);
        offset += slice.length;
      }
      return out;
    }
    static isBuffer(value) { return value instanceof Buffer; }
    static isEncoding(encoding) {
      try { normalize(encoding); return true; } catch (e) { return false; }
    }
    static compare(a, b) { return a.compare(b); }
    toString(encoding, start, end) {
      start = start === undefined ? 0 : Math.max(0, start | 0);
      end = end === undefined ? this.length : Math.min(this.length, end | 0);
      return decodeBytes(this.subarray(start, Math.max(start, end)), encoding);
    }
    toJSON() { return { type: 'Buffer', data: Array.from(this) }; }
    equals(other) { return this.compare(other) === 0; }
    compare(other) {
      const n = Math.min(this.length, other.length);
      for (let i = 0; i < n; i++) if (this[i] !== other[i]) return this[i] < other[i] ? -1 : 1;
      return this.length === other.length ? 0 : (this.length < other.length ? -1 : 1);
    }
    fill(value, start, end, encoding) {
      if (typeof value === 'string') {
        const bytes = encodeString(value, encoding);
        start = start === undefined ? 0 : start;
        end = end === undefined ? this.length : end;
        for (let i = start, j = 0; i < end && bytes.length > 0; i++, j = (j + 1) % bytes.length) this[i] = bytes[j];
        return this;
      }
      return super.fill(value, start, end);
    }
    slice(start, end) { return this.subarray(start, end); }
    copy(target, targetStart, sourceStart, sourceEnd) {
      const part = this.subarray(sourceStart || 0, sourceEnd === undefined ? this.length : sourceEnd);
      const room = target.length - (targetStart || 0);
      const slice = part.length > room ? part.subarray(0, room) : part;
      target.set(slice, targetStart || 0);
      return slice.length;
    }
    write(text, offset, encoding) {
      if (typeof offset === 'string') { encoding = offset; offset = 0; }
      const bytes = encodeString(text, encoding);
      const room = this.length - (offset || 0);
      const slice = bytes.length > room ? bytes.subarray(0, room) : bytes;
      this.set(slice, offset || 0);
      return slice.length;
    }
    readUInt8(offset) { return this[offset || 0]; }
    includes(value, byteOffset, encoding) { return this.indexOf(value, byteOffset, encoding) !== -1; }
    indexOf(value, byteOffset, encoding) {
      if (typeof value === 'number') return super.indexOf(value, byteOffset);
      const needle = typeof value === 'string' ? encodeString(value, encoding) : value;
      outer: for (let i = byteOffset || 0; i + needle.length <= this.length; i++) {
        for (let j = 0; j < needle.length; j++) if (this[i + j] !== needle[j]) continue outer;
        return i;
      }
      return -1;
    }
  }
  g.Buffer = Buffer;

  class TextEncoder {
    get encoding() { return 'utf-8'; }
    encode(text) { return new Uint8Array(encodeString(text === undefined ? '' : text, 'utf8')); }
  }
  class TextDecoder {
    constructor(label) {
      const name = String(label === undefined ? 'utf-8' : label).toLowerCase();
      if (name !== 'utf-8' && name !== 'utf8') throw new RangeError('The "' + label + '" encoding is not supported');
    }
    get encoding() { return 'utf-8'; }
    decode(input) {
      if (input === undefined) return '';
      const bytes = input instanceof ArrayBuffer
        ? new Uint8Array(input)
        : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
      return native.utf8Decode(toBinary(bytes));
    }
  }
  g.TextEncoder = TextEncoder;
  g.TextDecoder = TextDecoder;

  // crypto: createHash and createHmac over md5, sha1 and sha256.
  const bytesOf = (data, encoding) => {
    if (typeof data === 'string') return toBinary(encodeString(data, encoding));
    if (ArrayBuffer.isView(data)) return toBinary(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    if (data instanceof ArrayBuffer) return toBinary(new Uint8Array(data));
    throw new TypeError('The data argument must be a string, Buffer, TypedArray or DataView');
  };
  class Hash {
    constructor(algorithm, key) {
      const name = String(algorithm).toLowerCase();
      if (name !== 'md5' && name !== 'sha1' && name !== 'sha256') throw new Error('Digest method not supported');
      this.algorithm = name;
      this.key = key === undefined ? null : bytesOf(key);
      this.parts = [];
      this.done = false;
    }
    update(data, encoding) {
      if (this.done) throw new Error('Digest already called');
      this.parts.push(bytesOf(data, encoding));
      return this;
    }
    digest(encoding) {
      if (this.done) throw new Error('Digest already called');
      this.done = true;
      const out = fromBinary(native.digest(this.algorithm, this.key, this.parts.join('')));
      return encoding === undefined ? out : out.toString(encoding);
    }
  }
  const crypto = Object.freeze({
    createHash: (algorithm) => new Hash(algorithm),
    createHmac: (algorithm, key) => {
      if (key === undefined || key === null) throw new TypeError('The key argument is required');
      return new Hash(algorithm, key);
    },
  });

  // querystring, with Node's semantics.
  const unescape = (text) => {
    try {
      return decodeURIComponent(text);
    } catch (e) {
      return text.replace(/%([0-9a-fA-F]{2})/g, (m, hex) => String.fromCharCode(parseInt(hex, 16)));
    }
  };
  const escape = (text) => encodeURIComponent(text);
  const parse = (text, sep, eq, options) => {
    const out = Object.create(null);
    if (typeof text !== 'string' || text.length === 0) return out;
    sep = sep || '&';
    eq = eq || '=';
    const maxKeys = options && typeof options.maxKeys === 'number' ? options.maxKeys : 1000;
    const decode = options && typeof options.decodeURIComponent === 'function' ? options.decodeURIComponent : unescape;
    let pairs = text.split(sep);
    if (maxKeys > 0 && pairs.length > maxKeys) pairs = pairs.slice(0, maxKeys);
    for (const pair of pairs) {
      if (pair.length === 0) continue;
      const at = pair.indexOf(eq);
      const rawKey = at >= 0 ? pair.slice(0, at) : pair;
      const rawValue = at >= 0 ? pair.slice(at + eq.length) : '';
      const key = decode(rawKey.replace(/\+/g, ' '));
      const value = decode(rawValue.replace(/\+/g, ' '));
      if (!(key in out)) out[key] = value;
      else if (Array.isArray(out[key])) out[key].push(value);
      else out[key] = [out[key], value];
    }
    return out;
  };
  const primitive = (value) => {
    switch (typeof value) {
      case 'string': return value;
      case 'number': return isFinite(value) ? String(value) : '';
      case 'boolean': case 'bigint': return String(value);
      default: return '';
    }
  };
  const stringify = (object, sep, eq, options) => {
    sep = sep || '&';
    eq = eq || '=';
    const encode = options && typeof options.encodeURIComponent === 'function' ? options.encodeURIComponent : escape;
    if (object === null || typeof object !== 'object') return '';
    const out = [];
    for (const key of Object.keys(object)) {
      const value = object[key];
      const name = encode(primitive(key));
      if (Array.isArray(value)) {
        for (const item of value) out.push(name + eq + encode(primitive(item)));
      } else {
        out.push(name + eq + encode(primitive(value)));
      }
    }
    return out.join(sep);
  };
  const querystring = Object.freeze({ parse, stringify, escape, unescape, decode: parse, encode: stringify });

  // The cloudfront module.
  const store = (index) => Object.freeze({
    get(key, options) {
      return new Promise((resolve, reject) => {
        const format = (options && options.format) || 'string';
        const value = native.kvsGet(index, String(key));
        if (value === null || value === undefined) return reject(new Error('Key ' + key + ' not found'));
        if (format === 'string') return resolve(value);
        if (format === 'json') return resolve(JSON.parse(value));
        if (format === 'bytes') return resolve(encodeString(value, 'utf8'));
        reject(new Error('Unknown format ' + format + ': use string, json or bytes'));
      });
    },
    exists(key) { return Promise.resolve(native.kvsExists(index, String(key))); },
    meta() { return Promise.resolve(JSON.parse(native.kvsMeta(index))); },
  });
  const check = (error) => { if (error) throw new Error(error); };
  const cloudfront = {
    kvs(id) {
      const index = native.kvsResolve(id === undefined || id === null ? '' : String(id));
      if (index === -1) throw new Error('No key value store is associated with this function');
      if (index === -2) throw new Error('More than one key value store is associated with this function: name one');
      if (index < 0) throw new Error('Key value store ' + id + ' is not associated with this function');
      return store(index);
    },
    updateRequestOrigin(params) { check(native.originUpdate(JSON.stringify(params === undefined ? {} : params))); },
    selectRequestOriginById(id) { check(native.originSelect(String(id))); },
    createRequestOriginGroup(params) { check(native.originGroup(JSON.stringify(params === undefined ? {} : params))); },
  };
  Object.defineProperty(cloudfront, 'edgeLocation', { enumerable: true, get: () => JSON.parse(native.edgeLocation()) });
  Object.defineProperty(cloudfront, 'distributionTenant', {
    enumerable: true,
    get: () => {
      const tenant = native.tenant();
      if (!tenant) throw new Error('distributionTenant is only available on a multi-tenant distribution');
      const parsed = JSON.parse(tenant);
      define(parsed.parameters, 'get', (name) => parsed.parameters[name]);
      return Object.freeze(parsed);
    },
  });
  Object.freeze(cloudfront);

  const modules = Object.freeze({
    cloudfront,
    crypto,
    querystring,
    buffer: Object.freeze({ Buffer }),
  });
  define(g, 'require', (name) => {
    const found = modules[name];
    if (found === undefined) throw new Error("Cannot find module '" + name + "'");
    return found;
  });

  // No code from strings: eval is gone and every function constructor throws.
  function NoFunction() { throw new TypeError('Code generation from strings is not supported'); }
  NoFunction.prototype = Function.prototype;
  for (const f of [function () {}, async function () {}, function* () {}, async function* () {}]) {
    Object.defineProperty(Object.getPrototypeOf(f), 'constructor', { value: NoFunction });
  }
  g.Function = NoFunction;
  delete g.eval;

  // The edge calls this for every invocation.
  define(g, '__vergeInvoke', (event, nowMillis) => {
    now = nowMillis;
    return handler(JSON.parse(event));
  });
})(globalThis.__vergeNative);
delete globalThis.__vergeNative;
