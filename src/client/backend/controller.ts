/**
 * Browser only: the chosen backend plus its watch. When a WebGPU device is lost the controller
 * switches to the next backend of the ranking (wasm, cpu, …) and tells its listeners; a trainer
 * interrupted by the loss learns it as a {@link BackendLostError} (see BrowserTrainer).
 */
import * as tf from '@tensorflow/tfjs';
import { CodedError } from '../../base/error.js';
import { activeGpuDevice, trySetBackend } from './activate.js';
import { selectBackend } from './choose.js';
import { BACKEND_PREFERENCE } from './rank.js';
import type { BackendChoice, ChooseOptions, FallbackEvent } from './types.js';

/** Training was interrupted because the backend's device was lost. */
export class BackendLostError extends CodedError<'BACKEND_LOST'> {
  /** Spelled out: the app's minifier renames classes, and CodedError would name it after its class. */
  override readonly name = 'BackendLostError';
  constructor(readonly event: FallbackEvent) {
    super('BACKEND_LOST', `tfjs backend '${event.from}' lost (${event.message}); now on '${event.to ?? 'none'}'`);
  }
}

/**
 * Chooses and activates the tfjs backend ({@link selectBackend}), then watches it for a
 * WebGPU device loss ({@link currentBackend}). With `backend` (or `override`) set, only that
 * one is tried and a failure throws {@link BackendUnavailableError}.
 */
export async function chooseBackend(opts: ChooseOptions = {}): Promise<BackendChoice> {
  const choice = await selectBackend(opts);
  active?.dispose();
  active = new BackendController(choice, opts.log ?? (() => undefined));
  if (opts.onFallback) active.onFallback(opts.onFallback);
  return choice;
}

let active: BackendController | undefined;

/** The controller of the last {@link chooseBackend}, or undefined before the first. */
export function currentBackend(): BackendController | undefined {
  return active;
}

/**
 * The controller of the last {@link chooseBackend}; without one, a controller of the active
 * tfjs backend as it is (no choice made), which later calls get too.
 */
export function activeController(): BackendController {
  if (active) return active;
  const name = tf.getBackend();
  active = new BackendController({
    name,
    reason: 'active tfjs backend (no choice made)',
    candidates: [],
    ranking: [name],
    forced: false,
    startupMs: 0,
  });
  return active;
}

/**
 * The chosen backend plus its watch: when a WebGPU device is lost the controller switches
 * to the next backend of the ranking (wasm, cpu, …) and tells `onFallback`.
 */
export class BackendController {
  private gen = 0;
  private lossWaiters: ((ev: FallbackEvent) => void)[] = [];
  private readonly listeners = new Set<(ev: FallbackEvent) => void>();
  private switching: Promise<void> = Promise.resolve();
  private readonly lost = new Set<string>();
  private disposing = false;
  private current: string;
  private why: string;
  /** The last fallback, if any. */
  lastFallback: FallbackEvent | undefined;

  /** Use {@link chooseBackend} or {@link BackendController.start}. */
  constructor(
    readonly choice: BackendChoice,
    private readonly log: (msg: string) => void = () => undefined,
  ) {
    this.current = choice.name;
    this.why = choice.reason;
    this.watch();
  }

  /** {@link chooseBackend}, returning the controller that watches the chosen backend. */
  static async start(opts: ChooseOptions = {}): Promise<BackendController> {
    await chooseBackend(opts);
    return active as BackendController;
  }

  /** The active backend's name. */
  get name(): string {
    return this.current;
  }

  /** Why the active backend is active (the choice's reason, or the fallback's). */
  get reason(): string {
    return this.why;
  }

  /** Registers a fallback listener; returns its removal. */
  onFallback(cb: (ev: FallbackEvent) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** Incremented at every fallback. */
  get generation(): number {
    return this.gen;
  }

  /** Resolves once a fallback in progress has finished. */
  settled(): Promise<void> {
    return this.switching;
  }

  /** Resolves with the event when the current backend is lost. */
  nextLoss(): Promise<FallbackEvent> {
    return new Promise((resolve) => this.lossWaiters.push(resolve));
  }

  /** Test hook: destroys the WebGPU device as if the GPU process had crashed. */
  simulateDeviceLoss(): boolean {
    const device = activeGpuDevice();
    if (!device) return false;
    device.destroy();
    return true;
  }

  private watch(): void {
    const device = activeGpuDevice();
    if (!device) return;
    const gen = this.gen;
    void device.lost.then((info) => {
      if (this.disposing || gen !== this.gen) return;
      this.switching = this.fallBack(`${info.reason}${info.message ? `: ${info.message}` : ''}`);
    });
  }

  private async fallBack(message: string): Promise<void> {
    const from = this.current;
    this.lost.add(from);
    this.gen++;
    this.log(`backend ${from} lost (${message}); falling back`);
    try {
      tf.removeBackend(from);
    } catch {
      // Already unusable; nothing to free.
    }
    let to: string | undefined;
    const order = [...this.choice.ranking, ...BACKEND_PREFERENCE.filter((n) => n !== 'webgpu' && n !== 'webgl')];
    for (const n of order) {
      if (this.lost.has(n) || n === from) continue;
      if ((await trySetBackend(n)) === undefined) {
        to = n;
        break;
      }
    }
    if (to) {
      this.current = to;
      this.why = `${from} was lost (${message}); fell back to ${to}`;
    }
    const ev: FallbackEvent = { from, to, message };
    this.lastFallback = ev;
    this.log(to ? `now on backend ${to}` : 'no backend left');
    const waiters = this.lossWaiters;
    this.lossWaiters = [];
    for (const w of waiters) w(ev);
    for (const l of this.listeners) {
      try {
        l(ev);
      } catch {
        // A listener's failure must not stop the fallback.
      }
    }
    this.watch();
  }

  dispose(): void {
    this.disposing = true;
  }
}
