// A request head parsed from raw text, for unit tests and micro-benchmarks
// of code that takes a RequestHead (environ, stats).
import { RequestParser } from '../../src/http/parser';
import type { RequestHead } from '../../src/http/request-head';

export function parseHead(raw: string): RequestHead {
  const parser = new RequestParser();
  parser.push(Buffer.from(raw, 'latin1'));
  const event = parser.next();
  if (event === null || event.kind !== 'head') throw new Error(`no head: ${JSON.stringify(event)}`);
  return event.head;
}
