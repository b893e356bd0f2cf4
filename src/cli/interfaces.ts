/**
 * `wirelens interfaces`: what can be captured here. Interfaces come from the capture engine's own
 * list (names as -i takes them, pseudo-devices such as `any` included) with addresses from the OS and
 * the link types libpcap captures them as (default first), and each engine says whether it is usable
 * and why not.
 */
import { engineStatuses, listInterfaces } from '../capture/engines.js';
import { escapeControl } from '../output/escape.js';

export function runInterfaces(opts: { json?: boolean }): number {
  const interfaces = listInterfaces();
  const engines = engineStatuses();
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ interfaces, engines }, null, 2)}\n`);
    return 0;
  }
  const width = Math.max(4, ...interfaces.map((i) => i.name.length));
  for (const i of interfaces) {
    const links = i.linkTypes.length ? `link ${i.linkTypes.map((l) => `${l.name}(${l.linkType})`).join(' ')}` : 'link unknown';
    const extra = [links, i.description && `(${i.description})`, i.flags.length ? `[${i.flags.join(', ')}]` : '', i.addresses.join(' ')].filter(Boolean).join('  ');
    // Interface names and descriptions come from the system; never let them move the cursor.
    process.stdout.write(`${escapeControl(i.name.padEnd(width))}  ${escapeControl(extra)}\n`);
  }
  process.stdout.write('\nengines:\n');
  for (const e of engines) process.stdout.write(`  ${e.engine.padEnd(8)} ${e.usable ? 'usable' : 'not usable'}: ${e.path ? `${e.path}, ` : ''}${e.note}\n`);
  return 0;
}
