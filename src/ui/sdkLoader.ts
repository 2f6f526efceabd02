/**
 * The SDK instance behind the element. The platform gives either a loaded `Presenza` instance,
 * used as is and never closed by the element, or the options of `Presenza.create`: the element
 * then creates the instance on first use, reports the model downloads, and closes it when it is
 * released (the element left the page, or was configured again).
 */
import type { LoadProgress } from '../protocol/capture.js';
import type { PresenzaOptions } from '../sdk/options.js';
import { Presenza } from '../sdk/presenza.js';
import { isInstance, type PresenzaLike, type PresenzaProgressDetail } from './options.js';

/** An instance the loader created, and so closes. */
type OwnInstance = PresenzaLike & Pick<Presenza, 'close'>;

/** How the loader creates an instance: `Presenza.create`, or a fake in tests. */
export type CreatePresenza = (options: PresenzaOptions) => Promise<OwnInstance>;

/** What a {@link SdkLoader} reports while it creates an instance. */
export interface SdkLoaderOptions {
  /**
   * After each download step: the step with the overall fraction so far (null while a file's size
   * is unknown), and the `progress` to show (see {@link SdkLoader.progress}).
   */
  readonly onProgress?: (detail: PresenzaProgressDetail, progress: number) => void;
  /** Default `Presenza.create`. */
  readonly create?: CreatePresenza;
}

/** Loads the SDK instance on demand, and closes an instance it created. */
export class SdkLoader {
  readonly #source: PresenzaLike | PresenzaOptions;
  readonly #create: CreatePresenza;
  readonly #onProgress: SdkLoaderOptions['onProgress'];
  #loading: Promise<PresenzaLike> | undefined;
  #ready = false;
  /** Aborts the creation of an instance of ours and marks it for closing; undefined for a given instance. */
  #owned: AbortController | undefined;
  readonly #downloads = new Map<string, LoadProgress>();
  #progress = 0;

  constructor(source: PresenzaLike | PresenzaOptions, options: SdkLoaderOptions = {}) {
    this.#source = source;
    this.#create = options.create ?? ((createOptions) => Presenza.create(createOptions));
    this.#onProgress = options.onProgress;
  }

  /** Whether the instance is loaded (a given instance always is). */
  get ready(): boolean {
    return this.#ready;
  }

  /** The share of the download to show (0..1): the highest fraction so far, so the bar never moves backwards. */
  get progress(): number {
    return this.#progress;
  }

  /**
   * The instance: starts creating it on the first call (and again after a failed creation), then
   * returns the same promise.
   */
  load(): Promise<PresenzaLike> {
    if (this.#loading) return this.#loading;
    const source = this.#source;
    if (isInstance(source)) {
      this.#ready = true;
      return (this.#loading = Promise.resolve(source));
    }
    const owned = new AbortController();
    this.#owned = owned;
    this.#downloads.clear();
    this.#progress = 0;
    const loading = this.#create({
      ...source,
      signal: source.signal ? AbortSignal.any([source.signal, owned.signal]) : owned.signal,
      onProgress: (progress) => {
        source.onProgress?.(progress);
        this.#downloaded(progress);
      },
    });
    this.#loading = loading;
    loading.then(
      (sdk) => {
        if (owned.signal.aborted) void sdk.close();
        else this.#ready = true;
      },
      () => {
        // A failed load is retried on the next call.
        if (this.#loading === loading) this.#loading = undefined;
      },
    );
    return loading;
  }

  /** Closes an instance this loader created (or stops its creation); forgets any instance. */
  release(): void {
    const loading = this.#loading;
    const owned = this.#owned;
    this.#loading = undefined;
    this.#ready = false;
    this.#owned = undefined;
    if (!owned) return;
    owned.abort();
    // With `owned` set, the instance is one of ours.
    (loading as Promise<OwnInstance> | undefined)?.then((instance) => instance.close(), () => undefined).catch(() => undefined);
  }

  #downloaded(progress: LoadProgress): void {
    this.#downloads.set(progress.file, progress);
    let loaded = 0;
    let total = 0;
    let known = true;
    for (const file of this.#downloads.values()) {
      loaded += file.loaded;
      if (file.total === null) known = false;
      else total += file.total;
    }
    const fraction = known && total > 0 ? Math.min(1, loaded / total) : null;
    // Files are announced one after the other: the bar never moves backwards.
    if (fraction !== null) this.#progress = Math.max(this.#progress, fraction);
    this.#onProgress?.({ ...progress, fraction }, this.#progress);
  }
}
