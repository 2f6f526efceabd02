/**
 * The element's styles, isolated in its shadow root and shared by every instance (a constructed
 * stylesheet: no inline `<style>`, so a strict `style-src` CSP does not block it).
 *
 * Theming: set these custom properties on `presenza-check` (or any ancestor). The defaults meet
 * WCAG 2.2 AA contrast on white; a theme must keep text at 4.5:1 against the background and the
 * surface, and the accent and focus colours at 3:1.
 *
 * | property | default | used for |
 * |---|---|---|
 * | `--presenza-font-family` | `inherit` | all text |
 * | `--presenza-font-size` | `1rem` | base size (headings scale from it) |
 * | `--presenza-color-text` | `#1f2328` | text |
 * | `--presenza-color-muted` | `#4a5260` | secondary text, progress outline |
 * | `--presenza-color-background` | `#ffffff` | the panel |
 * | `--presenza-color-surface` | `#f1f3f5` | guidance box, progress track |
 * | `--presenza-color-border` | `#8c959f` | the panel's border |
 * | `--presenza-color-accent` | `#0b57d0` | buttons, links, progress |
 * | `--presenza-color-on-accent` | `#ffffff` | button text |
 * | `--presenza-color-success` | `#146c2e` | success icon, "good" guidance |
 * | `--presenza-color-warning` | `#8a4600` | "fix this" guidance |
 * | `--presenza-color-danger` | `#b3261e` | problem icon |
 * | `--presenza-color-focus` | `#0b57d0` | keyboard focus ring |
 * | `--presenza-radius` | `12px` | corners |
 * | `--presenza-max-width` | `40rem` | the panel's width limit |
 */

/** The stylesheet text. */
export const STYLES = `
:host {
  --_bg: var(--presenza-color-background, #ffffff);
  --_surface: var(--presenza-color-surface, #f1f3f5);
  --_text: var(--presenza-color-text, #1f2328);
  --_muted: var(--presenza-color-muted, #4a5260);
  --_border: var(--presenza-color-border, #8c959f);
  --_accent: var(--presenza-color-accent, #0b57d0);
  --_on-accent: var(--presenza-color-on-accent, #ffffff);
  --_success: var(--presenza-color-success, #146c2e);
  --_warning: var(--presenza-color-warning, #8a4600);
  --_danger: var(--presenza-color-danger, #b3261e);
  --_focus: var(--presenza-color-focus, #0b57d0);
  --_radius: var(--presenza-radius, 12px);
  display: block;
  color: var(--_text);
  font-family: var(--presenza-font-family, inherit);
  font-size: var(--presenza-font-size, 1rem);
  line-height: 1.5;
}
:host([hidden]), :host(:not([state])), :host([state='idle']) { display: none; }
* { box-sizing: border-box; }
.panel {
  container-type: inline-size;
  max-width: var(--presenza-max-width, 40rem);
  padding: 1.25rem 1.5rem 1.5rem;
  background: var(--_bg);
  border: 1px solid var(--_border);
  border-radius: var(--_radius);
}
h2 { display: flex; align-items: flex-start; gap: .5rem; margin: 0 0 .75rem; font-size: 1.3em; line-height: 1.3; }
h2:focus { outline: none; }
.icon { flex: none; width: 1.3em; height: 1.3em; fill: var(--_tone, var(--_accent)); }
.icon .mark { fill: none; stroke: var(--_bg); stroke-width: 2.4; stroke-linecap: round; stroke-linejoin: round; }
.view[data-tone='success'] { --_tone: var(--_success); }
.view[data-tone='problem'] { --_tone: var(--_danger); }
p { margin: 0 0 .75rem; }
.facts { display: grid; grid-template-columns: minmax(7rem, max-content) 1fr; gap: .5rem 1rem; margin: 0 0 1rem; }
.facts dt { font-weight: 700; }
.facts dd { margin: 0; }
@container (max-width: 30rem) {
  .facts { grid-template-columns: 1fr; gap: 0; }
  .facts dd { margin-bottom: .6rem; }
}
a { color: var(--_accent); text-underline-offset: .15em; }
.note { color: var(--_muted); }
.question { margin: 1.25rem 0 0; font-weight: 700; }
.actions { display: flex; flex-wrap: wrap; gap: .75rem; margin-top: .75rem; }
button {
  flex: 1 1 12rem;
  min-height: 2.75rem;
  padding: .6rem 1rem;
  font: inherit;
  font-weight: 700;
  color: var(--_on-accent);
  background: var(--_accent);
  border: 2px solid var(--_accent);
  border-radius: calc(var(--_radius) * .66);
  cursor: pointer;
}
button:hover { background: color-mix(in srgb, var(--_accent) 80%, #000); }
a:focus-visible, button:focus-visible { outline: 3px solid var(--_focus); outline-offset: 3px; }
.stage { position: relative; overflow: hidden; aspect-ratio: 4 / 3; margin: 0 0 .75rem; border-radius: var(--_radius); background: #111; }
.stage video { display: block; width: 100%; height: 100%; object-fit: cover; transform: scaleX(-1); }
.guide {
  position: absolute; left: 50%; top: 50%; width: 44%; height: 78%;
  transform: translate(-50%, -50%);
  border: 4px solid #ffffff; border-radius: 50%;
  box-shadow: 0 0 0 100vmax rgb(0 0 0 / .45);
  transition: border-color .3s;
}
.guide[data-tone='fix'] { border-color: #ffd54f; border-style: dashed; }
.guide[data-tone='good'] { border-color: #69db7c; }
.guidance {
  min-height: 3.2em; padding: .6rem .8rem; font-weight: 700;
  background: var(--_surface); border-left: 6px solid var(--_muted); border-radius: 4px;
}
.guidance[data-tone='fix'] { border-left-color: var(--_warning); }
.guidance[data-tone='good'] { border-left-color: var(--_success); }
.guide[data-tone='act'] { border-color: #74c0fc; }
/*
 * The identity document: an ID-1 card (85.6 × 54 mm) held beside the face, halfway between face
 * and camera (25–35 cm), on the right of the mirrored preview: the camera then sees the card's
 * photo on its outer side, away from the face (held on the other side, a card close to the camera
 * puts its photo on the face and is missed far more often: README, identity document). 34 % of the
 * 4:3 preview of a 1280×720 stream is a card 29 cm away (22 cm for a 640×480-only camera).
 */
.card-frame {
  position: absolute; right: 3%; top: 55%; width: 34%; aspect-ratio: 85.6 / 54;
  transform: translateY(-50%);
  border: 4px solid #ffffff; border-radius: 6%/9%;
  box-shadow: 0 0 0 100vmax rgb(0 0 0 / .35);
  transition: border-color .3s;
}
.card-frame[data-tone='fix'] { border-color: #ffd54f; border-style: dashed; }
.card-frame[data-tone='good'] { border-color: #69db7c; }
.document { margin: 0 0 .75rem; }
.document .note { margin: 0 0 .5rem; }
.guidance[data-tone='act'] { border-left-color: var(--_accent); font-size: 1.15em; }
.gesture-step { margin: .5rem 0 0; font-weight: 700; }
[hidden] { display: none !important; }
.meter { display: grid; gap: .25rem; margin: 0 0 .75rem; }
.meter label { color: var(--_muted); }
progress {
  width: 100%; height: .8rem; appearance: none;
  border: 1px solid var(--_muted); border-radius: 999px; overflow: hidden; background: var(--_surface);
}
progress::-webkit-progress-bar { background: var(--_surface); }
progress::-webkit-progress-value { background: var(--_accent); transition: inline-size .3s; }
progress::-moz-progress-bar { background: var(--_accent); }
.sr-only {
  position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; border: 0;
  overflow: hidden; clip-path: inset(50%); white-space: nowrap;
}
@media (prefers-reduced-motion: reduce) {
  .guide, .card-frame, progress::-webkit-progress-value { transition: none; }
}
@media (forced-colors: active) {
  .guide, .card-frame { border-color: CanvasText; }
  button { border-color: ButtonText; }
}
`;

let shared: CSSStyleSheet | undefined;

/** Applies the styles to a shadow root (one stylesheet object shared by every instance). */
export function adoptStyles(root: ShadowRoot): void {
  if (!shared) {
    shared = new CSSStyleSheet();
    shared.replaceSync(STYLES);
  }
  root.adoptedStyleSheets = [shared];
}
