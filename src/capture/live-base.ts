/**
 * What every engine's LiveCapture does the same way: frames one by one from the batches, and a
 * stop() that runs once however often it is called.
 */
import type { Frame, InterfaceInfo } from './frame.js';
import type { EngineName } from './engines.js';
import type { CaptureOptions, CaptureStats, LiveCapture } from './live.js';

export abstract class LiveCaptureBase implements LiveCapture {
  abstract readonly engine: EngineName;
  abstract readonly options: CaptureOptions;
  abstract readonly interfaces: InterfaceInfo[];
  abstract readonly timestampsApproximate: boolean;
  abstract readonly dropsCounted: boolean;
  abstract readonly engineMessages: string;
  private stats: Promise<CaptureStats> | undefined;

  /** Counts while capturing: none unless the engine reports them (see LiveCapture.progress). */
  get progress(): CaptureStats | undefined {
    return undefined;
  }

  abstract batches(): AsyncGenerator<Frame[], void, undefined>;

  async *[Symbol.asyncIterator](): AsyncGenerator<Frame, void, undefined> {
    for await (const b of this.batches()) yield* b;
  }

  stop(): Promise<CaptureStats> {
    this.stats ??= this.doStop();
    return this.stats;
  }

  /** The engine's own way of stopping; called once. */
  protected abstract doStop(): Promise<CaptureStats>;
}
