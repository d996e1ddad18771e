'use strict';

const fs = require('node:fs');

/**
 * Prints one plain closing line as the very last line of a jest run, for tools that read it:
 *
 *   N passed, M failed            or, when tests were skipped,   N passed, M failed, K skipped
 *
 * N: tests that passed. K: skipped tests (jest's numPendingTests: `it.skip`, tests of a skipped
 * `describe`; `it.todo` placeholders are not tests and are not counted).
 * M: tests that failed, plus every test file that failed without a failing test of its own: a
 * file that did not compile or threw while loading (jest's "runtime error" suites), or one whose
 * `afterAll` hook threw. Such a file ran no test that could fail, so it counts once, as one
 * failure; a run whose files broke must never read "0 failed".
 *
 * Jest always calls its own summary reporter after the custom ones, and may print more after
 * that ("Jest did not exit one second after..."), so the line is written when the process exits
 * (synchronously, straight to fd 1). In watch mode, where the process does not exit, it is
 * printed at the end of each run instead.
 */
class SummaryReporter {
  constructor(globalConfig) {
    this.watching = Boolean(globalConfig && (globalConfig.watch || globalConfig.watchAll));
    this.line = undefined;
    this.registered = false;
  }

  onRunComplete(_contexts, results) {
    this.line = SummaryReporter.format(results);
    if (this.watching) {
      SummaryReporter.print(this.line);
      return;
    }
    if (!this.registered) {
      this.registered = true;
      process.once('exit', () => SummaryReporter.print(this.line));
    }
  }

  static format(results) {
    const passed = results.numPassedTests;
    const skipped = results.numPendingTests;
    const brokenFiles = (results.testResults || []).filter(
      (file) => (file.testExecError || file.failureMessage) && file.numFailingTests === 0,
    ).length;
    // numRuntimeErrorTestSuites counts the files with a testExecError, all of which have no
    // failing test and so are in brokenFiles already; take the larger in case jest ever reports
    // one without the other.
    const failed = results.numFailedTests + Math.max(brokenFiles, results.numRuntimeErrorTestSuites || 0);
    let line = `${passed} passed, ${failed} failed`;
    if (skipped > 0) line += `, ${skipped} skipped`;
    return line;
  }

  static print(line) {
    if (line === undefined) return;
    try {
      fs.writeSync(1, `\n${line}\n`);
    } catch {
      // stdout closed: nothing to tell.
    }
  }
}

module.exports = SummaryReporter;
