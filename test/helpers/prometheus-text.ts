// Checks a Prometheus text exposition as a scraper would rely on it: every family has
// HELP and TYPE, every sample belongs to a declared family, histogram buckets are
// cumulative and end at +Inf equal to _count, and (given an earlier scrape) counters
// never went down. Returns the problems found; empty means the text is sound.

export interface ParsedExposition {
  readonly types: Map<string, string>;
  readonly helps: Set<string>;
  /** Sample name with its labels (as written) to value. */
  readonly samples: Map<string, number>;
}

const sampleLinesMax = 1_000_000;

export function parseExposition(text: string): ParsedExposition {
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples = new Map<string, number>();
  const lines = text.split('\n').slice(0, sampleLinesMax);
  for (const line of lines) {
    if (line === '') continue;
    const help = /^# HELP (\S+) /.exec(line);
    if (help) helps.add(help[1] as string);
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1] as string, type[2] as string);
    if (line.startsWith('#')) continue;
    const sample = /^(\S+?(?:\{.*\})?) (\S+)$/.exec(line);
    if (sample) samples.set(sample[1] as string, Number(sample[2]));
  }
  return { types, helps, samples };
}

function familyOf(sampleName: string, types: Map<string, string>): string | undefined {
  const bare = sampleName.replace(/\{.*$/, '');
  if (types.has(bare)) return bare;
  for (const suffix of ['_bucket', '_sum', '_count', '_total', '_created']) {
    if (bare.endsWith(suffix) && types.has(bare.slice(0, -suffix.length)))
      return bare.slice(0, -suffix.length);
  }
  return undefined;
}

export function expositionProblems(text: string, earlier?: string): string[] {
  const parsed = parseExposition(text);
  const problems: string[] = [];
  for (const family of parsed.types.keys())
    if (!parsed.helps.has(family)) problems.push(`${family} has TYPE but no HELP`);
  for (const family of parsed.helps)
    if (!parsed.types.has(family)) problems.push(`${family} has HELP but no TYPE`);
  for (const [name, value] of parsed.samples) {
    const family = familyOf(name, parsed.types);
    if (family === undefined) problems.push(`${name} belongs to no declared family`);
    // NaN is a valid gauge value (prom-client's event-loop lag before a sample).
    const type = family === undefined ? undefined : parsed.types.get(family);
    if (type !== 'gauge' && Number.isNaN(value)) problems.push(`${name} is not a number`);
    if (type === 'counter' && value < 0) problems.push(`counter ${name} is negative`);
  }
  problems.push(...histogramProblems(parsed));
  if (earlier !== undefined) problems.push(...counterDecreases(parseExposition(earlier), parsed));
  return problems;
}

function histogramProblems(parsed: ParsedExposition): string[] {
  const problems: string[] = [];
  const series = new Map<string, { le: number; value: number }[]>();
  for (const [name, value] of parsed.samples) {
    const bucket = /^(\S+)_bucket\{(.*)\}$/.exec(name);
    if (!bucket) continue;
    const labels = bucket[2] as string;
    const le = /le="([^"]+)"/.exec(labels)?.[1] ?? '';
    const rest = labels.replace(/,?le="[^"]+"/, '');
    const key = `${bucket[1]}{${rest}}`;
    const list = series.get(key) ?? [];
    list.push({ le: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), value });
    series.set(key, list);
  }
  for (const [key, buckets] of series) {
    buckets.sort((left, right) => left.le - right.le);
    for (let index = 1; index < buckets.length; index++) {
      if ((buckets[index]?.value ?? 0) < (buckets[index - 1]?.value ?? 0))
        problems.push(`${key}: buckets are not cumulative at le=${buckets[index]?.le}`);
    }
    const last = buckets.at(-1);
    if (last === undefined || last.le !== Number.POSITIVE_INFINITY)
      problems.push(`${key}: no +Inf bucket`);
    const countName = key.replace(/^(\S+?)\{(.*)\}$/, (_, base: string, rest: string) =>
      rest === '' ? `${base}_count` : `${base}_count{${rest}}`,
    );
    const count = parsed.samples.get(countName);
    if (last !== undefined && count !== undefined && count !== last.value)
      problems.push(`${key}: +Inf bucket ${last.value} differs from _count ${count}`);
  }
  return problems;
}

function counterDecreases(before: ParsedExposition, after: ParsedExposition): string[] {
  const problems: string[] = [];
  for (const [name, value] of before.samples) {
    const family = familyOf(name, after.types);
    const type = family === undefined ? undefined : after.types.get(family);
    const grows = type === 'counter' || (type === 'histogram' && !name.includes('_sum'));
    const now = after.samples.get(name);
    if (grows && now !== undefined && now < value)
      problems.push(`${name} went down from ${value} to ${now}`);
  }
  return problems;
}
