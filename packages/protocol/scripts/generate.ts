// Rewrites the generated files (JSON Schemas, docs/configuration.md) from the schemas.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonSchemaFiles, renderConfigReference } from '../src/internal/config-reference';

const packageDir = join(__dirname, '..');
for (const [name, text] of Object.entries(jsonSchemaFiles())) writeFileSync(join(packageDir, 'schemas', name), text);
writeFileSync(join(packageDir, '..', '..', 'docs', 'configuration.md'), renderConfigReference());
