// One declaration per setting (name, type, default, meaning, who reads it): the parser and docs/configuration.md both come from it.
import { parseBoolean, parseChoice, parseInteger, parseList, parseNumber, type Env } from './parse.js';

export type { Env } from './parse.js';

/** Which processes read a setting: the console (web, flower, gracedb, dev's console), workers, one-shot CLI commands. */
export type Reader = 'console' | 'worker' | 'cli';
export const EVERY_PROCESS: readonly Reader[] = ['console', 'worker', 'cli'];

export interface Setting<T = unknown> {
  readonly name: string;
  readonly kind: string;
  /** The default as docs/configuration.md shows it: the typed default as one would write it, or a description. */
  readonly shown: string;
  /** Whether `shown` is a value that, when set, configures exactly what leaving the setting unset does (test/config proves it). */
  readonly literal: boolean;
  readonly help: string;
  readonly readBy: readonly Reader[];
  /** The setting's value from the environment (the default when unset); throws ConfigError naming it when bad. */
  read(env: Env, profile: string): T;
}

interface Common {
  help: string;
  readBy: readonly Reader[];
}

/** A default that depends on the profile (then `shown` says how, e.g. "true in development"). */
type Fallback<T> = { default: T; shown?: string } | { default: (profile: string) => T; shown: string };

function fallbackOf<T>(spec: Fallback<T>, profile: string): T {
  return typeof spec.default === 'function' ? (spec.default as (profile: string) => T)(profile) : spec.default;
}

function declare<T>(name: string, kind: string, shown: string, literal: boolean, common: Common, read: Setting<T>['read']): Setting<T> {
  return { name, kind, shown, literal, help: common.help, readBy: common.readBy, read };
}

/** A whole number within [min, max]. */
export function integer(name: string, spec: Common & { default: number; min?: number; max?: number }): Setting<number> {
  return declare(name, 'integer', String(spec.default), true, spec, (env) => parseInteger(env, name, spec.default, spec));
}

/** A finite number within [min, max]. */
export function number(name: string, spec: Common & { default: number; min?: number; max?: number }): Setting<number> {
  return declare(name, 'number', String(spec.default), true, spec, (env) => parseNumber(env, name, spec.default, spec));
}

/** true/false (also 1/0, yes/no, on/off). */
export function boolean(name: string, spec: Common & Fallback<boolean>): Setting<boolean> {
  const literal = typeof spec.default === 'boolean';
  return declare(name, 'boolean', spec.shown ?? String(spec.default), literal && spec.shown === undefined, spec, (env, profile) =>
    parseBoolean(env, name, fallbackOf(spec, profile)),
  );
}

/** One of a fixed set of words. */
export function choice<T extends string>(name: string, spec: Common & Fallback<T> & { choices: readonly T[] }): Setting<T> {
  const literal = typeof spec.default === 'string' && spec.shown === undefined;
  return declare(name, 'choice', spec.shown ?? String(spec.default), literal, spec, (env, profile) =>
    parseChoice(env, name, spec.choices, fallbackOf(spec, profile)),
  );
}

/** A comma-separated list, empty by default. */
export function list(name: string, spec: Common): Setting<string[]> {
  return declare(name, 'list', '(none)', false, spec, (env) => parseList(env, name));
}

/** Free text taken as given (an empty value is a value: GWQUEUE_WEB_HOST= listens on every interface). */
export function text(name: string, spec: Common & { default: string }): Setting<string> {
  return declare(name, 'text', spec.default, true, spec, (env) => env[name] ?? spec.default);
}

/** A setting with a parser of its own (URLs, tokens, tables); `literal` when `shown` is a value that may be written. */
export function custom<T>(
  name: string,
  spec: Common & { kind: string; shown: string; literal?: boolean; read(env: Env, name: string, profile: string): T },
): Setting<T> {
  return declare(name, spec.kind, spec.shown, spec.literal ?? false, spec, (env, profile) => spec.read(env, name, profile));
}
