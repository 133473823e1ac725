// A SIGHUP that changes nothing but the code swaps the Python hosts under the
// running workers (src/supervisor/reload-scope.ts). Tests of the rolling
// restart of the workers themselves need a reload that changes a worker
// setting: this config file's --max-connections (a setting the tests leave
// alone, so a flag of theirs does not override it) changes on every bump().
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface RollingConfig {
  /** Pass these to the server: `-c FILE`. */
  readonly args: readonly string[];
  /** Rewrites the file so that the next SIGHUP rolls the workers. */
  bump(): void;
}

export function rollingConfig(): RollingConfig {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'yimmo-roll-')), 'server.yaml');
  let connections = 1000;
  const write = (): void => fs.writeFileSync(file, `wsgi:\n  max_connections: ${connections}\n`);
  write();
  return {
    args: ['-c', file],
    bump: () => {
      connections = connections === 1000 ? 1001 : 1000;
      write();
    },
  };
}
