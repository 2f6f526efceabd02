/**
 * Tiny DOM builders for the element's views. Text always goes in as text nodes, never as HTML,
 * so platform-supplied texts cannot inject markup (and no Trusted Types policy is needed).
 */

/** Attribute values: `true` sets an empty attribute, `false` and `undefined` leave it out. */
export type Attributes = Readonly<Record<string, string | number | boolean | undefined>>;

/** A child: a node, a text, or nothing. */
export type Child = Node | string | false | null | undefined;

function setAttributes(element: Element, attributes: Attributes): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== false) element.setAttribute(name, value === true ? '' : String(value));
  }
}

/** Creates an HTML element with attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  setAttributes(element, attributes);
  for (const child of children) if (child) element.append(child);
  return element;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Icons drawn next to headings: a tick, an exclamation mark, an "i". */
export type IconName = 'success' | 'problem' | 'info';

const ICON_MARKS: Record<IconName, string> = {
  success: 'M7 12.5l3.2 3.2L17 9',
  problem: 'M12 6.5v7M12 17v.5',
  info: 'M12 10.5v7M12 6.5V7',
};

/** A decorative icon (hidden from assistive technology: the heading says it all). */
export function icon(name: IconName): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  setAttributes(svg, { class: 'icon', viewBox: '0 0 24 24', 'aria-hidden': 'true', focusable: 'false' });
  const disc = document.createElementNS(SVG_NS, 'circle');
  setAttributes(disc, { cx: 12, cy: 12, r: 11 });
  const mark = document.createElementNS(SVG_NS, 'path');
  setAttributes(mark, { class: 'mark', d: ICON_MARKS[name] });
  svg.append(disc, mark);
  return svg;
}
