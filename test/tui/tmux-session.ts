/**
 * Driving the built CLI in a real terminal for the end-to-end TUI tests: tmux runs it in a detached
 * session of a fixed size, keys go in with send-keys and the screen comes back as text with
 * capture-pane. `useTmuxServer()` registers the hooks that start and end a tmux server of the
 * test file's own.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';

export const ROOT = join(import.meta.dirname, '..', '..');
export const haveTmux = spawnSync('tmux', ['-V']).status === 0;
export const built = existsSync(join(ROOT, 'dist', 'tui', 'app.js'));

const sessions: string[] = [];
/**
 * A tmux server of our own (-L): the user's sessions are never touched, and one idle session keeps
 * it alive between tests (a server whose last session was just killed exits, racing the next
 * new-session with "server exited unexpectedly"). The random part keeps two test files running in
 * one process apart.
 */
const SOCKET = `wl-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

export function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
}

/** A shell in a fresh detached session; the app is started by typing its command, as a user would. */
export function start(args: string, cols = 120, rows = 40): string {
  const name = `wl-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  sessions.push(name);
  tmux('new-session', '-d', '-s', name, '-x', String(cols), '-y', String(rows), '-c', ROOT, 'env', 'PS1=$ ', 'TERM=xterm-256color', 'LANG=C.UTF-8', 'sh');
  tmux('send-keys', '-t', name, '-l', `node bin/wirelens ${args}; echo WL-EXIT=$?`);
  tmux('send-keys', '-t', name, 'Enter');
  return name;
}

export function screen(name: string): string {
  return tmux('capture-pane', '-p', '-t', name);
}

export function keys(name: string, ...k: string[]): void {
  tmux('send-keys', '-t', name, ...k);
}
export function type(name: string, text: string): void {
  tmux('send-keys', '-t', name, '-l', text);
}

/** The pid of the command the session's shell is running (the app). */
export function appPid(name: string): number {
  const shell = tmux('list-panes', '-t', name, '-F', '#{pane_pid}').trim();
  return Number(spawnSync('pgrep', ['-P', shell], { encoding: 'utf8' }).stdout.trim().split('\n')[0]);
}

/** Polls the screen until `test` holds; `escapes` keeps the colour escapes (to see a highlight). */
export async function waitFor(name: string, test: (s: string) => boolean, what: string, ms = 25_000, escapes = false): Promise<string> {
  const until = Date.now() + ms;
  let s = '';
  while (Date.now() < until) {
    s = escapes ? tmux('capture-pane', '-p', '-e', '-t', name) : screen(name);
    if (test(s)) return s;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}; screen was:\n${s}`);
}

/** The hooks: a server for the file's tests, each test's sessions killed after it. */
export function useTmuxServer(): void {
  beforeAll(() => {
    if (haveTmux && built) tmux('new-session', '-d', '-s', 'keepalive', 'sleep 600');
  });
  afterEach(() => {
    for (const s of sessions.splice(0)) spawnSync('tmux', ['-L', SOCKET, 'kill-session', '-t', s]);
  });
  afterAll(() => {
    if (haveTmux && built) spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
  });
}
