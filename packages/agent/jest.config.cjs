const preset = require('../../jest.preset.cjs')(__dirname);

// fastify's inject() loads light-my-request, which requires `cookie`; the installed cookie 2.x
// ships ESM only (the root package.json's override to 1.1.1 is not in the current lockfile),
// so it is compiled to CommonJS here for Jest.
module.exports = {
  ...preset,
  transform: {
    ...preset.transform,
    '/node_modules/cookie/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!cookie/)'],
};
