import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ERRORS_DOC_PATH, collectSourceCodes, diffRegistry, documentedCodes, findCodes } from '../src/error-registry';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const sourceCodes = collectSourceCodes(repoRoot);
const documented = documentedCodes(readFileSync(path.join(repoRoot, ERRORS_DOC_PATH), 'utf8'));

describe('finding codes in text', () => {
  it.each([
    ['a code in a message', "super('FAILOVER_TOWER_VOTE', `cannot record`)", ['FAILOVER_TOWER_VOTE']],
    ['a family prefix in a template literal', 'code: `FAILOVER_AUTH_${kind}`', []],
    ['a family wildcard in a comment', '/** maps to a `FAILOVER_AUTH_*` code */', []],
    ['repeats, once, sorted', 'FAILOVER_B FAILOVER_A FAILOVER_B', ['FAILOVER_A', 'FAILOVER_B']],
    ['digits inside a code', 'FAILOVER_HTTP_404_X', ['FAILOVER_HTTP_404_X']],
    ['a longer identifier that merely contains the prefix', 'NOT_FAILOVER_X', []],
  ])('%s', (_name, text, expected) => {
    expect(findCodes(text)).toEqual(expected);
  });
});

describe('comparing sources with the registry', () => {
  it('names undocumented codes with the files that use them, and documented codes nobody uses', () => {
    const diff = diffRegistry(
      new Map([
        ['FAILOVER_A', ['packages/x/src/a.ts']],
        ['FAILOVER_B', ['packages/y/src/b.ts']],
      ]),
      ['FAILOVER_A', 'FAILOVER_C'],
    );
    expect(diff).toEqual({
      undocumented: [{ code: 'FAILOVER_B', files: ['packages/y/src/b.ts'] }],
      unused: ['FAILOVER_C'],
    });
  });

  it('reads only back-quoted codes from the registry page', () => {
    expect(documentedCodes('| `FAILOVER_X` | when |\nFAILOVER_Y in prose, `FAILOVER_*` as a family')).toEqual([
      'FAILOVER_X',
    ]);
  });
});

describe(`${ERRORS_DOC_PATH}`, () => {
  it('is compared against the codes of core, protocol and the apps (the scan is not empty)', () => {
    const scanned = new Set([...sourceCodes.values()].flat().map((file) => file.split(path.sep)[1]));
    expect([...scanned]).toEqual(expect.arrayContaining(['core', 'protocol']));
    expect(sourceCodes.has('FAILOVER_TOWER_SIGNATURE')).toBe(true);
  });

  it.each([...sourceCodes.keys()].sort())('documents %s', (code) => {
    expect({ code, documented: documented.includes(code), usedIn: sourceCodes.get(code) }).toEqual({
      code,
      documented: true,
      usedIn: sourceCodes.get(code),
    });
  });

  it.each(documented)('lists %s, which a package source still uses', (code) => {
    expect({ code, used: sourceCodes.has(code) }).toEqual({ code, used: true });
  });
});
