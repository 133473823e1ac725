// What the user asked for: argv + env -> run, help, version, or one of the
// configuration actions. The top of the configuration layers: cli imports
// config (schema, loader), never the reverse (ARCHITECTURE.md).
import { loadConfig, type Config } from '../config/load';
import { parseArgv } from './argv';
import { helpText } from './help';

export type Invocation =
  | { readonly action: 'run' | 'check-config' | 'print-config'; readonly config: Config }
  | { readonly action: 'help'; readonly text: string }
  | { readonly action: 'version' };

type Env = Readonly<Record<string, string | undefined>>;

/** argv is process.argv.slice(2). Throws ConfigError. */
export function resolveInvocation(argv: readonly string[], env: Env): Invocation {
  const args = parseArgv(argv);
  if (args.action === 'help') return { action: 'help', text: helpText() };
  if (args.action === 'version') return { action: 'version' };
  return { action: args.action, config: loadConfig(args, env) };
}
