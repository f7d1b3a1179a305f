import { createRequire } from 'node:module';

/** One metric family as parse-prometheus-text-format returns it. */
export interface MetricFamily {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Array<{ value?: string; labels?: Record<string, string> }>;
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  /** Families (name, help, type) by name, from parse-prometheus-text-format, which throws on a malformed line. */
  families: Map<string, MetricFamily>;
  /** Every sample line (`_bucket`, `_sum`, `_count` included), labels unescaped. */
  samples: Sample[];
}

const parseFamilies = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => MetricFamily[];

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * Parses a Prometheus text exposition: the families with an independent parser (its histogram flattening drops
 * labels, so samples are read line by line here as well, per the text format's grammar).
 */
export function parsePrometheusText(text: string): Exposition {
  const families = new Map(parseFamilies(text).map((family) => [family.name, family]));
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? '').matchAll(LABEL)) labels[key] = raw.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return { families, samples };
}

/** The value of the first sample named `name` whose labels include `labels` (0 when there is none). */
export function sampleValue(exposition: Exposition, name: string, labels: Record<string, string> = {}): number {
  const sample = exposition.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return sample?.value ?? 0;
}
