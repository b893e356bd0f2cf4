/**
 * End-to-end tests of `wirelens open` in a real terminal (tmux, see tmux-session.ts). They
 * run the built CLI (bin/wirelens → dist/), so `npm test` (which builds first) exercises them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appPid, built, haveTmux, keys, ROOT, start, tmux, type, useTmuxServer, waitFor } from './tmux-session.js';

const FILE = join(ROOT, 'traces', 'http-get-loopback.pcapng');
if (!haveTmux) console.warn('test/tui/tmux.test.ts: tmux not installed, end-to-end TUI tests skipped');
if (!built) console.warn('test/tui/tmux.test.ts: dist/ not built (npm run build), end-to-end TUI tests skipped');

useTmuxServer();

// '20 packets |': indexed to the end (while indexing, the status line says '20 packets (indexing …%)').
const firstScreen = (s: string) => /No\. +Time +Source/.test(s) && s.includes('20 packets |');

describe.skipIf(!haveTmux || !built)('wirelens open in tmux', () => {
  it('shows the first screen: packet list, layers, bytes, status line', async () => {
    const t = start(`open ${FILE}`);
    // While indexing, the status line counts up; the settled one names the file and the selection.
    const s = await waitFor(t, (x) => firstScreen(x) && x.includes('| frame 1'), 'the first screen');
    expect(s).toMatch(/ 4 +0\.000175 127\.0\.0\.1 +127\.0\.0\.1 +HTTP +154 GET \/index\.html HTTP\/1\.1/);
    expect(s).toContain('Layers');
    expect(s).toContain('▸ tcp (40 bytes at 34)');
    expect(s).toMatch(/0000 {2}00 00 00 00 00 00 00 00 {2}00 00 00 00 08 00 45 00 {2}\.{14}E\./);
    expect(s).toContain('http-get-loopback.pcapng | 20 packets | frame 1');
  });

  it('shows the selected packet analysed as read analyses it: its http layer and tcp.stream', async () => {
    const t = start(`open ${FILE}`);
    await waitFor(t, firstScreen, 'the first screen');
    // Frame 4 completes the GET: decoded alone it is tcp and data; analysed in order, tcp and http.
    keys(t, 'Down', 'Down', 'Down');
    let s = await waitFor(t, (x) => x.includes('| frame 4') && x.includes('▸ http ('), 'the GET analysed');
    expect(s).not.toContain('▸ data (');
    keys(t, 'Tab', 'Down', 'Down', 'Down', 'Enter');
    await waitFor(t, (x) => x.includes('▾ tcp ('), 'the expanded tcp layer');
    // The context fields follow the layer's own, as in read --json: walk down to them.
    for (let k = 0; k < 40 && !/ {4}tcp\.stream: 0/.test(s); k++) {
      keys(t, 'Down');
      await new Promise((r) => setTimeout(r, 40));
      s = tmux('capture-pane', '-p', '-t', t);
    }
    expect(s).toMatch(/ {4}tcp\.stream: 0/);
    // Back to frame 1, which the pass keeps: its tree has no http.
    keys(t, 'Tab', 'Tab', 'Home');
    await waitFor(t, (x) => x.includes('| frame 1') && x.includes('▾ tcp (') && !x.includes('▸ http ('), 'frame 1');
  });

  it('filters with /, shows a bad filter inline and keeps the last good one', async () => {
    const t = start(`open ${FILE}`);
    await waitFor(t, firstScreen, 'the first screen');
    keys(t, '/');
    type(t, 'http');
    keys(t, 'Enter');
    let s = await waitFor(t, (x) => x.includes('4 shown'), 'the filtered list');
    expect(s).toContain('Filter: http');
    expect(s).not.toMatch(/^ +1 +0\.000000/m);
    keys(t, '/', 'End');
    type(t, ' &&');
    keys(t, 'Enter');
    s = await waitFor(t, (x) => x.includes('display filter:'), 'the inline error');
    expect(s).toMatch(/ {2}http &&\n {2}\s*\^/);
    keys(t, 'Escape');
    s = await waitFor(t, (x) => !x.includes('display filter:'), 'the error to close');
    expect(s).toContain('4 shown');
    expect(s).toContain('Filter: http');
  });

  it('expands a layer in the tree and highlights the field bytes in the hex pane', async () => {
    const t = start(`open ${FILE}`);
    await waitFor(t, firstScreen, 'the first screen');
    keys(t, 'Tab', 'Down', 'Down', 'Enter');
    await waitFor(t, (x) => x.includes('▾ ip (20 bytes at 14)'), 'the expanded ip layer');
    // Down to ip.ttl: version, hdr_len, dsfield, dscp, ecn, len, id, flags …: find it by walking.
    let s = '';
    for (let k = 0; k < 20; k++) {
      keys(t, 'Down');
      await new Promise((r) => setTimeout(r, 60));
      s = tmux('capture-pane', '-p', '-e', '-t', t);
      if (/\x1b\[7m {4}ip\.ttl: 64/.test(s)) break;
    }
    expect(s).toMatch(/\x1b\[7m {4}ip\.ttl: 64/);
    // The TTL byte (offset 22 = line 0010, seventh byte, 0x40) is inverse in the dump.
    expect(s).toMatch(/0010 {2}00 3c 53 5e 40 00 \x1b\[7m40/);
  });

  it('lists every key on ? and closes the help on any key', async () => {
    const t = start(`open ${FILE}`);
    await waitFor(t, firstScreen, 'the first screen');
    keys(t, '?');
    const s = await waitFor(t, (x) => x.includes('wirelens — keys'), 'the help');
    for (const k of ['PgUp', 'Tab', 'jump to a frame number', 'display filter', 'connections table', 'ladder full screen', 'follow stream', 'search text', 'graphs of the selected', 'ladder pane on/off', 'quit']) expect(s).toContain(k);
    keys(t, 'x');
    await waitFor(t, (x) => !x.includes('wirelens — keys'), 'the help to close');
  });

  it('jumps with :, adds a note with n and writes it with w', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wl-tui-'));
    try {
      const copy = join(dir, 'trace.pcapng');
      execFileSync('cp', [FILE, copy]);
      const t = start(`open ${copy}`);
      await waitFor(t, (x) => x.includes('20 packets'), 'the first screen');
      keys(t, ':');
      type(t, '6');
      keys(t, 'Enter');
      await waitFor(t, (x) => x.includes('| frame 6'), 'frame 6 selected');
      keys(t, 'n');
      type(t, 'the response {bold}');
      keys(t, 'Enter');
      await waitFor(t, (x) => x.includes('1 note(s)') && /\*6 +0\.003928/.test(x), 'the note mark');
      keys(t, 'w');
      await waitFor(t, (x) => x.includes('wrote 1 note(s)'), 'the notes written');
      const out = join(dir, 'trace.notes.pcapng');
      const read = execFileSync('node', [join(ROOT, 'bin', 'wirelens'), 'read', out], { encoding: 'utf8' });
      expect(read).toMatch(/^ +6 .*\[note: the response \{bold\}\]$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('c lists the connections; Enter narrows the packet list to that stream; Esc and c return', async () => {
    const t = start(`open ${FILE}`, 80, 24);
    await waitFor(t, firstScreen, 'the first screen');
    keys(t, 'c');
    let s = await waitFor(t, (x) => x.includes('Connections in http-get-loopback.pcapng: 2'), 'the connections view');
    expect(s).toMatch(/^ +0 tcp SF +0 +0\.136 +492\/500 ShADadFf +127\.0\.0\.1:35354 → /m);
    expect(s).toMatch(/^ +1 tcp SF +0 +0\.224 +506\/472 ShADadFf +127\.0\.0\.1:35370 → /m);
    // Esc alone (a key right after it would read as Meta-key), then c opens and c closes.
    keys(t, 'Escape');
    await waitFor(t, (x) => x.includes('Layers') && !x.includes('Connections in'), 'the packet panes');
    keys(t, 'c');
    await waitFor(t, (x) => x.includes('Connections in http-get-loopback.pcapng: 2'), 'the connections view');
    keys(t, 'c');
    await waitFor(t, (x) => x.includes('Layers') && !x.includes('Connections in'), 'the packet panes');
    keys(t, 'c');
    await waitFor(t, (x) => x.includes('Connections in http-get-loopback.pcapng: 2'), 'the connections view');
    keys(t, 'Down', 'Enter');
    s = await waitFor(t, (x) => x.includes('10 shown') && x.includes('Filter: tcp.stream == 1'), 'the narrowed list');
    expect(s).toContain('| frame 11');
    expect(s).not.toMatch(/^ +1 +0\.000000/m);
  });

  it('m lists the messages of the trace; Enter goes to the frame', async () => {
    const t = start(`open ${FILE}`);
    await waitFor(t, firstScreen, 'the first screen');
    keys(t, 'm');
    const s = await waitFor(t, (x) => x.includes('Messages in http-get-loopback.pcapng: 4'), 'the messages view');
    expect(s).toMatch(/^ +4 +0\.000175 tcp\/0 c2s http request GET \/index\.html HTTP\/1\.1/m);
    expect(s).toMatch(/^ +16 +0\.010338 tcp\/1 s2c http response 200 OK text\/html body 80 B for frame 14/m);
    keys(t, 'Down', 'Down', 'Enter');
    await waitFor(t, (x) => x.includes('| frame 14') && x.includes('Layers'), 'frame 14 selected');
  });

  it("m then a narrows the messages to the selected packet's stream, a again widens them", async () => {
    const t = start(`open ${FILE}`);
    await waitFor(t, firstScreen, 'the first screen');
    keys(t, ':');
    type(t, '14');
    keys(t, 'Enter');
    await waitFor(t, (x) => x.includes('| frame 14'), 'frame 14 selected');
    keys(t, 'm');
    await waitFor(t, (x) => x.includes('Messages in http-get-loopback.pcapng: 4'), 'the messages view');
    keys(t, 'a');
    const s = await waitFor(t, (x) => x.includes('Messages of tcp.stream 1: 2'), 'the stream-only view');
    expect(s).toMatch(/^ +14 +0\.009932 tcp\/1 c2s http request GET \/about/m);
    expect(s).not.toContain('tcp/0');
    keys(t, 'a');
    await waitFor(t, (x) => x.includes('Messages in http-get-loopback.pcapng: 4') && x.includes('tcp/0'), 'the whole trace again');
  });

  it('l shows the ladder of the selected connection with the selected frame highlighted', async () => {
    const t = start(`open ${FILE}`);
    await waitFor(t, firstScreen, 'the first screen');
    keys(t, ':');
    type(t, '6');
    keys(t, 'Enter');
    await waitFor(t, (x) => x.includes('| frame 6'), 'frame 6 selected');
    keys(t, 'l');
    const s = await waitFor(t, (x) => x.includes('Ladder of tcp.stream 0, frame 6 highlighted'), 'the ladder');
    expect(s).toContain('127.0.0.1:35354');
    expect(s).toMatch(/^\| +4 +0\.000175 +\|- GET \/index\.html -+>\|/m);
    const colored = tmux('capture-pane', '-p', '-e', '-t', t);
    expect(colored).toMatch(/\x1b\[7m\| +6 +0\.003928 +\|<-+ 200 OK -\|/);
    keys(t, 'l');
    await waitFor(t, (x) => x.includes('Layers') && !x.includes('Ladder of'), 'the packet panes');
  });

  it('g graphs the selected stream: sequence, throughput and RTT, Tab switches, d flips, Esc back', async () => {
    const t = start(`open ${FILE}`);
    await waitFor(t, firstScreen, 'the first screen');
    keys(t, 'g');
    let s = await waitFor(t, (x) => x.includes('Graphs of tcp.stream 0: [Sequence]') && x.includes('Sequence number'), 'the sequence graph');
    expect(s).toContain('A = 127.0.0.1:35354   B = 127.0.0.1:8080   10 segments, 0 retransmitted');
    // The server sent more, so its direction comes first; the legend names the three series.
    expect(s).toContain('Sequence number (B) over time (s), data B→A');
    expect(s).toMatch(/● ack A→B +● seq B→A +● retransmitted/);
    // The axes: y labels against the braille axis, the baseline, time labels under it.
    expect(s).toMatch(/^0 +⡇/m);
    expect(s).toMatch(/^ +⠓⠒⠒⠒/m);
    expect(s).toMatch(/^ +0\.0+ +0\.\d+ +0\.\d+ +0\.\d+/m);
    keys(t, 'd');
    await waitFor(t, (x) => x.includes('Sequence number (B) over time (s), data A→B'), 'the other direction');
    keys(t, 'Tab');
    s = await waitFor(t, (x) => x.includes('[Throughput]') && x.includes('Throughput (B per'), 'the throughput graph');
    expect(s).toMatch(/● A→B +● B→A/);
    keys(t, 'Tab');
    await waitFor(t, (x) => x.includes('[RTT]') && x.includes('RTT (ms, tcp.analysis.ack_rtt) over time (s)'), 'the RTT graph');
    keys(t, 'BTab');
    await waitFor(t, (x) => x.includes('[Throughput]'), 'the throughput graph again');
    keys(t, 'Escape');
    await waitFor(t, (x) => x.includes('Layers') && !x.includes('Graphs of'), 'the packet panes');
  });

  it('g on a synthetic lossy transfer marks its retransmissions in red', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wl-tui-'));
    try {
      const file = join(dir, 'lossy.pcapng');
      execFileSync('node', [join(ROOT, 'bin', 'wirelens'), 'synth', 'lossy-transfer', '-o', file], { stdio: 'ignore' });
      // How many there are, by tshark when it is installed (else by our own reader).
      const tshark = spawnSync('tshark', ['-n', '-r', file, '-Y', 'tcp.analysis.retransmission'], { encoding: 'utf8' });
      const list = tshark.status === 0 ? tshark.stdout : execFileSync('node', [join(ROOT, 'bin', 'wirelens'), 'read', '-Y', 'tcp.analysis.retransmission', file], { encoding: 'utf8' });
      const retransmitted = list.split('\n').filter((l) => l.trim()).length;
      expect(retransmitted).toBeGreaterThan(0);
      const t = start(`open ${file}`);
      await waitFor(t, (x) => /No\. +Time +Source/.test(x), 'the first screen');
      keys(t, 'g');
      const s = await waitFor(t, (x) => x.includes(`segments, ${retransmitted} retransmitted`), 'the sequence graph');
      expect(s).toContain('data A→B');
      // Red braille dots: the retransmissions drawn over the sequence line.
      expect(tmux('capture-pane', '-p', '-e', '-t', t)).toMatch(/\x1b\[31m[\u2801-\u28ff]/u);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the ladder pane shows on a wide terminal and follows the selection; L toggles it', async () => {
    const t = start(`open ${FILE}`, 200, 50);
    await waitFor(t, (x) => firstScreen(x) && x.includes('Ladder of tcp.stream 0') && x.includes('127.0.0.1:35354'), 'the first screen with the ladder pane');
    const lit = (frame: number) => new RegExp(`\x1b\\[7m[|+] +${frame} +0\\.\\d{6} +\\|`);
    await waitFor(t, (x) => lit(1).test(x), 'frame 1 highlighted', undefined, true);
    keys(t, 'Down', 'Down', 'Down');
    await waitFor(t, (x) => lit(4).test(x) && !lit(1).test(x), 'frame 4 highlighted', undefined, true);
    keys(t, ':');
    type(t, '14');
    keys(t, 'Enter');
    const s = await waitFor(t, (x) => x.includes('Ladder of tcp.stream 1') && lit(14).test(x), 'the other stream with frame 14 highlighted', undefined, true);
    expect(s).toContain('127.0.0.1:35370');
    keys(t, 'L');
    await waitFor(t, (x) => !x.includes('Ladder of tcp.stream') && x.includes('| frame 14'), 'the pane hidden');
    keys(t, 'L');
    await waitFor(t, (x) => x.includes('Ladder of tcp.stream 1'), 'the pane back');
  });

  it('the mouse: a click selects a row and focuses a pane, the wheel scrolls the list', async () => {
    const t = start(`open ${FILE}`, 120, 24);
    await waitFor(t, firstScreen, 'the first screen');
    // SGR mouse reports (xterm 1006): ESC [ < button ; column ; row M for a press, 1-based.
    // The list's header is row 1, so frame 5 is on row 6.
    const press = (button: number, col: number, row: number) => type(t, `\x1b[<${button};${col};${row}M`);
    press(0, 10, 6);
    let s = await waitFor(t, (x) => x.includes('| frame 5'), 'frame 5 selected by a click');
    expect(s).toMatch(/^ +5 +0\.000179 /m);
    const treeTop = s.split('\n').findIndex((l) => l.includes('Layers')) + 1;
    press(0, 10, treeTop + 1);
    await waitFor(t, (x) => x.includes('▶ Layers'), 'the layer tree focused by a click');
    // The wheel (button 65 down) scrolls the list: frame 1 leaves the top, the selection stays.
    press(65, 10, 3);
    s = await waitFor(t, (x) => /^ +4 +0\.000175 /m.test(x.split('\n')[1] ?? ''), 'the list scrolled by three rows');
    expect(s).toContain('| frame 5');
  });

  it('the mouse in the messages table: a click selects a row, a second click on it goes to its frame', async () => {
    const t = start(`open ${FILE}`, 120, 24);
    await waitFor(t, firstScreen, 'the first screen');
    keys(t, 'm');
    const s = await waitFor(t, (x) => x.includes('Messages in http-get-loopback.pcapng: 4'), 'the messages view');
    // The view's title and header take rows 1 and 2; the third message (frame 14) is on row 5.
    const row = s.split('\n').findIndex((l) => /^ +14 +0\.009932 tcp\/1 c2s http request GET \/about/.test(l)) + 1;
    expect(row).toBeGreaterThan(2);
    const press = () => type(t, `\x1b[<0;10;${row}M`);
    press();
    await waitFor(t, (x) => /\x1b\[7m(?:\x1b\[[\d;]*m)* +14 +0\.009932/.test(x), 'the row highlighted', undefined, true);
    press();
    await waitFor(t, (x) => x.includes('| frame 14') && x.includes('Layers'), 'frame 14 selected in the packet list');
  });

  it('f follows the selected TCP stream as text', async () => {
    const t = start(`open ${FILE}`);
    await waitFor(t, firstScreen, 'the first screen');
    keys(t, 'f');
    // The title is drawn before the stream is read: wait for the text itself.
    const s = await waitFor(t, (x) => x.includes('Follow tcp.stream 0') && x.includes('Hello from a real loopback server'), 'the follow view');
    expect(s).toMatch(/^GET \/index\.html HTTP\/1\.1$/m);
    expect(s).toMatch(/^HTTP\/1\.1 200 OK$/m);
    expect(s).toContain('<p>Hello from a real loopback server.</p>');
  });

  it('s searches text in the columns and bytes, hex in the bytes; N and P repeat it', async () => {
    const t = start(`open ${FILE}`);
    await waitFor(t, firstScreen, 'the first screen');
    keys(t, 's');
    type(t, 'hello from');
    keys(t, 'Enter');
    await waitFor(t, (x) => x.includes('| frame 6 | found in frame 6 at byte 255'), 'the text in the bytes');
    // The match is highlighted in the dump: "H" ends line 00f0, "ello from" starts line 0100.
    expect(tmux('capture-pane', '-p', '-e', '-t', t)).toMatch(/0100 {2}\x1b\[7m65/);
    keys(t, 's');
    for (let k = 0; k < 10; k++) keys(t, 'BSpace');
    type(t, '/about');
    keys(t, 'Enter');
    await waitFor(t, (x) => x.includes('| frame 14 | found in frame 14'), 'the text in the Info column');
    keys(t, 's');
    for (let k = 0; k < 6; k++) keys(t, 'BSpace');
    type(t, '0x 1f 90');
    keys(t, 'Enter');
    await waitFor(t, (x) => x.includes('| frame 15 | found in frame 15 at byte 34'), 'the next hex match');
    keys(t, 'P');
    await waitFor(t, (x) => x.includes('| frame 14 | found in frame 14 at byte 36'), 'the previous hex match');
    keys(t, 'N');
    await waitFor(t, (x) => x.includes('| frame 15 | found in frame 15 at byte 34'), 'the next hex match again');
  });

  it('quits with q back to a clean shell with the terminal in cooked mode', async () => {
    const t = start(`open ${FILE}`);
    await waitFor(t, firstScreen, 'the first screen');
    keys(t, 'q');
    const s = await waitFor(t, (x) => x.includes('WL-EXIT=0'), 'the shell');
    expect(s).not.toContain('Layers');
    type(t, 'stty -a | tr " " "\\n" | grep -x -e icanon -e echo');
    keys(t, 'Enter');
    await waitFor(t, (x) => /^icanon$/m.test(x) && /^echo$/m.test(x), 'a cooked terminal');
  });

  it('restores the terminal on SIGTERM', async () => {
    const t = start(`open ${FILE}`);
    await waitFor(t, firstScreen, 'the first screen');
    process.kill(appPid(t), 'SIGTERM');
    const s = await waitFor(t, (x) => x.includes('WL-EXIT=143'), 'the shell');
    expect(s).not.toContain('Layers');
  });

  it('fits 80×24', async () => {
    const t = start(`open ${FILE}`, 80, 24);
    const s = await waitFor(t, firstScreen, 'the first screen');
    const lines = s.split('\n');
    expect(lines[23]).toContain('20 packets');
    expect(s).toContain('Layers');
    expect(s).toContain('Bytes');
  });

  it('without a terminal, says to use read or explain and exits 2', () => {
    const r = spawnSync('node', [join(ROOT, 'bin', 'wirelens'), 'open', FILE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/needs a terminal; use `wirelens read .*` or `wirelens explain/);
  });
});
