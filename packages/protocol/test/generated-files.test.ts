import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROTOCOL_ERROR_CODES, WIRE_ERROR_CODES } from '@failover/protocol';
import { jsonSchemaFiles, renderConfigReference } from '../src/internal/config-reference';

const packageDir = join(__dirname, '..');
const read = (...parts: string[]): string => readFileSync(join(packageDir, ...parts), 'utf8');
const stale = 'is stale: run `npm run generate -w @failover/protocol` and commit the result';

describe('generated files', () => {
  it.each(Object.entries(jsonSchemaFiles()))('schemas/%s matches the TypeBox schema', (name, expected) => {
    expect({ file: name, text: read('schemas', name) }).toEqual({ file: name, text: expected });
  });

  it(`docs/configuration.md matches the schemas (otherwise it ${stale})`, () => {
    expect(read('..', '..', 'docs', 'configuration.md')).toBe(renderConfigReference());
  });

  it('documents every config key with a description', () => {
    const schemas = JSON.parse(read('schemas', 'manager-config.schema.json')) as {
      properties: Record<string, { description?: string }>;
    };
    const undocumented = Object.entries(schemas.properties).filter(
      ([, property]) => property.description === undefined,
    );
    expect(undocumented).toEqual([]);
  });
});

describe('docs/errors.md', () => {
  const doc = read('..', '..', 'docs', 'errors.md');
  it.each([...Object.keys(WIRE_ERROR_CODES), ...PROTOCOL_ERROR_CODES])('documents %s', (code) => {
    expect(doc).toContain(`\`${code}\``);
  });
});
