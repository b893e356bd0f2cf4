/**
 * Vitest matchers for traces, registered by importing this module (`import 'wirelens/vitest'`,
 * e.g. from a setupFiles entry or at the top of a test file):
 *
 *   const trace = await openTrace('run.pcapng');
 *   expect(trace).toHaveCompletedHandshake();
 *   expect(trace.tcp.connections()[0]).toHaveClosedGracefully({ by: 'client' });
 *   expect(trace).toHaveHttpExchange({ method: 'GET', uri: '/health', status: 200 });
 *   expect(trace).not.toHaveBeenReset();
 *
 * Types: vitest 4 documents extending its `Matchers` interface (which `Assertion<T>` and the
 * asymmetric `expect.*` forms both extend) by module augmentation; the declaration below is what
 * makes `expect(trace).toHaveHistory(...)` type-check in the user's project.
 */
import { expect } from 'vitest';
import type { Side } from '../analysis/tcp-lifecycle.js';
import {
  closedGracefully,
  completedHandshake,
  completeWithin,
  explainOutcome,
  historyMatches,
  httpExchange,
  matchFilter,
  noRetransmissions,
  retransmissions,
  wasReset,
  webSocketMessage,
  type CountRange,
  type HttpExpectation,
  type Outcome,
  type WebSocketExpectation,
} from './matchers.js';

export interface WirelensMatchers<R = unknown> {
  /** Every TCP connection (or this one) completed SYN, SYN-ACK, ACK. */
  toHaveCompletedHandshake(): R;
  /** Every TCP connection (or this one) ended with FINs both ways and no RST (Zeek SF). */
  toHaveClosedGracefully(options?: { by?: Side }): R;
  /** Some TCP connection (or this one) was reset, by that side when given. */
  toHaveBeenReset(options?: { by?: Side }): R;
  /** Retransmitted segments over the trace (or connection): default at least one. */
  toHaveRetransmissions(range?: CountRange): R;
  toHaveNoRetransmissions(): R;
  /** Zeek history of every connection (or this one): an exact string or a RegExp. */
  toHaveHistory(pattern: string | RegExp): R;
  /** Some HTTP exchange matches every given part. */
  toHaveHttpExchange(expected?: HttpExpectation): R;
  /** Some WebSocket message (data or control) matches; `closeCode` looks for a Close frame. */
  toHaveWebSocketMessage(expected?: WebSocketExpectation): R;
  /** Number of packets a display filter matches: default at least one. */
  toMatchFilter(filter: string, range?: CountRange): R;
  /** Capture, connection, HTTP exchange or DNS transaction took at most this many seconds. */
  toCompleteWithin(seconds: number): R;
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
  interface Matchers<T = any> extends WirelensMatchers<T> {}
}

/** A vitest result from an outcome; the message is built only when vitest asks for it. */
function result(received: unknown, o: Outcome, isNot: boolean) {
  return { pass: o.pass, message: () => explainOutcome(received, o, isNot) };
}

expect.extend({
  toHaveCompletedHandshake(received: unknown) {
    return result(received, completedHandshake(received), this.isNot);
  },
  toHaveClosedGracefully(received: unknown, options?: { by?: Side }) {
    return result(received, closedGracefully(received, options), this.isNot);
  },
  toHaveBeenReset(received: unknown, options?: { by?: Side }) {
    return result(received, wasReset(received, options), this.isNot);
  },
  toHaveRetransmissions(received: unknown, range?: CountRange) {
    return result(received, retransmissions(received, range), this.isNot);
  },
  toHaveNoRetransmissions(received: unknown) {
    return result(received, noRetransmissions(received), this.isNot);
  },
  toHaveHistory(received: unknown, pattern: string | RegExp) {
    return result(received, historyMatches(received, pattern), this.isNot);
  },
  toHaveHttpExchange(received: unknown, expected?: HttpExpectation) {
    return result(received, httpExchange(received, expected), this.isNot);
  },
  toHaveWebSocketMessage(received: unknown, expected?: WebSocketExpectation) {
    return result(received, webSocketMessage(received, expected), this.isNot);
  },
  toMatchFilter(received: unknown, filter: string, range?: CountRange) {
    return result(received, matchFilter(received, filter, range), this.isNot);
  },
  toCompleteWithin(received: unknown, seconds: number) {
    return result(received, completeWithin(received, seconds), this.isNot);
  },
});
