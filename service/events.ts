/**
 * Server-Sent Events on any instance. Every change appends its events to the shared log in its
 * own transaction (eventLog.ts); each instance's {@link EventHub} reads what is new when woken
 * (PostgreSQL NOTIFY from any instance, its own commits, and a slow poll as a safety net) and
 * writes it to the streams it holds. Every message carries the log id, so a browser's
 * EventSource that reconnects, to this instance or another, sends `Last-Event-ID` and receives
 * exactly what it missed; when that is older than the log keeps, it gets a fresh snapshot.
 *
 * Streams are counted per user, so one user cannot hold more than a few open on one instance.
 */
import type { ServerResponse } from 'node:http';
import type { Db, Listener } from './db.js';
import { canResumeAfter, eventsAfter, EVENTS_NOTIFY_CHANNEL, lastEventId, type LoggedEvent } from './eventLog.js';

/** Interval of SSE comments that keep idle connections open through proxies. */
export const KEEPALIVE_MS = 15_000;
/** Poll of the log when no notification came (a lost NOTIFY costs at most this). */
export const EVENT_POLL_MS = 2_000;
/** What EventSource waits before reconnecting (sent as the stream's `retry:`). */
export const RECONNECT_MS = 2_000;
const BATCH = 1000;

/** A message sent as a stream opens, before the log's events (a snapshot of the current state). */
export interface SnapshotMessage {
  readonly type: string;
  readonly data: unknown;
}

/** How {@link EventHub} reports failures (Fastify's logger fits). */
export interface HubLogger {
  error(details: object, message: string): void;
}

/** One open stream: it queues log events while it catches up, then writes them in id order, once. */
class Stream {
  lastSent = 0;
  private catchingUp = true;
  private queue: LoggedEvent[] = [];

  constructor(readonly response: ServerResponse) {}

  get open(): boolean {
    return !this.response.destroyed && !this.response.writableEnded;
  }

  offer(event: LoggedEvent): void {
    if (this.catchingUp) this.queue.push(event);
    else this.write(event);
  }

  write(event: LoggedEvent): void {
    if (event.id <= this.lastSent || !this.open) return;
    this.lastSent = event.id;
    this.response.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${event.data}\n\n`);
  }

  /** The snapshot, labelled with the log id it reflects (where a reconnection resumes). */
  writeSnapshot(id: number, messages: readonly SnapshotMessage[]): void {
    for (const message of messages) this.response.write(`id: ${id}\nevent: ${message.type}\ndata: ${JSON.stringify(message.data)}\n\n`);
    this.lastSent = id;
  }

  goLive(): void {
    this.catchingUp = false;
    const queued = this.queue.sort((a, b) => a.id - b.id);
    this.queue = [];
    for (const event of queued) this.write(event);
  }
}

/** Delivers the log's events to this instance's open streams. */
export class EventHub {
  private readonly channels = new Map<string, Set<Stream>>();
  /** Every open stream once (a stream may listen on several channels). */
  private readonly streams = new Set<Stream>();
  private readonly perUser = new Map<string, number>();
  private cursor = 0;
  private reading: Promise<void> | null = null;
  private readAgain = false;
  private listener: Listener | null = null;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly db: Db,
    private readonly log?: HubLogger,
  ) {}

  /** Starts following the log from its current end. */
  async start(): Promise<void> {
    this.cursor = await lastEventId(this.db);
    this.listener = this.db.listen(EVENTS_NOTIFY_CHANNEL, () => this.wake());
    this.timers = [
      setInterval(() => this.wake(), EVENT_POLL_MS),
      setInterval(() => {
        for (const stream of this.streams) if (stream.open) stream.response.write(': keepalive\n\n');
      }, KEEPALIVE_MS),
    ];
    for (const timer of this.timers) timer.unref();
  }

  /** Whether notifications from other instances arrive (readiness). */
  get connected(): boolean {
    return this.listener?.connected ?? false;
  }

  /** Streams `userId` has open on this instance. */
  openStreams(userId: string): number {
    return this.perUser.get(userId) ?? 0;
  }

  /** Reads and delivers what is new in the log (coalesced: one read at a time, then one more if woken meanwhile). */
  wake(): Promise<void> {
    if (this.reading) {
      this.readAgain = true;
      return this.reading;
    }
    this.reading = (async () => {
      do {
        this.readAgain = false;
        await this.readNew();
      } while (this.readAgain);
    })()
      .catch((error: Error) => this.log?.error({ err: { message: error.message } }, 'event log read failed'))
      .finally(() => {
        this.reading = null;
      });
    return this.reading;
  }

  private async readNew(): Promise<void> {
    for (;;) {
      const batch = await eventsAfter(this.db, this.cursor, { limit: BATCH });
      for (const event of batch) {
        this.cursor = event.id;
        for (const stream of this.channels.get(event.channel) ?? []) stream.offer(event);
      }
      if (batch.length < BATCH) return;
    }
  }

  /**
   * Takes over a raw response as an SSE stream of `channels` until the client goes away. With a
   * `lastEventId` the log still holds, it resumes right after it; otherwise it starts with
   * `snapshot()` (read after the log position it is labelled with, so nothing falls between).
   * `headers` are those the app set on the reply before hijacking it (security headers).
   */
  async subscribe(
    channels: readonly string[],
    response: ServerResponse,
    options: {
      userId: string;
      headers?: Record<string, string | number | readonly string[] | undefined>;
      lastEventId?: number | undefined;
      snapshot: () => Promise<readonly SnapshotMessage[]>;
    },
  ): Promise<void> {
    const { userId, headers = {}, lastEventId: resumeAfter } = options;
    const stream = new Stream(response);
    this.perUser.set(userId, this.openStreams(userId) + 1);
    this.streams.add(stream);
    for (const channel of channels) {
      const set = this.channels.get(channel) ?? new Set();
      set.add(stream);
      this.channels.set(channel, set);
    }
    response.on('close', () => {
      this.streams.delete(stream);
      const left = this.openStreams(userId) - 1;
      if (left > 0) this.perUser.set(userId, left);
      else this.perUser.delete(userId);
      for (const channel of channels) {
        const set = this.channels.get(channel);
        set?.delete(stream);
        if (set?.size === 0) this.channels.delete(channel);
      }
    });
    response.writeHead(200, {
      ...(Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<string, string | number | string[]>),
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    response.write(`retry: ${RECONNECT_MS}\n\n`);
    try {
      if (resumeAfter !== undefined && (await canResumeAfter(this.db, resumeAfter))) {
        stream.lastSent = resumeAfter;
      } else {
        const position = await lastEventId(this.db);
        stream.writeSnapshot(position, await options.snapshot());
      }
      // What was committed since: from the log; what arrives meanwhile waits in the queue.
      for (;;) {
        const missed = await eventsAfter(this.db, stream.lastSent, { channels, limit: BATCH });
        for (const event of missed) stream.write(event);
        if (missed.length < BATCH) break;
      }
      stream.goLive();
    } catch (error) {
      this.log?.error({ err: { message: (error as Error).message } }, 'event stream could not start');
      response.end();
    }
  }

  /** Ends every stream (shutdown): their browsers reconnect, to another instance, and resume. */
  closeAll(): void {
    for (const stream of this.streams) stream.response.end();
  }

  /** Stops following the log. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await this.reading;
    await this.listener?.close();
  }
}

/** Channel of a student in a lesson: their check requests and results. */
export const studentChannel = (lessonId: string, studentId: string) => `student:${lessonId}:${studentId}`;
/** Channel of the teacher view of a lesson: roster, checks and one row per attendance change. */
export const teacherChannel = (lessonId: string) => `teacher:${lessonId}`;
/** Channel of everyone in a lesson: its status (ended). */
export const lessonChannel = (lessonId: string) => `lesson:${lessonId}`;

/** The `Last-Event-ID` header as a log id, or undefined when absent or not one. */
export function parseLastEventId(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && /^[0-9]{1,15}$/.test(value) ? Number(value) : undefined;
}
