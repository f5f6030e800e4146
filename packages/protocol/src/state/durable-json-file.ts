/**
 * A small JSON document that must survive a crash whole: written atomically and fsynced
 * ({@link writeFileAtomic}), checked against its schema when read. A file that is present but
 * unreadable, not JSON or not of the schema is an error, never "no state": a term that
 * silently fell back to zero would let a stale manager act again.
 */
import { readFile } from 'node:fs/promises';
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { StateFileError } from '../errors';
import { writeFileAtomic } from './atomic-write';

/** One durable JSON document. */
export interface DurableJsonFile<S extends TSchema> {
  readonly path: string;
  /** The document, or `undefined` when the file does not exist yet. @throws StateFileError */
  read(): Promise<Static<S> | undefined>;
  /** Replaces the document; resolves once it is on disk. */
  write(value: Static<S>): Promise<void>;
}

/** A durable JSON document at `file`, checked against `schema`. */
export function durableJsonFile<S extends TSchema>(file: string, schema: S): DurableJsonFile<S> {
  return {
    path: file,
    async read() {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return undefined;
        throw new StateFileError(file, `cannot be read (${code ?? 'unknown error'})`, { cause: error });
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw new StateFileError(file, 'is not valid JSON; restore it from a backup or remove it knowingly', {
          cause: error,
        });
      }
      const firstError = Value.Errors(schema, value).First();
      if (firstError !== undefined) {
        throw new StateFileError(file, `does not hold what it should: ${firstError.path || '/'} ${firstError.message}`);
      }
      return value as Static<S>;
    },
    async write(value) {
      await writeFileAtomic(file, Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8'));
    },
  };
}
