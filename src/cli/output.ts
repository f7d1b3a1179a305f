import Table from 'cli-table3';
import type { CliIo } from './io.ts';

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * Human output on stdout (tables, lines), diagnostics on stderr, and with --json exactly one JSON document
 * on stdout and nothing else.
 */
export class Output {
  constructor(
    private readonly io: CliIo,
    readonly json: boolean,
    readonly quiet: boolean,
  ) {}

  get isTerminal(): boolean {
    return Boolean(this.io.stdout.isTTY);
  }

  /** The command's result: JSON in --json mode, else rendered by `human`. */
  result(data: unknown, human: () => void): void {
    if (this.json) this.io.stdout.write(JSON.stringify(data, null, 2) + '\n');
    else human();
  }

  /** One compact JSON line (bulk scripts: one line per result). */
  jsonLine(data: unknown): void {
    this.io.stdout.write(JSON.stringify(data) + '\n');
  }

  line(text = ''): void {
    if (!this.json) this.io.stdout.write(text + '\n');
  }

  /** Progress and notes for a person; silent under --json or --quiet. */
  note(text: string): void {
    if (!this.json && !this.quiet) this.io.stderr.write(text + '\n');
  }

  warn(text: string): void {
    this.io.stderr.write(`warning: ${text}\n`);
  }

  table<T>(rows: T[], columns: Column<T>[]): void {
    if (rows.length === 0) {
      this.line('(none)');
      return;
    }
    const table = new Table({
      head: columns.map((c) => c.header),
      style: { head: this.isTerminal ? ['cyan'] : [], border: this.isTerminal ? ['grey'] : [] },
    });
    for (const row of rows) table.push(columns.map((c) => cell(c.value(row))));
    this.line(table.toString());
  }

  /** Key/value pairs of one record. */
  record(pairs: Array<[string, unknown]>): void {
    const width = Math.max(...pairs.map(([k]) => k.length));
    for (const [k, v] of pairs) this.line(`${k.padEnd(width)}  ${cell(v)}`);
  }
}
