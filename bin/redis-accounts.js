#!/usr/bin/env node
// Shim only: everything lives in the built entry point. CommonJS on purpose (bin/package.json):
// require() of the ES module dist/main.js (Node >= 20.19) starts ~5 ms sooner than import(),
// which sets up the asynchronous ES module loader first. It needs dist/main.js's static
// imports to have no top-level await; the commands' chunks load later through import().
const { enableCompileCache } = require('node:module');
// Node >= 22.1 caches compiled code between runs; on 20 this is a no-op.
enableCompileCache?.();
require('../dist/main.js')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
