/**
 * Server-Sent Events: one channel per student of a lesson (check requests) and per teacher view.
 * Streams are counted per user, so one user cannot hold more than a few open.
 */
import type { ServerResponse } from 'node:http';

/** Interval of SSE comments that keep idle connections open through proxies. */
export const KEEPALIVE_MS = 15_000;

/**
 * Where the attendance logic sends events, after the change they report is committed. One
 * process: {@link EventHub} delivers them to its own streams. Several instances (part 2) put a
 * PostgreSQL LISTEN/NOTIFY relay behind the same interface: `publish` notifies, each instance's
 * listener hands the event to its local hub.
 */
export interface EventBus {
  publish(channel: string, event: string, data: unknown): void;
  /** Open streams on `channel` in this process (to skip building an event nobody reads). */
  listeners(channel: string): number;
}

/** Fans events out to the open SSE connections of each channel. */
export class EventHub implements EventBus {
  private readonly channels = new Map<string, Set<ServerResponse>>();
  private readonly perUser = new Map<string, number>();

  /** Streams `userId` has open. */
  openStreams(userId: string): number {
    return this.perUser.get(userId) ?? 0;
  }

  /**
   * Takes over a raw response as an SSE stream on `channel` until the client goes away.
   * `headers` are the ones the app set on the reply before hijacking it (security headers).
   */
  subscribe(
    channel: string,
    response: ServerResponse,
    options: { userId: string; headers?: Record<string, string | number | readonly string[] | undefined>; first?: { event: string; data: unknown }[] },
  ): void {
    const { userId, headers = {}, first } = options;
    this.perUser.set(userId, this.openStreams(userId) + 1);
    response.writeHead(200, {
      ...(Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<string, string | number | string[]>),
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    response.write('retry: 2000\n\n');
    const set = this.channels.get(channel) ?? new Set();
    set.add(response);
    this.channels.set(channel, set);
    for (const message of first ?? []) this.write(response, message.event, message.data);
    const keepalive = setInterval(() => response.write(': keepalive\n\n'), KEEPALIVE_MS);
    response.on('close', () => {
      clearInterval(keepalive);
      const left = this.openStreams(userId) - 1;
      if (left > 0) this.perUser.set(userId, left);
      else this.perUser.delete(userId);
      set.delete(response);
      if (set.size === 0) this.channels.delete(channel);
    });
  }

  /** Sends one event to every connection of `channel`. */
  publish(channel: string, event: string, data: unknown): void {
    for (const response of this.channels.get(channel) ?? []) this.write(response, event, data);
  }

  /** Number of open connections on `channel`. */
  listeners(channel: string): number {
    return this.channels.get(channel)?.size ?? 0;
  }

  /** Ends every stream (server shutdown). */
  closeAll(): void {
    for (const set of this.channels.values()) for (const response of set) response.end();
    this.channels.clear();
    this.perUser.clear();
  }

  private write(response: ServerResponse, event: string, data: unknown): void {
    response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }
}

/** Channel of a student in a lesson. */
export const studentChannel = (lessonId: string, studentId: string) => `student:${lessonId}:${studentId}`;
/** Channel of the teacher view of a lesson. */
export const teacherChannel = (lessonId: string) => `teacher:${lessonId}`;
