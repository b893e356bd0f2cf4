/**
 * `wirelens check FILE --expect FILTER… [--expect-none FILTER…] [--spec checks.yaml] [--reporter text|tap|junit]`:
 * asserts protocol behaviour on a capture, for CI. Exit 0 when every expectation holds, 1 when one
 * fails (the report says which, what was found and shows the frames), 2 on bad usage (a bad filter
 * or spec: the error on stderr). Every filter and the spec are checked before the capture is read,
 * so a typo never costs a read of a large file.
 *
 *   wirelens record -i lo -f 'tcp port 8080' -w run.pcapng -- npm test && wirelens check run.pcapng --spec checks.yaml
 */
import { WirelensError } from '../errors.js';
import { openTrace } from '../assert/trace.js';
import { expectAny, expectNone, loadSpec, runChecks, type Check } from '../assert/spec.js';
import { report, type ReporterName } from '../assert/report.js';
import { LineSink } from '../output/sink.js';
import { reportWarnings } from './common.js';

export interface CheckOptions {
  expect?: string[];
  expectNone?: string[];
  spec?: string;
  reporter: ReporterName;
}

export async function runCheck(file: string, opts: CheckOptions): Promise<number> {
  const checks: Check[] = [];
  for (const f of opts.expect ?? []) checks.push(expectAny(f));
  for (const f of opts.expectNone ?? []) checks.push(expectNone(f));
  if (opts.spec) checks.push(...loadSpec(opts.spec));
  if (checks.length === 0) throw new WirelensError('WL_ERR_USAGE', 'check: nothing to check (give --expect, --expect-none or --spec)');
  const trace = await openTrace(file);
  const results = runChecks(trace, checks);
  const sink = new LineSink();
  for (const line of report(opts.reporter, `wirelens check ${trace.name}`, results).replace(/\n$/, '').split('\n')) sink.line(line);
  await sink.flush(true);
  reportWarnings(trace.warnings);
  return results.every((r) => r.pass) ? 0 : 1;
}
