#!/usr/bin/env -S node --max-semi-space-size=1
'use strict';
// V8's young generation kept at 1 MiB per semi-space: docs/benchmarks.md, "Agent memory", says why.
require('../dist/index.js').main(process.argv.slice(2));
