// File-system checks on chosen values: the python interpreter can be run, the
// TLS certificate and key can be read and belong together. Done at startup so
// that a typo is a one-line error naming the setting, not a crash in a worker.

import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { delimiter, dirname, resolve } from 'node:path';
import type * as Tls from 'node:tls';
import { ConfigError, nameIn, show, whereText, type Origin } from './config-error';
import { settingByKey, type SettingKey } from './schema';
import { errorText, fsReason } from './yaml-file';

/** A path (has a slash) is resolved against baseDir; a bare name is looked up on PATH. */
export function findExecutable(value: string, baseDir: string, pathVar: string | undefined):
  { readonly path: string } | { readonly reason: string } {
  if (value.includes('/')) {
    const path = resolve(baseDir, value);
    const problem = notExecutable(path);
    return problem === undefined ? { path } : { reason: problem };
  }
  for (const dir of (pathVar ?? '').split(delimiter)) {
    // An empty PATH entry means the current directory (POSIX execvp).
    const path = resolve(dir === '' ? '.' : dir, value);
    if (notExecutable(path) === undefined) return { path };
  }
  return { reason: `not found on PATH${pathVar === undefined ? ' (PATH is not set)' : ''}` };
}

function notExecutable(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return 'is not a file';
    accessSync(path, constants.X_OK);
    return undefined;
  } catch (err) {
    const reason = fsReason(err);
    return reason === 'permission denied' ? 'is not executable' : reason === 'no such file' ? 'does not exist' : reason;
  }
}

/**
 * Both or neither of certificate and key; both readable; and a pair that
 * OpenSSL accepts. `cert`/`key` are absolute, `certGiven`/`keyGiven` as the user wrote them.
 */
export function checkTls(cert: string | null, key: string | null, certGiven: string | null, keyGiven: string | null,
  certOrigin: Origin, keyOrigin: Origin): void {
  const label = (k: SettingKey, o: Origin): string => `${nameIn(settingByKey(k), o)}, from ${whereText(o)}`;
  if (cert === null && key === null) return;
  if (cert === null || key === null) {
    const [haveKey, have, haveOrigin, missing] = cert === null
      ? (['tlsKeyPath', keyGiven, keyOrigin, 'certificate: --tls-cert, YIMMO_TLS_CERT_PATH or wsgi.tls.cert'] as const)
      : (['tlsCertPath', certGiven, certOrigin, 'key: --tls-key, YIMMO_TLS_KEY_PATH or wsgi.tls.key'] as const);
    throw new ConfigError(
      'YW_CONFIG_INVALID',
      `${nameIn(settingByKey(haveKey), haveOrigin)} ${show(have)} (from ${whereText(haveOrigin)}) needs the TLS ` +
        `${missing} (set both or neither)`,
    );
  }
  const certLabel = label('tlsCertPath', certOrigin);
  const keyLabel = label('tlsKeyPath', keyOrigin);
  const certPem = readPem(cert, certGiven ?? cert, 'certificate', certLabel);
  const keyPem = readPem(key, keyGiven ?? key, 'private key', keyLabel);
  // Each alone first, so that a file that is not PEM is named; then the pair.
  usable({ cert: certPem }, `TLS certificate ${show(certGiven)} (${certLabel}) is not usable`);
  usable({ key: keyPem }, `TLS private key ${show(keyGiven)} (${keyLabel}) is not usable`);
  usable({ cert: certPem, key: keyPem },
    `TLS certificate ${show(certGiven)} (${certLabel}) and key ${show(keyGiven)} (${keyLabel}) are not a usable pair`);
}

function usable(options: { cert?: Buffer; key?: Buffer }, what: string): void {
  try {
    // Required here: a server without TLS never loads node:tls (bench/results/profile.md).
    (require('node:tls') as typeof Tls).createSecureContext(options);
  } catch (err) {
    throw new ConfigError('YW_CONFIG_TLS_FILE', `${what}: ${errorText(err)}`);
  }
}

function readPem(path: string, given: string, what: string, label: string): Buffer {
  try {
    // Not a regular file (a FIFO, a device) would block or never end.
    if (!statSync(path).isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTFILE' });
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError('YW_CONFIG_TLS_FILE', `cannot read TLS ${what} ${show(given)} (${label}): ${fsReason(err)}`);
  }
}

/**
 * A log file (--error-log, --access-log) can be appended to: an existing file
 * is writable, or a missing one can be created in its directory. Checked
 * without creating anything, so --check-config leaves no trace. `path` is
 * absolute, or '-' (a standard stream), or null (not set).
 */
export function checkLogFile(key: SettingKey, path: string | null, given: string | null, origin: Origin): void {
  if (path === null || path === '-') return;
  const problem = unwritable(path);
  if (problem === undefined) return;
  throw new ConfigError(
    'YW_CONFIG_LOG_FILE',
    `cannot write log file ${show(given)} (${nameIn(settingByKey(key), origin)}, from ${whereText(origin)}): ${problem}`,
  );
}

function unwritable(path: string): string | undefined {
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) return 'is a directory';
    accessSync(path, constants.W_OK);
    return undefined;
  } catch (err) {
    const reason = fsReason(err);
    if (reason !== 'no such file') return reason;
  }
  const dir = dirname(path);
  try {
    if (!statSync(dir).isDirectory()) return `${dir} is not a directory`;
    accessSync(dir, constants.W_OK | constants.X_OK);
    return undefined;
  } catch (err) {
    const reason = fsReason(err);
    return reason === 'no such file' ? `directory ${dir} does not exist` : `cannot create it in ${dir}: ${reason}`;
  }
}
