import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Figure name (units in the name) → number; later benchmarks add to the same object. */
export type Figures = Record<string, number>;

export interface Goal {
  figure: string;
  /** `min`: the figure must be at least the target; `max`: at most. */
  kind: 'min' | 'max';
  target: number;
  note: string;
}

export const ROOT = join(__dirname, '..', '..', '..');
const RESULTS_FILE = join(ROOT, 'bench-results.json');
const BENCHMARKS_DOC = join(ROOT, 'docs', 'benchmarks.md');
const TABLE_START = '<!-- bench:latest:start -->';
const TABLE_END = '<!-- bench:latest:end -->';

export function recordFigures(figures: Figures): Figures {
  const previous: Figures = existsSync(RESULTS_FILE) ? JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) : {};
  const merged = { ...previous, ...figures };
  writeFileSync(RESULTS_FILE, `${JSON.stringify(merged, null, 2)}\n`);
  return merged;
}

/** Rewrites the "latest run" table in docs/benchmarks.md, leaving the rest of the page alone. */
export function writeTable(figures: Figures, goals: readonly Goal[], header: string): void {
  const rows = Object.entries(figures).map(([name, value]) => {
    const goal = goals.find((candidate) => candidate.figure === name);
    const verdict = goal ? `${goal.kind === 'min' ? '≥' : '≤'} ${goal.target} — ${meets(value, goal) ? 'met' : 'NOT met'}` : '';
    return `| \`${name}\` | ${format(value)} | ${verdict} |`;
  });
  const table = [TABLE_START, header, '', '| figure | value | goal |', '|---|---:|---|', ...rows, TABLE_END].join('\n');
  const page = existsSync(BENCHMARKS_DOC) ? readFileSync(BENCHMARKS_DOC, 'utf8') : '# Benchmarks\n\n';
  const start = page.indexOf(TABLE_START);
  const end = page.indexOf(TABLE_END);
  const next = start >= 0 && end > start ? page.slice(0, start) + table + page.slice(end + TABLE_END.length) : `${page.trimEnd()}\n\n${table}\n`;
  writeFileSync(BENCHMARKS_DOC, next);
}

export function meets(value: number, goal: Goal): boolean {
  return goal.kind === 'min' ? value >= goal.target : value <= goal.target;
}

function format(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(3);
}
