/**
 * An SSE client for tests and benchmarks that behaves like a browser's EventSource behind a load
 * balancer: it keeps the last event id, and when the stream ends or the connection fails it
 * reconnects after a pause, to whichever origin `pickOrigin` names (another instance when one
 * died), sending `Last-Event-ID`. It counts the bytes it receives.
 */

/** One event as received. */
export interface SseEvent {
  readonly id: string | undefined;
  readonly type: string;
  readonly data: string;
}

/** Options of {@link EventStream}. */
export interface EventStreamOptions {
  /** Session cookie (`name=value`). */
  readonly cookie?: string;
  /** Pause before reconnecting (EventSource's default is about 3 s; the service asks for 2 s). */
  readonly retryMs?: number;
  /** Resume after this id on the first connection too. */
  readonly lastEventId?: string;
  /** Called with each event as it arrives. */
  readonly onEvent?: (event: SseEvent) => void;
}

/** Splits SSE text into complete events; returns them and the unfinished rest. */
export function parseSse(text: string): { events: SseEvent[]; rest: string; lastId: string | undefined } {
  const events: SseEvent[] = [];
  let lastId: string | undefined;
  const blocks = text.split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let id: string | undefined;
    let type = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':') || line === '') continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') type = value;
      else if (field === 'data') data.push(value);
    }
    if (id !== undefined) lastId = id;
    if (data.length) events.push({ id, type, data: data.join('\n') });
  }
  return { events, rest, lastId };
}

/** A reconnecting SSE stream (see the module comment). */
export class EventStream {
  readonly events: SseEvent[] = [];
  /** Bytes received over every connection. */
  bytes = 0;
  /** Connections that answered 200. */
  connects = 0;
  lastEventId: string | undefined;
  private closed = false;
  private controller: AbortController | null = null;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly pickOrigin: () => string,
    private readonly path: string,
    private readonly options: EventStreamOptions = {},
  ) {
    this.lastEventId = options.lastEventId;
    void this.run();
  }

  /** Resolves with the first event (already received or to come) that matches, or rejects after `timeoutMs`. */
  waitFor(predicate: (event: SseEvent) => boolean, timeoutMs = 30_000): Promise<SseEvent> {
    return new Promise((resolve, reject) => {
      const look = () => {
        const found = this.events.find(predicate);
        if (!found) return false;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(found);
        return true;
      };
      const check = () => void look();
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no matching event on ${this.path} within ${timeoutMs} ms (got ${this.events.map((e) => e.type).join(', ')})`));
      }, timeoutMs);
      if (!look()) this.waiters.add(check);
    });
  }

  /** Events of `type`, parsed. */
  of<T>(type: string): T[] {
    return this.events.filter((e) => e.type === type).map((e) => JSON.parse(e.data) as T);
  }

  close(): void {
    this.closed = true;
    this.controller?.abort();
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      this.controller = new AbortController();
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        if (this.options.cookie) headers.cookie = this.options.cookie;
        if (this.lastEventId !== undefined) headers['last-event-id'] = this.lastEventId;
        const response = await fetch(`${this.pickOrigin()}${this.path}`, { headers, signal: this.controller.signal });
        if (response.status !== 200) {
          await response.body?.cancel();
          throw new Error(`status ${response.status}`);
        }
        this.connects += 1;
        const reader = response.body!.getReader();
        const decoder = new TextDecoder();
        let buffered = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          this.bytes += value.byteLength;
          const parsed = parseSse(buffered + decoder.decode(value, { stream: true }));
          buffered = parsed.rest;
          if (parsed.lastId !== undefined) this.lastEventId = parsed.lastId;
          if (parsed.events.length) {
            this.events.push(...parsed.events);
            for (const event of parsed.events) this.options.onEvent?.(event);
            for (const waiter of [...this.waiters]) waiter();
          }
        }
      } catch {
        // Refused, reset or aborted: reconnect below unless closed.
      }
      if (!this.closed) await new Promise((resolve) => setTimeout(resolve, this.options.retryMs ?? 2_000));
    }
  }
}
