/** Globals the test pages define: the SDK's script-tag build and the testing harness. */
import type * as Sdk from '../src/iife.js';
import type * as Harness from '../testing/harness.js';

declare global {
  interface Window {
    Presenza: typeof Sdk;
    PresenzaHarness: typeof Harness;
  }
}
