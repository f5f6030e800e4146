/**
 * Where an operator's command line would find its program, without running it: both programs'
 * `doctor` check that each configured command (a template, a hook, `fence_command`) starts a
 * binary that exists and may be executed.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';

/** The binary a command line starts: its first word after `VAR=value` assignments; undefined when it is shell syntax. */
export function binaryOf(commandLine: string): string | undefined {
  const words = commandLine.trim().split(/\s+/);
  const first = words.find((word) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(word));
  return first !== undefined && /^[A-Za-z0-9_./+-]+$/.test(first) ? first : undefined;
}

/** What {@link findCommandBinary} found. */
export type CommandBinary =
  | { readonly ok: true; readonly file: string }
  /** `shellSyntax`: the line starts with shell syntax, so nothing could be checked (a warning, not a failure). */
  | { readonly ok: false; readonly shellSyntax: boolean; readonly why: string };

/** Finds the executable file `commandLine` starts, on `env.PATH` unless it names a path. */
export async function findCommandBinary(
  commandLine: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<CommandBinary> {
  const binary = binaryOf(commandLine);
  if (binary === undefined)
    return { ok: false, shellSyntax: true, why: 'starts with shell syntax; its binary is not checked' };
  return findProgram(binary, env);
}

/** Finds the executable file `program` names: on `env.PATH`, unless it holds a `/`. */
export async function findProgram(
  program: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<CommandBinary> {
  const candidates = program.includes('/')
    ? [program]
    : (env.PATH ?? '')
        .split(path.delimiter)
        .filter((dir) => dir !== '')
        .map((dir) => path.join(dir, program));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      if ((await stat(candidate)).isFile()) return { ok: true, file: candidate };
    } catch {
      // Not here; the next directory of PATH.
    }
  }
  return {
    ok: false,
    shellSyntax: false,
    why: program.includes('/') ? `${program} is not an executable file` : `${program} is not on PATH`,
  };
}
