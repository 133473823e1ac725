// Command-line parsing, generated from the schema: getopt-like, with
// `--flag value`, `--flag=value`, `-P 8080` and `-P8080`; `--` ends the options.
// It only splits the arguments; values are checked by src/config/load.ts
// like those of every other source. A repeated flag keeps its last value, so
// a wrapper script may append overrides, except the repeatable ones (--env,
// --bind, --host), whose occurrences add up.

import { ConfigError, didYouMean, show } from '../config/config-error';
import { ACTIONS, ALL_SETTINGS, EARLY_ACTIONS, type AnySetting, type SettingKey } from '../config/schema';

export type Action = (typeof ACTIONS)[number]['action'];

export interface ParsedArgs {
  /**
   * 'run' unless an action was given: --help or --version (the first of them
   * wins over everything), else --check-config or --print-config (the last wins).
   */
  readonly action: Action | 'run';
  /** Flag values as text, by setting (the last occurrence of a flag wins). */
  readonly values: ReadonlyMap<SettingKey, string>;
  /** The MODULE:EXPRESSION argument, if given. */
  readonly positional: string | undefined;
}

type Target = { readonly setting: AnySetting } | { readonly action: Action };

const LONG = new Map<string, Target>();
const SHORT = new Map<string, Target>();
for (const setting of ALL_SETTINGS) {
  if (setting.flag !== undefined) LONG.set(setting.flag, { setting });
  if (setting.short !== undefined) SHORT.set(setting.short, { setting });
}
for (const a of ACTIONS) {
  LONG.set(a.flag, { action: a.action });
  if ('short' in a) SHORT.set(a.short, { action: a.action });
}

/** Parses the arguments after the program name (process.argv.slice(2)). */
export function parseArgv(argv: readonly string[]): ParsedArgs {
  const early = actionRequested(argv);
  if (early !== undefined) return { action: early, values: new Map(), positional: undefined };

  const values = new Map<SettingKey, string>();
  let action: Action | 'run' = 'run';
  let positional: string | undefined;
  let optionsEnded = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (optionsEnded || arg === '-' || !arg.startsWith('-')) {
      if (positional !== undefined) {
        throw new ConfigError(
          'YW_CONFIG_USAGE',
          `unexpected argument ${show(arg)} (from command line): MODULE:EXPRESSION was already given as ` +
            `${show(positional)}; quote an expression that contains spaces`,
        );
      }
      positional = arg;
      continue;
    }
    if (arg === '--') {
      optionsEnded = true;
      continue;
    }
    const { flag, target, inline } = lookUp(arg);
    if ('action' in target) {
      // A bare --help/--version never gets here (actionRequested); --help=x does.
      if (inline !== undefined) {
        throw new ConfigError('YW_CONFIG_USAGE', `option ${flag} (from command line) takes no value, got ${show(inline)}`);
      }
      action = target.action;
      continue;
    }
    let value = inline;
    // A switch may stand alone (`--proxy-protocol`) or take 0/1/true/false.
    if (value === undefined && target.setting.type === 'bool' && !/^(0|1|true|false)$/i.test(argv[i + 1] ?? '')) value = 'true';
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || looksLikeOption(next)) {
        throw new ConfigError(
          'YW_CONFIG_USAGE',
          `missing value for ${flag} (from command line): expected ${target.setting.meta}` +
            (next === undefined ? ' after it' : `, got option ${show(next)}`),
        );
      }
      value = next;
      i++;
    }
    // --env, --bind, --host, --reload-extra-file repeat: each occurrence adds a line (a value cannot hold a newline).
    const earlier = values.get(target.setting.key);
    const repeats = 'repeatable' in target.setting && target.setting.repeatable === true;
    values.set(target.setting.key, repeats && earlier !== undefined ? `${earlier}\n${value}` : value);
  }
  return { action, values, positional };
}

/** --help or --version anywhere before `--` wins over everything else, even bad arguments. */
function actionRequested(argv: readonly string[]): Action | undefined {
  for (const arg of argv) {
    if (arg === '--') return undefined;
    const target = arg.startsWith('--') ? LONG.get(arg.slice(2)) : arg.length === 2 ? SHORT.get(arg.slice(1)) : undefined;
    if (target !== undefined && 'action' in target && EARLY_ACTIONS.includes(target.action)) return target.action;
  }
  return undefined;
}

function lookUp(arg: string): { flag: string; target: Target; inline: string | undefined } {
  if (arg.startsWith('--')) {
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const target = LONG.get(name);
    if (target === undefined) throw unknownOption(`--${name}`, [...LONG.keys()].map((f) => `--${f}`));
    return { flag: `--${name}`, target, inline: eq < 0 ? undefined : arg.slice(eq + 1) };
  }
  // `-port 80` is a long option typed with one dash, not -p with the value 'ort'.
  const word = arg.slice(1).split('=')[0] ?? '';
  if (word.length > 1 && LONG.has(word)) throw unknownOption(arg, [], `--${word}`);
  const letter = arg.slice(1, 2);
  const target = SHORT.get(letter);
  if (target === undefined) {
    const sameLetter = [...SHORT.keys()].find((s) => s.toLowerCase() === letter.toLowerCase()); // -T for -t
    throw unknownOption(`-${letter}`, [], sameLetter === undefined ? undefined : `-${sameLetter}`);
  }
  return { flag: `-${letter}`, target, inline: arg.length > 2 ? arg.slice(2) : undefined };
}

function unknownOption(flag: string, candidates: readonly string[], hint = didYouMean(flag, candidates)): ConfigError {
  return new ConfigError(
    'YW_CONFIG_UNKNOWN_KEY',
    `unknown option ${show(flag)} (from command line)${hint === undefined ? '' : ` (did you mean ${show(hint)}?)`}; ` +
      'see --help',
  );
}

/** An argument that is an option, not a value: `-x`, `--x`; not `-1` or `-`. */
function looksLikeOption(arg: string): boolean {
  return arg.length > 1 && arg.startsWith('-') && !/^-\d/.test(arg);
}
