// For child processes run with ts-node (crash tests): resolves `@accrual/<lib>` to libs/<lib>/src,
// as jest's moduleNameMapper and tsconfig paths do.
const Module = require('node:module');
const path = require('node:path');
const root = path.resolve(__dirname, '..', '..', '..', '..');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const match = /^@accrual\/([a-z-]+)$/.exec(request);
  return resolve.call(this, match ? path.join(root, 'libs', match[1], 'src') : request, ...rest);
};
