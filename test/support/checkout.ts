// A throwaway copy of the source tree for the packaging tests: building a
// wheel or an npm tarball writes build/, dist/ and *.egg-info, which must not
// touch the checkout other test files are running from. node_modules is
// linked, not copied (the packaging steps only read it).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from './repo';

const TOP = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'setup.py', 'pyproject.toml',
  'MANIFEST.in', 'README.md', 'CHANGELOG.md', 'bin', 'src', 'python', 'test', 'bench'];
const SKIP = new Set(['node_modules', 'dist', 'build', '__pycache__', 'results']);

/** Copies the sources into a new temporary directory (removed by `remove`) and returns its path. */
export function copyCheckout(prefix: string): { readonly dir: string; remove(): void } {
  const root = repoRoot();
  const base = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const dir = path.join(base, 'yimmo-wsgi');
  fs.mkdirSync(dir);
  for (const name of TOP) {
    const from = path.join(root, name);
    if (!fs.existsSync(from)) continue;
    fs.cpSync(from, path.join(dir, name), {
      recursive: true,
      filter: (src) => !SKIP.has(path.basename(src)) && !src.endsWith('.egg-info'),
    });
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  return { dir, remove: () => fs.rmSync(base, { recursive: true, force: true }) };
}
