/**
 * Registration and mounting. Nothing is registered when the module is imported (the package has
 * no side effects): the element is defined by `defineElements()` or by the first `mountPresenza()`.
 */
import { PresenzaCheckElement } from './element.js';
import type { PresenzaUiOptions } from './options.js';

/** The element's tag name. */
export const ELEMENT_NAME = 'presenza-check';

/** Defines `<presenza-check>` in this window's registry, once (later calls do nothing). */
export function defineElements(): void {
  if (!customElements.get(ELEMENT_NAME)) customElements.define(ELEMENT_NAME, PresenzaCheckElement);
}

/**
 * Creates a configured `<presenza-check>` at the end of `container` and returns it; then call
 * its `enroll()` or `check()`. Throws a TypeError on a bad option.
 */
export function mountPresenza(container: Element, options: PresenzaUiOptions): PresenzaCheckElement {
  if (!container || container.nodeType !== Node.ELEMENT_NODE) throw new TypeError('mountPresenza: container must be an element');
  defineElements();
  const element = document.createElement(ELEMENT_NAME);
  element.configure(options);
  container.append(element);
  return element;
}
