// The YAML library, loaded on first use: it is some 70 modules (about 4 MB
// of the supervisor's RSS, bench/results/profile.md) that only a config file,
// --help and --print-config need; a server started from flags never loads it.
import type * as Yaml from 'yaml';

let loaded: typeof Yaml | undefined;

export function yamlLib(): typeof Yaml {
  loaded ??= require('yaml') as typeof Yaml;
  return loaded;
}
