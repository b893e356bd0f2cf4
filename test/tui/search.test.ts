import { describe, expect, it } from 'vitest';
import { matchesBytes, matchesColumns, parseSearch, type SearchQuery } from '../../src/tui/search.js';
import { TuiState } from '../../src/tui/state.js';

const cols = { source: '10.0.0.1', destination: '10.0.0.2', protocol: 'HTTP', info: 'GET /Index.html HTTP/1.1', explanation: 'HTTP request' };

function q(text: string): SearchQuery {
  const r = parseSearch(text);
  if ('error' in r) throw new Error(r.error);
  return r;
}

describe('search queries', () => {
  it('reads hex as 0x… or as pairs separated by spaces or colons, anything else as text', () => {
    expect(q('0x4500')).toEqual({ kind: 'hex', bytes: Uint8Array.of(0x45, 0) });
    expect(q('0x 45 00')).toEqual({ kind: 'hex', bytes: Uint8Array.of(0x45, 0) });
    expect(q('de:AD:be:ef').kind).toBe('hex');
    expect(q('45 00').kind).toBe('hex');
    expect(q('cafe').kind).toBe('text');
    expect(q('  GET /index ')).toMatchObject({ kind: 'text', text: 'get /index' });
    expect(parseSearch('0x450')).toHaveProperty('error');
    expect(parseSearch('   ')).toHaveProperty('error');
  });

  it('finds text in the columns case-insensitively, never a hex query', () => {
    expect(matchesColumns(q('index.HTML'), cols)).toBe(true);
    expect(matchesColumns(q('10.0.0.2'), cols)).toBe(true);
    expect(matchesColumns(q('POST'), cols)).toBe(false);
    expect(matchesColumns(q('0x4854'), cols)).toBe(false);
  });

  it('finds hex exactly and text as ASCII case-insensitively in bytes', () => {
    const data = Uint8Array.from('\x00\x01Hello, World\xff', (c) => c.charCodeAt(0));
    expect(matchesBytes(q('0x0001'), data)).toBe(0);
    expect(matchesBytes(q('6c 6c 6f'), data)).toBe(4);
    expect(matchesBytes(q('0x4c4c'), data)).toBe(-1);
    expect(matchesBytes(q('world'), data)).toBe(9);
    expect(matchesBytes(q('world!'), data)).toBe(-1);
    // Text with no one-byte form only matches columns.
    expect(matchesBytes(q('wörld'), data)).toBe(-1);
    expect(matchesBytes(q('0xff'), data)).toBe(14);
  });

  it('the search prompt keeps the last search to edit or repeat; a move clears the byte highlight', () => {
    const s = new TuiState();
    s.setPageSize(10);
    s.framesIndexed(5, true);
    s.startPrompt('search');
    s.typeText('hello');
    expect(s.submitPrompt()).toEqual({ kind: 'search', text: 'hello' });
    expect(s.mode).toBe('normal');
    s.startPrompt('search');
    expect(s.input).toBe('hello');
    s.cancelPrompt();
    s.searchHit = { frame: 0, offset: 3, length: 5 };
    s.move(1);
    expect(s.searchHit).toBeUndefined();
  });
});
