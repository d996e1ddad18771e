import * as vm from 'node:vm';

/**
 * PGlite loads its Node file-system layer with a dynamic `import()`, which jest's VM allows only
 * when node runs with `--experimental-vm-modules` (`npm test` sets it; ADR 0002). Without the
 * flag, opening PGlite rejects outside any test and takes the whole file down, so PGlite suites
 * are declared only when the flag is on; otherwise a failing test says what is missing.
 */
export function pgliteLoadable(): boolean {
  return 'SourceTextModule' in vm;
}

export function describePgliteUnavailable(name: string): void {
  describe(name, () => {
    it('needs node --experimental-vm-modules under jest', () => {
      throw new Error('PGlite cannot load in jest without --experimental-vm-modules: run `npm test -- libs/event-store`');
    });
  });
}

export function describeWithPglite(name: string, suite: () => void): void {
  if (pgliteLoadable()) describe(name, suite);
  else describePgliteUnavailable(name);
}
