// Shared fixtures for the config tests: a sandbox directory with fake python
// executables and config files, an isolated environment (never process.env),
// and an assertion for ConfigError.

import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/cli/help';
import { resolveInvocation } from '../../src/cli/invocation';
import { ConfigError, type Config } from '../../src/config/load';

export type Env = Record<string, string | undefined>;

export interface Sandbox {
  readonly dir: string;
  /** Directory holding an executable `python3`; the PATH of `env()`. */
  readonly bin: string;
  /** An environment with only PATH=bin, plus `extra`. */
  env(extra?: Env): Env;
  /** Writes a file (relative to the sandbox) and returns its absolute path. */
  file(name: string, text: string): string;
  /** Creates an executable script and returns its absolute path. */
  executable(name: string): string;
  /** A copy of the test certificate and key under `name`/; returns their paths. */
  tlsPair(name: string): { readonly cert: string; readonly key: string };
}

export function sandbox(): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'yw-config-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const box: Sandbox = {
    dir,
    bin,
    env: (extra = {}) => ({ PATH: bin, ...extra }),
    file(name, text) {
      const path = join(dir, name);
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, text);
      return path;
    },
    executable(name) {
      const path = box.file(name, '#!/bin/sh\nexit 0\n');
      chmodSync(path, 0o755);
      return path;
    },
    tlsPair(name) {
      mkdirSync(join(dir, name), { recursive: true });
      const cert = join(dir, name, 'cert.pem');
      const key = join(dir, name, 'key.pem');
      copyFileSync(fixture('test-cert.pem'), cert);
      copyFileSync(fixture('test-key.pem'), key);
      return { cert, key };
    },
  };
  box.executable('bin/python3');
  return box;
}

/** A file of test/config/fixtures (read from the repository: the build copies only .ts output). */
export function fixture(name: string): string {
  const root = packageRoot();
  if (root === undefined) throw new Error('cannot find the repository root');
  return join(root, 'test', 'config', 'fixtures', name);
}

/** Resolves an invocation that must be 'run', and returns its config. */
export function run(argv: readonly string[], env: Env): Config {
  const result = resolveInvocation(argv, env);
  assert.equal(result.action, 'run');
  if (result.action !== 'run') throw new Error('unreachable');
  return result.config;
}

/**
 * Asserts that `fn` throws a ConfigError with `code`, whose message is one line
 * and contains every fragment (the setting's name, its source, the value...).
 */
export function throwsConfig(fn: () => unknown, code: string, ...fragments: string[]): ConfigError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.ok(!/[\r\n]/.test(caught.message), `message is not one line: ${JSON.stringify(caught.message)}`);
  for (const f of fragments) assert.ok(caught.message.includes(f), `message lacks ${JSON.stringify(f)}: ${caught.message}`);
  return caught;
}
