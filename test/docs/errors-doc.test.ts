import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { renderErrorsDoc } from '../../src/docs/errors-doc';
import { repoPath } from '../support/repo';

test('docs/errors.md lists every error code of src/errors.ts (regenerate with npm run docs)', () => {
  assert.equal(fs.readFileSync(repoPath('docs', 'errors.md'), 'utf8'), renderErrorsDoc());
});
