/**
 * Reading a config file: the only I/O of the loader. Kept apart so that everything after
 * it (`parseConfigText` onwards) is pure and tested without a disk.
 */
import { readFile } from 'node:fs/promises';
import { findJsonSyntaxError } from '../internal/json-syntax';
import type { ConfigProblem } from './problems';

/** A parsed config file, or the one problem that stopped parsing. */
export type ParsedConfigText =
  { readonly ok: true; readonly raw: unknown } | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/**
 * Parses JSON config text; a syntax error is reported as `file:line:column: reason` so the
 * operator can jump to it. The reason comes from our own scanner, never from V8's message,
 * which can quote the file's contents.
 */
export function parseConfigText(text: string, file: string): ParsedConfigText {
  const body = text.replace(/^\uFEFF/, '');
  const error = findJsonSyntaxError(body);
  if (error === undefined) return { ok: true, raw: JSON.parse(body) as unknown };
  const { line, column } = lineColumn(body, error.offset);
  return { ok: false, problems: [{ path: '', message: `${file}:${line}:${column}: invalid JSON: ${error.reason}` }] };
}

/** Reads and parses a config file; a missing or unreadable file is a problem naming the path. */
export async function readConfigFile(file: string): Promise<ParsedConfigText> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES'
          ? 'is not readable by this user'
          : code === 'EISDIR'
            ? 'is a directory, not a file'
            : `cannot be read (${code ?? String(error)})`;
    return { ok: false, problems: [{ path: '', message: `config file ${file} ${reason}` }] };
  }
  return parseConfigText(text, file);
}
