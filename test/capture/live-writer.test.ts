import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LiveFileWriter } from '../../src/capture/live-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'wl-live-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('LiveFileWriter.discard', () => {
  it('removes the file it created when the capture never started', () => {
    const path = join(dir, 'never.pcapng');
    new LiveFileWriter(path, { iface: 'lo', engine: 'tcpdump' }).discard();
    expect(existsSync(path)).toBe(false);
  });

  it('leaves a device such as /dev/null in place (as root, removing it would break the machine)', () => {
    new LiveFileWriter('/dev/null', { iface: 'lo', engine: 'tcpdump' }).discard();
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('still removes a regular file it truncated', () => {
    const path = join(dir, 'old.pcapng');
    writeFileSync(path, 'old');
    new LiveFileWriter(path, { iface: 'lo', engine: 'tcpdump' }).discard();
    expect(existsSync(path)).toBe(false);
  });
});
