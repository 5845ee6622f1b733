#!/usr/bin/env node
// Shim only: everything lives in the built entry point.
import module from 'node:module';
// Node >= 22.1 caches compiled code between runs; on 20 this is a no-op.
module.enableCompileCache?.();
const { main } = await import('../dist/cli.js');
process.exitCode = await main(process.argv);
