/**
 * The element's two visually hidden live regions: guidance is announced politely without flooding
 * a screen reader as frames stream in; results and errors are announced assertively.
 */

/** Shortest time between two polite announcements, so a screen reader can finish each one. */
export const GUIDANCE_ANNOUNCE_INTERVAL_MS = 2_000;

/**
 * Writes to two visually hidden live regions: polite guidance, throttled and deduplicated, and
 * assertive results and errors, which also cancel any pending guidance.
 */
export class Announcer {
  private lastSpoken = '';
  private lastAt = Number.NEGATIVE_INFINITY;
  private pending: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private alertTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly politeRegion: HTMLElement,
    private readonly assertiveRegion: HTMLElement,
  ) {}

  /** Announces guidance when it changes, at most once per {@link GUIDANCE_ANNOUNCE_INTERVAL_MS}. */
  guide(text: string): void {
    if (text === (this.pending ?? this.lastSpoken)) return;
    this.pending = text;
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastAt + GUIDANCE_ANNOUNCE_INTERVAL_MS - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.pending === undefined) return;
      this.politeRegion.textContent = this.lastSpoken = this.pending;
      this.pending = undefined;
      this.lastAt = performance.now();
    }, wait);
  }

  /** Announces a result or an error now, interrupting guidance. */
  alert(text: string): void {
    this.clear();
    // Emptied first, then filled on the next task: the same text twice is announced twice.
    this.alertTimer = setTimeout(() => (this.assertiveRegion.textContent = text), 50);
  }

  /** Announces a new instruction now (a gesture prompt), politely, without waiting for the throttle. */
  now(text: string): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    this.politeRegion.textContent = this.lastSpoken = text;
    this.lastAt = performance.now();
  }

  /** Drops pending guidance and empties both regions. */
  clear(): void {
    clearTimeout(this.timer);
    clearTimeout(this.alertTimer);
    this.timer = this.alertTimer = undefined;
    this.pending = undefined;
    this.lastSpoken = '';
    this.politeRegion.textContent = '';
    this.assertiveRegion.textContent = '';
  }
}
