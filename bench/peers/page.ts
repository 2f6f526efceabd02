/**
 * Page side of the peer benchmark (built to an IIFE exposing `window.PresenzaPeers`): starts one
 * module worker per peer and sends it decoded frames, as the Presenza harness does for its worker.
 */
import * as Comlink from 'comlink';
import type { PeerInit, PeerName, PeerRuntime, PeerWorkerApi } from './api.js';

/** A frame's result as plain JSON for `page.evaluate`. */
export interface DescribedByPeer {
  readonly faces: number;
  readonly descriptor: number[] | null;
  readonly ms: number;
}

const peers = new Map<PeerName, Comlink.Remote<PeerWorkerApi>>();

/** Starts `name`'s worker from `workerUrl`. */
export async function start(name: PeerName, workerUrl: string, init: PeerInit): Promise<PeerRuntime> {
  const remote = Comlink.wrap<PeerWorkerApi>(new Worker(workerUrl, { type: 'module' }));
  const runtime = await remote.init(init);
  peers.set(name, remote);
  return runtime;
}

/** Fetches and decodes each image, then describes it in `name`'s worker, one at a time. */
export async function describe(name: PeerName, urls: readonly string[]): Promise<DescribedByPeer[]> {
  const peer = peers.get(name);
  if (!peer) throw new Error(`${name} is not started`);
  const out: DescribedByPeer[] = [];
  for (const url of urls) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    const frame = await createImageBitmap(await response.blob());
    const result = await peer.describe(Comlink.transfer(frame, [frame]));
    out.push({ faces: result.faces, descriptor: result.descriptor ? Array.from(result.descriptor) : null, ms: result.ms });
  }
  return out;
}
