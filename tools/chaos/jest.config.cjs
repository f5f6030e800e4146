const path = require('node:path');

const preset = require('../../jest.preset.cjs')(__dirname);

// The campaign drives the stack harness of tools/e2e from its sources, like every other
// workspace package the preset maps.
module.exports = {
  ...preset,
  moduleNameMapper: { ...preset.moduleNameMapper, '^@failover/e2e$': path.join(__dirname, '../e2e/src/index.ts') },
};
