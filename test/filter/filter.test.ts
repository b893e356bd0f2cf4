/**
 * Parser and evaluator unit tests on hand-made packets, and every error message. Packets are built
 * with the protocol files' emit functions and decoded by the real driver.
 */
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/capture/frame.js';
import type { PacketAnalysis } from '../../src/analysis/analyzer.js';
import { decodePacket } from '../../src/decode/bindings.js';
import type { Packet } from '../../src/decode/layer.js';
import { compileFilter, compileFilterOption, FilterError } from '../../src/filter/index.js';
import { parseFilter } from '../../src/filter/parser.js';
import { nestedQuantifier, applySlice } from '../../src/filter/compile.js';
import { parseBytes, parseInteger, parseTime } from '../../src/filter/values.js';
import { suggestFields } from '../../src/filter/fields.js';

/**
 * Ethernet / IPv4 / TCP SYN 192.168.1.2:51000 → 10.0.0.1:80, TTL 64, DF, one MSS option, and a
 * 4-byte payload "GET ". Written out by hand (checksums left zero: statuses are 'bad').
 *   00 11 22 33 44 55  66 77 88 99 aa bb  08 00
 *   45 00 00 30 12 34 40 00 40 06 00 00 c0 a8 01 02 0a 00 00 01
 *   c7 38 00 50 00 00 00 01 00 00 00 00 60 02 ff ff 00 00 00 00 02 04 05 b4
 *   47 45 54 20
 */
const HEX =
  '001122334455' + '66778899aabb' + '0800' +
  '450000301234400040060000c0a801020a000001' +
  'c73800500000000100000000600 2ffff00000000020405b4'.replace(' ', '') +
  '47455420';

function packet(hex = HEX, number = 1): Packet {
  const data = Uint8Array.from(hex.match(/../g)!.map((b) => Number.parseInt(b, 16)));
  const frame: Frame = { number, tsSec: 1700000000, tsNsec: 500_000_000, origLen: data.length, data, linkType: 1, interfaceId: 0, fileOffset: 0 };
  return decodePacket(frame);
}

const P = packet();
const run = (f: string, p: Packet = P, a?: PacketAnalysis) => compileFilter(f).matches(p, a);

function error(f: string): FilterError {
  try {
    compileFilter(f);
  } catch (e) {
    if (e instanceof FilterError) return e;
    throw e;
  }
  throw new Error(`no error for ${f}`);
}

describe('the test packet', () => {
  it('decodes as eth:ip:tcp:data', () => {
    expect(P.layers.map((l) => l.proto)).toEqual(['eth', 'ip', 'tcp', 'data']);
  });
});

describe('parser', () => {
  it('binds not tighter than and, and tighter than or', () => {
    const e = parseFilter('not a or b and c');
    expect(e.type).toBe('or');
    if (e.type !== 'or') return;
    expect(e.left.type).toBe('not');
    expect(e.right.type).toBe('and');
  });
  it('reads symbols and words alike', () => {
    expect(parseFilter('a && b || !c')).toMatchObject({ type: 'or', left: { type: 'and' }, right: { type: 'not' } });
    for (const [w, op] of [['eq', '=='], ['ne', '!='], ['gt', '>'], ['lt', '<'], ['ge', '>='], ['le', '<='], ['~', 'matches'], ['~=', '!=='], ['any_eq', '==']] as const) {
      expect(parseFilter(`x ${w} 1`)).toMatchObject({ type: 'compare', op });
    }
  });
  it('parses sets with ranges, commas optional', () => {
    expect(parseFilter('x in {80 443, 8000..8080}')).toMatchObject({ type: 'in', set: [{ lo: { name: '80' } }, { lo: { name: '443' } }, { lo: { name: '8000' }, hi: { name: '8080' } }] });
  });
  it('parses slices of every form', () => {
    const s = (t: string) => (parseFilter(`eth.src${t} == 00`) as { left: { slice: unknown } }).left.slice;
    expect(s('[0:3]')).toEqual([{ from: 0, count: 3 }]);
    expect(s('[1-2]')).toEqual([{ from: 1, count: 2 }]);
    expect(s('[4]')).toEqual([{ from: 4, count: 1 }]);
    expect(s('[:2]')).toEqual([{ from: 0, count: 2 }]);
    expect(s('[2:]')).toEqual([{ from: 2 }]);
    expect(s('[-1]')).toEqual([{ from: -1, count: 1 }]);
    expect(s('[0:2,5]')).toEqual([{ from: 0, count: 2 }, { from: 5, count: 1 }]);
  });
  it('reads strings with escapes, raw strings and character constants', () => {
    expect(parseFilter('x == "a\\"b\\x41\\101\\n\\u00e9"')).toMatchObject({ right: { type: 'string', value: 'a"bAA\né' } });
    expect(parseFilter('x matches r"\\d+"')).toMatchObject({ right: { type: 'string', value: '\\d+' } });
    expect(parseFilter("x contains 'a'")).toMatchObject({ right: { type: 'char', value: 'a' } });
  });
  it('keeps layer numbers and function calls', () => {
    expect(parseFilter('ip.src#2 == 1.2.3.4')).toMatchObject({ left: { name: 'ip.src', layer: 2 } });
    expect(parseFilter('len(eth.src) == 6')).toMatchObject({ left: { type: 'call', name: 'len', arg: { name: 'eth.src' } } });
  });
});

describe('literals', () => {
  it('integers in every base', () => {
    expect([parseInteger('80'), parseInteger('0x50'), parseInteger('0120'), parseInteger('0b1010000'), parseInteger('-3'), parseInteger('08')]).toEqual([80, 80, 80, 80, -3, undefined]);
  });
  it('byte strings in every spelling', () => {
    for (const t of ['00:10:db', '00-10-db', '0010.db', '0010db']) expect([...parseBytes(t)!]).toEqual([0, 0x10, 0xdb]);
    expect([...parseBytes('0xc0')!]).toEqual([0xc0]);
    expect(parseBytes('141')).toBeUndefined();
  });
  it('times to the nanosecond', () => {
    expect(parseTime('1.5')).toBe(1_500_000_000n);
    expect(parseTime('1700000000.123456789')).toBe(1_700_000_000_123_456_789n);
  });
  it('slices out of range select nothing', () => {
    const b = Uint8Array.of(1, 2, 3);
    expect(applySlice(b, [{ from: 2, count: 2 }])).toBeUndefined();
    expect([...applySlice(b, [{ from: -2 }])!]).toEqual([2, 3]);
  });
});

describe('evaluation', () => {
  it.each([
    ['tcp', true],
    ['udp', false],
    ['eth && ip && tcp && data', true],
    ['tcp.port == 80', true],
    ['tcp.port == 51000', true],
    ['tcp.port != 80', false],
    ['tcp.port != 81', true],
    ['tcp.port ~= 80', true],
    ['tcp.port === 80', false],
    ['tcp.dstport === 80', true],
    ['udp.port != 80', false],
    ['tcp.srcport gt 50000 and tcp.dstport lt 100', true],
    ['tcp.port in {443 8000..8080}', false],
    ['tcp.port in {443, 50000..52000}', true],
    ['not tcp.port in {80}', false],
    ['ip.addr == 10.0.0.0/8', true],
    ['ip.addr == 10.0.0.1 and ip.src == 192.168.1.2', true],
    ['ip.src == 192.168.0.0/16 && ip.dst != 192.168.0.0/16', true],
    ['ip.src > 192.168.1.1', true],
    ['eth.addr == 00:11:22:33:44:55', true],
    ['eth.src[0:3] == 66:77:88', true],
    ['eth.src[-1] == bb', true],
    ['ip.src[0] == 0xc0', true],
    ['tcp.flags.syn == 1', true],
    ['tcp.flags.syn == True', true],
    ['tcp.flags.ack == False', true],
    ['ip.flags.df == 2', true],
    ['tcp.flags & 0x02', true],
    ['tcp.flags & 0x10', false],
    ['tcp.flags == 0x002', true],
    ['ip.ttl == 0100', true],
    ['ip.proto == 6 && !(ip.ttl < 64)', true],
    ['tcp contains "GET"', true],
    ['tcp contains 47:45:54', true],
    ['ip contains "GET"', true],
    ['eth contains "GET"', true],
    ['data.len == 4', true],
    ['frame contains "GET "', true],
    ['frame.protocols contains "tcp"', true],
    ['frame.protocols matches "^ETH:.*TCP"', true],
    ["frame.protocols contains 't'", true],
    ['tcp.checksum.status == "Bad"', true],
    ['tcp.checksum.status == Good', false],
    ['tcp.checksum.status == 0', true],
    ['frame.time_epoch == 1700000000.5', true],
    ['frame.time_epoch > 1700000000.4999999999', true],
    ['frame.number == 1', true],
    ['len(eth.src) == 6', true],
    ['len(tcp) == 24', true],
    ['count(tcp.port) == 2', true],
    ['count(udp.port) == 0', true],
    ['upper(frame.protocols) contains "TCP"', true],
    ['ip.src#1 == 192.168.1.2', true],
    ['ip.src#2 == 192.168.1.2', false],
    ['ip.src#-1 == 192.168.1.2', true],
    ['tcp.srcport > tcp.dstport', true],
    ['ip.src != ip.dst', true],
    ['80 == tcp.port', true],
    ['64 <= ip.ttl', true],
    ['tcp.options.mss_val == 1460', true],
    ['tcp.analysis.flags', false],
  ])('%s → %s', (f, want) => {
    expect(run(f)).toBe(want);
  });

  it('reads analysis fields from the PacketAnalysis when given', () => {
    const a: PacketAnalysis = {
      fields: () => [
        { name: 'tcp.stream', value: 3, offset: 0, length: 0 },
        { name: 'tcp.analysis.retransmission', value: true, offset: 0, length: 0 },
        { name: 'tcp.time_relative', value: 0.25, offset: 0, length: 0 },
      ],
    };
    expect(compileFilter('tcp.stream == 3').needsAnalysis).toBe(true);
    expect(compileFilter('tcp.port == 80').needsAnalysis).toBe(false);
    expect(run('tcp.stream == 3', P, a)).toBe(true);
    expect(run('tcp.stream == 3', P)).toBe(false);
    expect(run('tcp.analysis.retransmission', P, a)).toBe(true);
    expect(run('tcp.analysis.flags', P, a)).toBe(true);
    expect(run('tcp.time_relative >= 0.25 && tcp.time_relative < 0.26', P, a)).toBe(true);
  });

  it('caps what matches reads and compiles options only when given', () => {
    expect(compileFilterOption(undefined)).toBeUndefined();
    expect(compileFilterOption('tcp')?.fields).toEqual(['tcp']);
  });

  it('never throws on damaged packets', () => {
    const filters = ['tcp.port == 80', 'ip.addr == 10.0.0.0/8', 'eth.src[0:3] == 00:11:22', 'tcp contains "x"', 'len(tcp) > 1', 'ipv6.addr == ::1', 'frame.protocols matches "x"'].map(compileFilter);
    for (let n = 0; n < 200; n++) {
      const cut = HEX.slice(0, 2 * Math.floor((n * 7) % (HEX.length / 2)));
      const bytes = cut.length ? cut : '00';
      const p = packet(bytes.replace(/../g, (b, i) => (n > 100 && i === 28 ? 'ff' : b)));
      for (const f of filters) expect(() => f.matches(p)).not.toThrow();
    }
  });
});

describe('errors', () => {
  it.each([
    ['', 'WL_ERR_FILTER_SYNTAX', 'the filter is empty', 0],
    ['ip.src ==', 'WL_ERR_FILTER_SYNTAX', 'the filter ends too early: expected a value to compare with after "=="', 9],
    ['(tcp', 'WL_ERR_FILTER_SYNTAX', 'expected ")" to close the "(" at column 1', 4],
    ['tcp)', 'WL_ERR_FILTER_SYNTAX', 'unexpected a ")" without its "("', 3],
    ['tcp.port == 80 tcp', 'WL_ERR_FILTER_SYNTAX', 'unexpected "tcp": expected "and", "or" or the end of the filter', 15],
    ['tcp.port in 80', 'WL_ERR_FILTER_SYNTAX', 'expected "{" starting a set', 12],
    ['tcp.port in {}', 'WL_ERR_FILTER_SYNTAX', 'empty set', 13],
    ['tcp.port in {80', 'WL_ERR_FILTER_SYNTAX', 'expected a value, a range such as 80..90, or "}"', 15],
    ['eth.src[0:x] == 00', 'WL_ERR_FILTER_SYNTAX', 'bad slice "[0:x]"', 8],
    ['eth.src[0:3 == 00', 'WL_ERR_FILTER_SYNTAX', 'unclosed "["', 7],
    ['ip.src#0 == 1.2.3.4', 'WL_ERR_FILTER_SYNTAX', 'layer numbers start at 1', 6],
    ['frame contains "abc', 'WL_ERR_FILTER_SYNTAX', 'unterminated string', 15],
    ['frame contains "\\q"', 'WL_ERR_FILTER_SYNTAX', 'unknown escape "\\q"', 16],
    ["frame contains ''", 'WL_ERR_FILTER_SYNTAX', 'empty character constant', 15],
    ['tcp.port == 80 $', 'WL_ERR_FILTER_SYNTAX', 'unexpected character "$"', 15],
    ['tcp.port == and', 'WL_ERR_FILTER_SYNTAX', 'unexpected "and": expected a value to compare with after "=="', 12],
    ['"x"', 'WL_ERR_FILTER_SYNTAX', 'a quoted string cannot stand alone', 0],
    ['tcp.srcprt == 80', 'WL_ERR_FILTER_FIELD', '"tcp.srcprt" is neither a field nor a protocol: did you mean tcp.srcport', 0],
    ['htp', 'WL_ERR_FILTER_FIELD', 'did you mean http', 0],
    ['zzzzzzzz', 'WL_ERR_FILTER_FIELD', 'run "wirelens fields" for the list', 0],
    ['tcp.port == tcp.dstprt', 'WL_ERR_FILTER_FIELD', 'did you mean tcp.dstport', 12],
    ['nosuch(tcp)', 'WL_ERR_FILTER_FIELD', 'unknown function nosuch()', 0],
    ['ip.src == "x"', 'WL_ERR_FILTER_TYPE', 'ip.src is an IPv4 address and cannot be compared with a quoted string; use an IPv4 address such as 192.0.2.1 or a CIDR block such as 10.0.0.0/8', 10],
    ['ip.src == example.com', 'WL_ERR_FILTER_TYPE', 'is not a valid IPv4 address (host names are not resolved)', 10],
    ['ip.src == 1.2.3.4/33', 'WL_ERR_FILTER_TYPE', 'netmask bits in a CIDR IPv4 address should be between 0 and 32, not 33', 10],
    ['ipv6.src == fe80::/129', 'WL_ERR_FILTER_TYPE', 'between 0 and 128, not 129', 12],
    ['tcp.port == "80"', 'WL_ERR_FILTER_TYPE', 'tcp.port is an unsigned integer and cannot be compared with a quoted string; use a whole number such as 80, 0x50 or 0120', 12],
    ['tcp.port == 80.5', 'WL_ERR_FILTER_TYPE', '"80.5" is not a valid number', 12],
    ['tcp.port == -1', 'WL_ERR_FILTER_TYPE', 'tcp.port is unsigned and -1 is negative', 12],
    ['tcp.flags.syn == maybe', 'WL_ERR_FILTER_TYPE', '"maybe" is not a boolean', 17],
    ['eth.src == 00:11', 'WL_ERR_FILTER_TYPE', 'is not a valid MAC address', 11],
    ['eth.src[0] == 141', 'WL_ERR_FILTER_TYPE', 'is not a valid byte string', 14],
    ['frame.time_epoch > 1e9', 'WL_ERR_FILTER_TYPE', 'is not a valid time', 19],
    ['tcp.srcport[0:1] == 00', 'WL_ERR_FILTER_TYPE', 'tcp.srcport is an unsigned integer and cannot be sliced', 0],
    ['tcp.analysis.retransmission == 1', 'WL_ERR_FILTER_TYPE', 'can only be tested for presence', 31],
    ['ip.src == tcp.port', 'WL_ERR_FILTER_TYPE', 'ip.src (IPv4 address) and tcp.port (unsigned integer) are not of compatible types', 0],
    ['tcp.port contains 80', 'WL_ERR_FILTER_TYPE', '"contains" cannot be used on tcp.port, an unsigned integer', 9],
    ['tcp.flags.syn > 0', 'WL_ERR_FILTER_TYPE', '">" cannot be used on tcp.flags.syn, a boolean', 14],
    ['frame.protocols matches xyz', 'WL_ERR_FILTER_TYPE', '"matches" needs a quoted regular expression', 24],
    ['frame.protocols matches "(a+)+$"', 'WL_ERR_FILTER_TYPE', 'repeats a group that itself repeats', 29],
    ['frame.protocols matches "("', 'WL_ERR_FILTER_TYPE', 'invalid regular expression', 24],
    ['ip.addr > 10.0.0.0/8', 'WL_ERR_FILTER_TYPE', 'a CIDR block can only be compared with ==, !=, ===, !== or in', 10],
    ['tcp.flags.syn in {0..1}', 'WL_ERR_FILTER_TYPE', 'a range lo..hi needs values that have an order', 18],
    ['tcp.port in {tcp.srcport}', 'WL_ERR_FILTER_SYNTAX', 'set elements must be values', 13],
    ['"GET" contains frame', 'WL_ERR_FILTER_SYNTAX', '"contains" needs the field on its left', 0],
    ['len(tcp.port) == 2', 'WL_ERR_FILTER_TYPE', 'len() needs a string, address, byte field or protocol', 4],
    ['upper(tcp.port) == "X"', 'WL_ERR_FILTER_TYPE', 'upper() needs a string field', 6],
  ])('%j', (filter, code, text, pos) => {
    const e = error(filter);
    expect(e.code).toBe(code);
    expect(e.reason).toContain(text);
    expect(e.position).toBe(pos);
    // The message shows the filter and a caret under the position.
    const lines = e.message.split('\n');
    expect(lines[1]).toBe(`  ${filter}`);
    expect(lines[2]!.indexOf('^')).toBe(2 + pos);
  });

  it('compiles any text or refuses it with a FilterError, and what compiles never throws on a packet', () => {
    // Token soup: fields, operators, functions, values of every type, and stray characters.
    const tokens = ['tcp', 'udp', 'http', 'ip.addr', 'ip.src', 'tcp.port', 'http.request.method', 'frame.len', 'dns.qry.name', 'tcp.flags.syn', 'eth.src', 'ipv6.addr',
      'tcp.analysis.retransmission', 'websocket.opcode', 'frame.time_relative', '==', '!=', '>', '<=', 'eq', 'contains', 'matches', '~', 'in', 'and', 'or', 'not', '&&', '||', '!',
      '(', ')', '{', '}', '[', ']', ':', '-', ',', '..', '"GET"', '"a\\x00b"', '"(["', '"(a+)+$"', '80', '0x50', '10.0.0.0/8', '::1', 'fe80::/10', '00:11:22', '1.5', '-1',
      '99999999999999999999', '1e400', 'true', '$', '#', '.', '"', '\\', 'len(', 'lower(', 'upper(', 'count(', '\x1b[2J'];
    let seed = 7;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
    const packets = [packet(), packet(HEX.slice(0, 60)), packet(HEX.replace(/^(.{28})../, '$1ff'))];
    let compiled = 0;
    for (let i = 0; i < 5000; i++) {
      let text = '';
      if (rnd(2)) {
        // Shaped like a filter: [not] field [op value] clauses joined by and/or, one token changed now and then.
        const fields = tokens.slice(0, 15);
        const ops = ['==', '!=', '>', '<=', 'contains', 'matches', 'in'];
        const values = ['80', '0x50', '"GET"', '10.0.0.0/8', '::1', '00:11:22', '1.5', 'true', '{80 443}', '{1..9}', '"(a+)+$"', 'tcp.srcport'];
        for (let k = 1 + rnd(3); k > 0; k--) {
          if (text) text += rnd(2) ? ' and ' : ' || ';
          text += `${rnd(4) ? '' : 'not '}${fields[rnd(fields.length)]}${rnd(4) ? ` ${ops[rnd(ops.length)]} ${values[rnd(values.length)]}` : ''}`;
        }
        if (!rnd(5)) text = text.replace(/\S+/, tokens[rnd(tokens.length)]!);
      } else {
        for (let k = 1 + rnd(8); k > 0; k--) text += (rnd(3) ? ' ' : '') + (rnd(10) ? tokens[rnd(tokens.length)]! : String.fromCharCode(rnd(128)));
      }
      let f;
      try {
        f = compileFilter(text);
      } catch (e) {
        expect(e, JSON.stringify(text)).toBeInstanceOf(FilterError);
        continue;
      }
      compiled++;
      for (const p of packets) expect(() => f.matches(p), JSON.stringify(text)).not.toThrow();
    }
    // The soup must reach the matcher often enough to mean something.
    expect(compiled).toBeGreaterThan(400);
  });

  it('suggests names by edit distance', () => {
    expect(suggestFields('tcp.srcprt')[0]).toBe('tcp.srcport');
    expect(suggestFields('ip.sr')).toContain('ip.src');
  });

  it('spots nested quantifiers only', () => {
    expect(nestedQuantifier('(a+)+')).toBe(4);
    expect(nestedQuantifier('(a|b*)*')).toBe(6);
    expect(nestedQuantifier('(ab)+c*')).toBe(-1);
    expect(nestedQuantifier('[(+]+')).toBe(-1);
    expect(nestedQuantifier('\\(a+\\)+')).toBe(-1);
  });
});
