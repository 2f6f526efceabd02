/**
 * The background work every instance runs: fire the scheduled checks that are due (each exactly
 * once, whichever instance gets it: see `Attendance.fireDueChecks`) and prune the event log past
 * its replay window. Nothing lives only in this process: a check scheduled before a crash fires
 * from another instance, or from this one after a restart.
 */
import type { Attendance } from './attendance.js';
import type { Db } from './db.js';
import { pruneEvents } from './eventLog.js';

/** How often due checks are looked for: a scheduled check fires at most this late. */
export const SCHEDULER_TICK_MS = 1_000;
/** How often the event log is pruned. */
export const EVENT_PRUNE_INTERVAL_MS = 60_000;

/** How the scheduler reports failures (Fastify's logger fits). */
export interface SchedulerLogger {
  error(details: object, message: string): void;
}

/** Runs {@link Scheduler.tick} every {@link SCHEDULER_TICK_MS} until stopped. */
export class Scheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private lastPrune = 0;

  constructor(
    private readonly attendance: Attendance,
    private readonly db: Db,
    private readonly options: { now?: () => number; log?: SchedulerLogger; tickMs?: number } = {},
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      // A slow tick is not run twice at once.
      this.running ??= this.tick().finally(() => (this.running = null));
    }, this.options.tickMs ?? SCHEDULER_TICK_MS);
  }

  /** Fires what is due, then prunes the event log when its interval has passed. Never throws. */
  async tick(): Promise<void> {
    const now = (this.options.now ?? Date.now)();
    try {
      await this.attendance.fireDueChecks();
      if (now - this.lastPrune >= EVENT_PRUNE_INTERVAL_MS) {
        this.lastPrune = now;
        await pruneEvents(this.db, now);
      }
    } catch (error) {
      this.options.log?.error({ err: { message: (error as Error).message } }, 'scheduler tick failed');
    }
  }

  /** Stops ticking and waits for a running tick. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
