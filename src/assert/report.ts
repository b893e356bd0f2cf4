/**
 * Check results as text (people), TAP version 13 (https://testanything.org/tap-version-13-specification.html,
 * for TAP consumers) or JUnit XML (the de-facto schema CI systems read: testsuites > testsuite >
 * testcase > failure).
 */
import type { CheckResult } from './spec.js';

export type ReporterName = 'text' | 'tap' | 'junit';
export const REPORTERS: readonly ReporterName[] = ['text', 'tap', 'junit'];

export function report(name: ReporterName, suite: string, results: readonly CheckResult[]): string {
  switch (name) {
    case 'text':
      return textReport(suite, results);
    case 'tap':
      return tapReport(results);
    case 'junit':
      return junitReport(suite, results);
  }
}

const indent = (s: string, by: string) =>
  s
    .split('\n')
    .map((l) => (l ? by + l : l))
    .join('\n');

export function textReport(suite: string, results: readonly CheckResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    out.push(`${r.pass ? 'PASS' : 'FAIL'}  ${r.name}`);
    if (!r.pass) out.push(indent(r.message, '      '), '');
  }
  const failed = results.filter((r) => !r.pass).length;
  out.push(`${suite}: ${results.length} check(s), ${results.length - failed} passed, ${failed} failed`);
  return `${out.join('\n')}\n`;
}

export function tapReport(results: readonly CheckResult[]): string {
  const out = ['TAP version 13', `1..${results.length}`];
  results.forEach((r, i) => {
    // A description must not contain '#' (it starts a directive) nor a newline.
    const desc = r.name.replace(/#/g, '\\#').replace(/\n/g, ' ');
    out.push(`${r.pass ? 'ok' : 'not ok'} ${i + 1} - ${desc}`);
    if (!r.pass) out.push('  ---', '  message: |', indent(r.message, '    '), '  ...');
  });
  return `${out.join('\n')}\n`;
}

function xml(s: string): string {
  // XML 1.0 §2.2 has no place for most C0 controls, even escaped: they are dropped.
  return s
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

export function junitReport(suite: string, results: readonly CheckResult[]): string {
  const failed = results.filter((r) => !r.pass).length;
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites tests="${results.length}" failures="${failed}">`, `  <testsuite name="${xml(suite)}" tests="${results.length}" failures="${failed}" errors="0">`];
  for (const r of results) {
    const head = `    <testcase classname="${xml(suite)}" name="${xml(r.name)}"`;
    if (r.pass) out.push(`${head}/>`);
    else {
      const first = r.message.split('\n')[0] ?? '';
      out.push(`${head}>`, `      <failure message="${xml(first)}">${xml(r.message)}</failure>`, '    </testcase>');
    }
  }
  out.push('  </testsuite>', '</testsuites>');
  return `${out.join('\n')}\n`;
}
