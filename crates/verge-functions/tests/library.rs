//! The runtime 2.0 library as functions see it: Buffer, TextEncoder/TextDecoder, atob/btoa,
//! crypto digests and HMACs, querystring, modules by import and require, the frozen clock,
//! async handlers, and no code generation from strings.

mod support;

use serde_json::json;
use support::*;
use verge_functions::{FunctionError, Output};

#[test]
fn crypto_digests_match_the_published_vectors() {
    let out = returned(
        "const crypto = require('crypto');
         return [
           crypto.createHash('md5').update('abc').digest('hex'),
           crypto.createHash('sha1').update('a').update('bc').digest('hex'),
           crypto.createHash('sha256').update('abc').digest('hex'),
           crypto.createHash('sha256').update('abc').digest('base64'),
           crypto.createHash('sha256').update('abc').digest('base64url'),
           crypto.createHmac('sha256', 'key').update('The quick brown fox jumps over the lazy dog').digest('hex'),
           crypto.createHash('sha256').update(Buffer.from('616263', 'hex')).digest().length,
         ];",
    );
    assert_eq!(
        out,
        json!([
            "900150983cd24fb0d6963f7d28e17f72",
            "a9993e364706816aba3e25717850c26c9cd0d89d",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=",
            "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0",
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8",
            32
        ])
    );
}

#[test]
fn unsupported_digests_throw() {
    let out = returned(
        "try { require('crypto').createHash('sha3-256'); return 'no error'; } catch (e) { return e.message; }",
    );
    assert_eq!(out, json!("Digest method not supported"));
}

#[test]
fn buffers_convert_between_encodings() {
    let out = returned(
        "const b = Buffer.from('héllo ✓', 'utf8');
         return [
           b.length,
           b.toString('hex'),
           b.toString('base64'),
           Buffer.from(b.toString('base64url'), 'base64url').toString(),
           Buffer.from('aGk', 'base64').toString(),
           Buffer.concat([Buffer.from('ab'), Buffer.from('cd')]).toString(),
           Buffer.byteLength('✓'),
           Buffer.from([104, 105]).toString('latin1'),
           Buffer.isBuffer(b), b.slice(1, 3).toString('hex'),
           Buffer.alloc(3, 'x').toString(),
           Buffer.from('abc').equals(Buffer.from('abc')),
           btoa('hi'), atob('aGk='),
         ];",
    );
    assert_eq!(
        out,
        json!([
            10,
            "68c3a96c6c6f20e29c93",
            "aMOpbGxvIOKckw==",
            "héllo ✓",
            "hi",
            "abcd",
            3,
            "hi",
            true,
            "c3a9",
            "xxx",
            true,
            "aGk=",
            "hi"
        ])
    );
}

#[test]
fn text_encoder_and_decoder_speak_utf8() {
    let out = returned(
        "const bytes = new TextEncoder().encode('€1');
         return [Array.from(bytes), new TextDecoder().decode(bytes), new TextDecoder('utf-8').encoding];",
    );
    assert_eq!(out, json!([[226, 130, 172, 49], "€1", "utf-8"]));
}

#[test]
fn querystring_parses_and_stringifies_like_node() {
    let out = returned(
        "const qs = require('querystring');
         const parsed = qs.parse('a=1&b=2&b=3&c=x%20y&d=e+f&flag');
         return [parsed.a, parsed.b, parsed.c, parsed.d, parsed.flag,
                 qs.stringify({ x: [1, 2], y: 'a b', z: true }),
                 qs.escape('a b&c'), qs.unescape('a%20b%zz')];",
    );
    assert_eq!(
        out,
        json!([
            "1",
            ["2", "3"],
            "x y",
            "e f",
            "",
            "x=1&x=2&y=a%20b&z=true",
            "a%20b%26c",
            "a b%zz"
        ])
    );
}

#[test]
fn imports_and_requires_load_the_built_in_modules() {
    let source = "import crypto from 'crypto';
import { stringify } from 'querystring';
import cf from 'cloudfront';
const { Buffer: B } = require('buffer');
function handler(event) {
  event.request.headers['x-a'] = { value: crypto.createHash('md5').update('').digest('hex') };
  event.request.headers['x-b'] = { value: stringify({ k: 'v' }) + typeof cf.kvs + typeof B.from };
  return event.request;
}";
    let invocation = run(&compile(source), &viewer_request());
    let Ok(Output::Request(request)) = invocation.result else {
        panic!("{:?}", invocation.result)
    };
    assert_eq!(
        request.headers.get("x-a").expect("set").value,
        "d41d8cd98f00b204e9800998ecf8427e"
    );
    assert_eq!(
        request.headers.get("x-b").expect("set").value,
        "k=vfunctionfunction"
    );

    let missing = compile("function handler(e) { require('fs'); return e.request; }");
    let error = run(&missing, &viewer_request())
        .result
        .expect_err("no fs module");
    assert!(
        matches!(&error, FunctionError::Thrown(m) if m.contains("Cannot find module 'fs'")),
        "{error}"
    );
}

#[test]
fn the_clock_is_frozen_for_the_invocation() {
    let out = returned(
        "let spin = 0; for (let i = 0; i < 10000; i++) spin += i;
         return [Date.now(), new Date().toISOString(), new Date(0).getTime(), typeof Date(), new Date() instanceof Date];",
    );
    assert_eq!(
        out,
        json!([
            1_716_163_200_000_i64,
            "2024-05-20T00:00:00.000Z",
            0,
            "string",
            true
        ])
    );
}

#[test]
fn async_handlers_and_promises_resolve() {
    let function = compile(
        "async function handler(event) {
           const value = await new Promise((resolve) => resolve('later'));
           event.request.headers['x-async'] = { value };
           return event.request;
         }",
    );
    let Ok(Output::Request(request)) = run(&function, &viewer_request()).result else {
        panic!("async handler failed")
    };
    assert_eq!(request.headers.get("x-async").expect("set").value, "later");

    let rejected = compile("async function handler(event) { throw new Error('nope'); }");
    let error = run(&rejected, &viewer_request())
        .result
        .expect_err("rejected");
    assert!(
        matches!(&error, FunctionError::Thrown(m) if m.contains("nope")),
        "{error}"
    );
    assert_eq!(error.status(), 503);
}

#[test]
fn no_code_is_generated_from_strings() {
    let out = returned(
        "const tries = [
           () => eval('1'),
           () => Function('return 1')(),
           () => new Function('return 1')(),
           () => (function () {}).constructor('return 1')(),
           () => (async function () {}).constructor('return 1')(),
         ];
         return tries.map((t) => { try { t(); return 'ran'; } catch (e) { return e.name; } });",
    );
    assert_eq!(
        out,
        json!([
            "ReferenceError",
            "TypeError",
            "TypeError",
            "TypeError",
            "TypeError"
        ])
    );
}

#[test]
fn console_log_lines_are_collected() {
    let function = compile(
        "function handler(event) { console.log('uri', event.request.uri, { n: 1 }); return event.request; }",
    );
    let invocation = run(&function, &viewer_request());
    assert_eq!(invocation.logs, ["uri /index.html {\"n\":1}"]);
}

#[test]
fn modern_syntax_is_accepted() {
    let out = returned(
        "const f = (a, b = 2) => `${a}-${b}`;
         let { x, ...rest } = { x: 1, y: 2, z: 3 };
         class Point { constructor(x) { this.x = x; } get double() { return this.x * 2; } }
         return [f(1), x, Object.keys(rest), new Point(4).double, [1, 2, 3].includes(2), 2 ** 10];",
    );
    assert_eq!(out, json!(["1-2", 1, ["y", "z"], 8, true, 1024]));
}
