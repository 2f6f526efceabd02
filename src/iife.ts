/**
 * Script-tag entry: the IIFE build assigns these exports to `window.Presenza`, so a page can call
 * `await Presenza.create({...})` directly.
 */
import type { PresenzaOptions } from './sdk/options.js';
import { Presenza } from './sdk/presenza.js';
import { mountPresenza } from './ui/mount.js';

export * from './index.js';

/** Same as `Presenza.Presenza.create`: starts the face worker and loads the models. */
export const create = (options?: PresenzaOptions): Promise<Presenza> => Presenza.create(options);

/** Same as `Presenza.mountPresenza`: shows the student UI in `container` (see src/ui). */
export const mount = mountPresenza;
