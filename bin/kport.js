#!/usr/bin/env node
// The `kport` command: the bundled CLI (built into dist/ by `npm run build`, run by `npm ci` via prepare).

process.env.KPORT_CLI_MAIN = '1';
require('../dist/cli.js');
