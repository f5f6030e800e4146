/**
 * Config problems: what the loader returns instead of throwing, so that an operator sees
 * every mistake of a file in one run rather than one per restart.
 */

/** Where a config value came from; named in a problem so the operator knows what to edit. */
export type ConfigSource = { kind: 'file' } | { kind: 'env'; name: string } | { kind: 'flag'; name: string };

/** One thing wrong with a config, at a JSON Pointer path (`/validator1/endpoint`; `` for the whole file). */
export interface ConfigProblem {
  /** JSON Pointer of the offending key; empty for the file as a whole. */
  readonly path: string;
  /** What is wrong and, where possible, how to fix it. Never contains a secret value. */
  readonly message: string;
}

/** The loader's answer: a frozen domain config, or every problem found. */
export type ConfigResult<T> =
  { readonly ok: true; readonly config: T } | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

/** Turns a JSON Pointer into the dotted key an operator reads in the file (`validator1.endpoint`). */
export function pointerToKey(path: string): string {
  return path
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

/** One line per problem, `key: message`, as the apps print them before exiting with code 2. */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  return problems
    .map((problem) => (problem.path === '' ? problem.message : `${pointerToKey(problem.path)}: ${problem.message}`))
    .join('\n');
}

/** Appends "(from env X)" / "(from --x)" when a value did not come from the file. */
export function describeSource(source: ConfigSource | undefined): string {
  if (source === undefined || source.kind === 'file') return '';
  return source.kind === 'env' ? ` (from env ${source.name})` : ` (from ${source.name})`;
}
