// When the worker times requests with the monotonic clock as well
// (ConnectionOptions.fineDuration): only for an access log that shows
// sub-millisecond durations, so no other configuration pays for it.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { DEFAULT_ACCESS_FORMAT } from '../../src/log/access-log';
import { wantsFineDuration } from '../../src/worker/access-logger';

test('D, L or M in the format, or a JSON access log file, want fine durations; the default format and T do not', () => {
  const logging = { format: 'text', errorLog: null, accessLog: '/var/log/a.log', accessLogFormat: DEFAULT_ACCESS_FORMAT } as const;
  assert.equal(wantsFineDuration(logging), false);
  assert.equal(wantsFineDuration({ ...logging, accessLogFormat: '%(h)s %(T)s' }), false);
  for (const atom of ['D', 'L', 'M']) assert.equal(wantsFineDuration({ ...logging, accessLogFormat: `%(h)s %(${atom})s` }), true, atom);
  assert.equal(wantsFineDuration({ ...logging, format: 'json' }), true);
  // JSON to the error log (no access file) writes the text line only.
  assert.equal(wantsFineDuration({ ...logging, format: 'json', accessLog: null }), false);
});
