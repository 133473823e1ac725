// Property tests of the request parser with a seeded PRNG (test/http/prng.ts):
// how the bytes are split never changes the events, and mutated input never
// throws, always ends in events or a clean error, and never yields a body
// byte beyond the framing the head declared.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { HTTP_ERRORS } from '../../src/errors';
import { FIELD_VALUE, TARGET_CHAR, TCHAR } from '../../src/http/fields';
import type { ParsedMessage } from './corpus';
import { parseAll, type Outcome } from './corpus';
import { genRequest, type GenRequest } from './gen-request';
import { Prng } from './prng';

const SEED = Number(process.env.PARSER_FUZZ_SEED ?? 20240611);
const ROUNDS = Number(process.env.PARSER_FUZZ_ROUNDS ?? 1500);

function summary(o: Outcome): unknown {
  return {
    messages: o.messages.map((m) => ({ head: m.head, body: Buffer.concat(m.body).toString('latin1'), trailers: m.trailers })),
    error: o.error === null ? null : [o.error.status, o.error.code],
  };
}

function pipeline(rnd: Prng): { raw: Buffer; reqs: GenRequest[] } {
  const reqs = Array.from({ length: 1 + rnd.int(3) }, () => genRequest(rnd, { nodeCompatible: false }));
  // RFC 9112 2.2: empty lines before a request-line are allowed.
  const parts = reqs.flatMap((r) => (rnd.int(5) === 0 ? [Buffer.from('\r\n'), r.raw] : [r.raw]));
  return { raw: Buffer.concat(parts), reqs };
}

test('random valid requests parse to what was generated', () => {
  const rnd = new Prng(SEED);
  for (let round = 0; round < ROUNDS; round++) {
    const { raw, reqs } = pipeline(rnd);
    const out = parseAll(raw, []);
    const where = `seed ${SEED} round ${round}: ${JSON.stringify(raw.toString('latin1').slice(0, 300))}`;
    assert.equal(out.error, null, `${where}: ${out.error?.code} ${out.error?.detail}`);
    assert.equal(out.messages.length, reqs.length, where);
    reqs.forEach((r, i) => {
      const m = out.messages[i];
      assert.ok(m !== undefined, where);
      assert.equal(m.head.method, r.method, where);
      assert.equal(m.head.target, r.target, where);
      assert.equal(m.head.minorVersion, r.minorVersion, where);
      assert.deepEqual(m.head.headers, r.headers, where);
      assert.equal(m.head.bodyKind, r.chunked ? 'chunked' : r.body.length > 0 || r.headers.includes('content-length') ? 'length' : 'none', where);
      assert.deepEqual(Buffer.concat(m.body), r.body, where);
      assert.deepEqual(m.trailers, r.trailers, where);
    });
  }
});

test('random valid requests split at random points parse exactly as unsplit', () => {
  const rnd = new Prng(SEED + 1);
  for (let round = 0; round < ROUNDS; round++) {
    const { raw } = pipeline(rnd);
    const whole = summary(parseAll(raw, []));
    const cuts = rnd.cuts(raw.length, 1 + rnd.int(rnd.int(4) === 0 ? raw.length : 12));
    assert.deepEqual(summary(parseAll(raw, cuts)), whole, `seed ${SEED + 1} round ${round} cuts ${cuts.join(',')}`);
  }
});

const INTERESTING = [0x0d, 0x0a, 0x20, 0x09, 0x3a, 0x3b, 0x2c, 0x30, 0x00, 0x0b, 0x7f, 0x80, 0xa0, 0xff, 0x22, 0x3d, 0x2d, 0x2b, 0x66];

function mutate(rnd: Prng, raw: Buffer): Buffer {
  let bytes = Array.from(raw);
  for (let n = 1 + rnd.int(4); n > 0; n--) {
    const at = rnd.int(bytes.length + 1);
    const byte = rnd.int(3) === 0 ? rnd.int(256) : rnd.pick(INTERESTING);
    switch (rnd.int(5)) {
      case 0:
        bytes[Math.min(at, bytes.length - 1)] = byte;
        break;
      case 1:
        bytes.splice(at, 0, byte);
        break;
      case 2:
        bytes.splice(at, 1 + rnd.int(3));
        break;
      case 3: {
        const len = 1 + rnd.int(40);
        bytes.splice(at, 0, ...bytes.slice(rnd.int(bytes.length), rnd.int(bytes.length) + len));
        break;
      }
      default:
        bytes = bytes.slice(0, at);
    }
  }
  return Buffer.from(bytes);
}

/** What every parsed message must satisfy, valid input or not. */
function checkInvariants(m: ParsedMessage, where: string): void {
  const h = m.head;
  const bodyLength = m.body.reduce((n, c) => n + c.length, 0);
  for (const c of Buffer.from(h.method, 'latin1')) assert.equal(TCHAR[c], 1, `${where}: method byte ${c}`);
  for (const c of Buffer.from(h.target, 'latin1')) assert.equal(TARGET_CHAR[c], 1, `${where}: target byte ${c}`);
  assert.equal(h.headers.length % 2, 0, where);
  h.headers.forEach((s, i) => {
    const table = i % 2 === 0 ? TCHAR : FIELD_VALUE;
    for (const c of Buffer.from(s, 'latin1')) assert.equal(table[c], 1, `${where}: field byte ${c}`);
    if (i % 2 === 0) assert.equal(s, s.toLowerCase(), where);
  });
  if (h.bodyKind === 'none') assert.equal(bodyLength, 0, `${where}: body without framing`);
  if (h.bodyKind === 'length') {
    assert.ok(bodyLength <= h.contentLength, `${where}: ${bodyLength} body bytes for Content-Length ${h.contentLength}`);
    if (m.trailers !== null) assert.equal(bodyLength, h.contentLength, `${where}: message ended early`);
  }
  if (h.bodyKind === 'chunked') assert.ok(h.minorVersion === 1 && h.contentLength === 0, where);
  else assert.equal(h.headers.includes('transfer-encoding'), false, `${where}: Transfer-Encoding ignored`);
}

test('mutated requests never throw and end in events or a clean error within the framing', () => {
  const rnd = new Prng(SEED + 2);
  let errors = 0;
  for (let round = 0; round < ROUNDS * 2; round++) {
    const raw = mutate(rnd, pipeline(rnd).raw);
    const where = `seed ${SEED + 2} round ${round}: ${JSON.stringify(raw.toString('latin1').slice(0, 400))}`;
    const whole = parseAll(raw, []);
    for (const m of whole.messages) checkInvariants(m, where);
    // Bodies are carved out of the input: together with the heads they never exceed it.
    const bodyBytes = whole.messages.reduce((n, m) => n + m.body.reduce((k, c) => k + c.length, 0), 0);
    assert.ok(bodyBytes <= raw.length, where);
    if (whole.error !== null) {
      errors++;
      assert.ok(whole.error.code in HTTP_ERRORS, `${where}: unknown code ${whole.error.code}`);
      assert.ok([400, 413, 414, 431, 501, 505].includes(whole.error.status), where);
    }
    const cuts = rnd.cuts(raw.length, 1 + rnd.int(8));
    assert.deepEqual(summary(parseAll(raw, cuts)), summary(whole), `${where} cuts ${cuts.join(',')}`);
  }
  assert.ok(errors > ROUNDS / 4, `only ${errors} of ${ROUNDS * 2} mutations were refused`);
});

test('random bytes never throw and are refused or wait for more', () => {
  const rnd = new Prng(SEED + 3);
  for (let round = 0; round < ROUNDS; round++) {
    const raw = Buffer.from(Array.from({ length: 1 + rnd.int(200) }, () => (rnd.int(4) === 0 ? rnd.pick(INTERESTING) : rnd.int(256))));
    const out = parseAll(raw, rnd.cuts(raw.length, rnd.int(5)));
    for (const m of out.messages) checkInvariants(m, `seed ${SEED + 3} round ${round}`);
  }
});
