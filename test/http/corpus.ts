// The request-parser corpus (test/http/corpus/NNN-name.http + .json, written
// by make-corpus.py) and the helpers that run raw bytes through the parser.
// loadCorpus() is also meant for replaying the corpus against a live server.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RequestParser } from '../../src/http/parser';
import type { ParseError, ParserLimits, RequestHead } from '../../src/http/request-head';

export interface ExpectedMessage {
  /** The head fields to compare (a subset of RequestHead). */
  readonly head: Readonly<Record<string, unknown>>;
  /** The body, latin-1. */
  readonly body: string;
  /** Trailers as a flat list; absent when the message is unfinished. */
  readonly trailers?: readonly string[];
  /** false: the input ends before this message does. */
  readonly end?: false;
}

export interface Expected {
  readonly messages: readonly ExpectedMessage[];
  /** Set when the input ends in a protocol error (after `messages`). */
  readonly status?: number;
  readonly code?: string;
}

export interface CorpusCase {
  readonly name: string;
  readonly raw: Buffer;
  readonly expected: Expected;
}

/** The repository root: the first directory above this file, or above the cwd, holding package.json and the corpus. */
export function corpusDir(): string {
  for (const start of [__dirname, process.cwd()]) {
    let dir = start;
    for (;;) {
      const candidate = path.join(dir, 'test', 'http', 'corpus');
      if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(candidate)) return candidate;
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new Error('test/http/corpus not found above ' + __dirname + ' or ' + process.cwd());
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

function toExpected(name: string, v: unknown): Expected {
  const bad = (why: string): Error => new Error(`corpus ${name}.json: ${why}`);
  if (!isRecord(v) || !Array.isArray(v.messages)) throw bad('no messages list');
  const messages = v.messages.map((m: unknown): ExpectedMessage => {
    if (!isRecord(m) || !isRecord(m.head) || typeof m.body !== 'string') throw bad('malformed message');
    if (m.end === false) return { head: m.head, body: m.body, end: false };
    if (!isStringList(m.trailers)) throw bad('malformed trailers');
    return { head: m.head, body: m.body, trailers: m.trailers };
  });
  if (v.status === undefined) return { messages };
  if (typeof v.status !== 'number' || typeof v.code !== 'string') throw bad('malformed status/code');
  return { messages, status: v.status, code: v.code };
}

/** Every corpus case, in file-name order. */
export function loadCorpus(): CorpusCase[] {
  const dir = corpusDir();
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{3}-.*\.http$/.test(f))
    .sort()
    .map((f) => {
      const name = f.slice(0, -'.http'.length);
      const raw = fs.readFileSync(path.join(dir, f));
      const json: unknown = JSON.parse(fs.readFileSync(path.join(dir, name + '.json'), 'utf8'));
      return { name, raw, expected: toExpected(name, json) };
    });
}

export interface ParsedMessage {
  readonly head: RequestHead;
  readonly body: Buffer[];
  trailers: readonly string[] | null;
}

export interface Outcome {
  readonly messages: ParsedMessage[];
  error: ParseError | null;
}

/**
 * Push `raw` cut at `cuts` (ascending offsets) and drain next() after each
 * push, checking the event order on the way (head, body*, end; nothing after
 * an error but the same error again).
 */
export function parseAll(raw: Buffer, cuts: readonly number[], limits?: ParserLimits): Outcome {
  const parser = new RequestParser(limits);
  const out: Outcome = { messages: [], error: null };
  let current: ParsedMessage | null = null;
  let from = 0;
  for (const to of [...cuts, raw.length]) {
    if (to > from) parser.push(raw.subarray(from, to));
    from = to;
    for (let ev = parser.next(); ev !== null; ev = parser.next()) {
      if (ev.kind === 'error') {
        out.error = ev.error;
        const again = parser.next();
        if (again === null || again.kind !== 'error' || again.error !== ev.error) throw new Error('error not sticky');
        return out;
      }
      if (ev.kind === 'head') {
        if (current !== null) throw new Error('head inside a message');
        current = { head: ev.head, body: [], trailers: null };
        out.messages.push(current);
      } else if (current === null) {
        throw new Error(ev.kind + ' outside a message');
      } else if (ev.kind === 'body') {
        if (ev.data.length === 0) throw new Error('empty body event');
        current.body.push(ev.data);
      } else {
        current.trailers = ev.trailers;
        current = null;
      }
    }
  }
  return out;
}

/** The outcome in the shape of an Expected, keeping only the head fields `like` names. */
export function normalize(outcome: Outcome, like: Expected): Expected {
  const messages = outcome.messages.map((m, i): ExpectedMessage => {
    const want = like.messages[i];
    const head: Record<string, unknown> = {};
    const source: Readonly<Record<string, unknown>> = { ...m.head };
    for (const key of Object.keys(want?.head ?? source)) head[key] = source[key];
    const body = Buffer.concat(m.body).toString('latin1');
    return m.trailers === null ? { head, body, end: false } : { head, body, trailers: [...m.trailers] };
  });
  return outcome.error === null ? { messages } : { messages, status: outcome.error.status, code: outcome.error.code };
}
