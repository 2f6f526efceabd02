/**
 * Synthesised identity cards for the identity-document benchmark and e2e tests (never published):
 * an ID-1 card (85.6 × 54 mm) with a printed portrait, held 25–40 cm (or, guided, 15–25 cm) from a
 * 640×480 webcam next to the student's face, degraded as a printed photo seen by a webcam (colour
 * cast, print blur, perspective tilt up to ±20°, glare, downscale, camera blur, the defocus of a
 * fixed-focus lens and noise; the caller adds JPEG).
 * A card held to the camera is seen in several frames (production averages the portraits of
 * DOCUMENT_FRAMES of them): what belongs to the printed card and how it is held (print, cast, pose,
 * distance, so the defocus too) is drawn once per card by {@link cardParams}; what changes from one
 * camera frame to the next (hand jitter, the glare following it, camera blur, the noise and the
 * JPEG of each frame) is drawn per frame by {@link cardFrame}. Frame 0 is the card as drawn.
 * Everything is deterministic from a seed (and the frame index) and works on plain RGBA buffers,
 * so it runs (and is tested) in Node as well as in the page.
 */
import type { Pixels, Point } from '../workers/stages/pixels.js';
import { seededRandom } from '../tools/seededRandom.js';

/** ID-1 card size in mm (ISO/IEC 7810). */
export const CARD_MM = { width: 85.6, height: 54 } as const;

/** The portrait on the card, in mm from its top-left corner (about an Italian CIE's photo). */
export const PORTRAIT_MM = { x: 4, y: 12, width: 26, height: 34 } as const;

/** Resolution of the card texture before it is projected, px per mm. */
export const TEXTURE_PX_PER_MM = 10;

/** Horizontal field of view of the webcam the scene is seen by, degrees (a typical laptop camera). */
export const CAMERA_HFOV_DEGREES = 60;

/** The part of the portrait photo printed on the card (fractions of its width and height): head and shoulders of an LFW-like photo. */
export const PORTRAIT_SOURCE_CROP = { x: 0.22, y: 0.16, width: 0.56, height: 0.7 } as const;

/**
 * Ranges the parameters are drawn from. The distance is that of a card held at arm's length
 * without guidance; {@link GUIDED_DISTANCE_CM} is where the document guidance asks for it.
 */
export const CARD_RANGES = {
  distanceCm: [25, 40],
  tiltDegrees: 20,
  rollDegrees: 10,
  colourCast: 0.12,
  printBlurPx: [0.5, 1.5],
  cameraBlurPx: [0.3, 1],
  noiseSigma: [2, 6],
  glareStrength: [0.3, 0.8],
  glareRadius: [0.12, 0.3],
  jpegQuality: [0.6, 0.9],
} as const;

/** Distances, cm, of a card held where the guidance asks ("about a hand's width from the camera"). */
export const GUIDED_DISTANCE_CM = [15, 25] as const;

/**
 * A fixed-focus laptop webcam, for the defocus of a card held close to it: a 2.3 mm lens at f/2.2
 * focused at 60 cm, 640 px across a sensor of 5.6 µm pixels (at that resolution).
 */
export const WEBCAM_OPTICS = { focalMm: 2.3, fNumber: 2.2, focusCm: 60, pixelMm: 0.0056 } as const;

/**
 * Radius, frame px, of the defocus blur of a plane `distanceCm` away (thin lens: half the circle of
 * confusion) in a frame `frameWidth` px across the same sensor (a wider frame has smaller pixels,
 * so the same blur spans more of them).
 */
export function defocusBlurPx(distanceCm: number, frameWidth = 640, optics = WEBCAM_OPTICS): number {
  const { focalMm, fNumber, focusCm, pixelMm } = optics;
  const circleMm = ((focalMm * focalMm) / fNumber) * Math.abs(1 / (distanceCm * 10) - 1 / (focusCm * 10));
  return (circleMm / (pixelMm * (640 / frameWidth))) / 2;
}

/** Everything random about one synthesised card, drawn from a seed by {@link cardParams}. */
export interface CardParams {
  readonly seed: number;
  /** Distance of the card from the camera. */
  readonly distanceCm: number;
  /** Rotation about the card's vertical axis, its horizontal axis and the optical axis, degrees. */
  readonly yaw: number;
  readonly pitch: number;
  readonly roll: number;
  /** Which side of the student's face the card is held on. */
  readonly side: 'left' | 'right';
  /** Card centre, fraction of the frame height. */
  readonly centreY: number;
  /** Per-channel gains of the print's colour cast (R, G, B). */
  readonly cast: readonly [number, number, number];
  /** Background colour of the card. */
  readonly cardColour: readonly [number, number, number];
  /** Blur radius of the print, in texture px / 10 (i.e. in tenths of a mm). */
  readonly printBlurPx: number;
  /** Blur radius of the camera, frame px. */
  readonly cameraBlurPx: number;
  /** Standard deviation of the camera noise, grey levels. */
  readonly noiseSigma: number;
  /** Glare: centre on the card (fractions), radius (fraction of the card width), strength (0..1). */
  readonly glare: { readonly u: number; readonly v: number; readonly radius: number; readonly strength: number };
  /** JPEG quality the caller encodes the scene with (0..1). */
  readonly jpegQuality: number;
  /** `false`: no defocus blur of the fixed-focus lens (an ablation, {@link withoutDegradations}); default on. */
  readonly defocus?: boolean;
}

/**
 * The degradations of the synthesis the identity-document benchmark can switch off one at a time
 * (`--synthesis-off`), to find which of them costs the match score: the print's colour cast, the
 * print blur, the camera blur, the lens's defocus, the camera noise, the JPEG of the card frame,
 * the tilt (yaw, pitch and roll: the card then faces the camera squarely) and the glare.
 */
export const DEGRADATIONS = ['cast', 'print-blur', 'camera-blur', 'defocus', 'noise', 'jpeg', 'tilt', 'glare'] as const;

/** One of {@link DEGRADATIONS}. */
export type Degradation = (typeof DEGRADATIONS)[number];

/**
 * `params` with the degradations in `off` switched off (a benchmark ablation; the default synthesis
 * is `params` itself): everything else, the portrait's size and place included, stays as drawn.
 * `jpeg` off leaves a JPEG at quality 1 (the caller still encodes the frame).
 */
export function withoutDegradations(params: CardParams, off: readonly Degradation[]): CardParams {
  const has = (d: Degradation) => off.includes(d);
  return {
    ...params,
    ...(has('cast') ? { cast: [1, 1, 1] as const } : {}),
    ...(has('print-blur') ? { printBlurPx: 0 } : {}),
    ...(has('camera-blur') ? { cameraBlurPx: 0 } : {}),
    ...(has('defocus') ? { defocus: false } : {}),
    ...(has('noise') ? { noiseSigma: 0 } : {}),
    ...(has('jpeg') ? { jpegQuality: 1 } : {}),
    ...(has('tilt') ? { yaw: 0, pitch: 0, roll: 0 } : {}),
    ...(has('glare') ? { glare: { ...params.glare, strength: 0 } } : {}),
  };
}

/**
 * How much a card held still moves between two camera frames (uniform, ±): the document phase
 * takes a frame every DOCUMENT_FRAME_INTERVAL_MS (200 ms), and a card held at half an arm's length
 * drifts by a millimetre or two in that time (physiological tremor of the hand is about 0.5 mm at
 * 8–12 Hz, slow postural drift adds more) and turns by a degree or two about its axes (less about
 * the optical axis, the wrist's roll is the steadiest).
 */
export const FRAME_JITTER = { shiftMm: 2, tiltDegrees: 1.5, rollDegrees: 1 } as const;

/**
 * What changes from one camera frame of a held card to the next, drawn by {@link cardFrame}.
 * Fixed for the card (in {@link CardParams}): the print (cast, print blur, colours), the pose and
 * distance (so the lens's defocus), the exposure (so the noise's level) and the camera's JPEG quality.
 */
export interface CardFrame {
  /** 0 for the card as drawn; 1, 2, … for the frames after it. */
  readonly index: number;
  /** Hand jitter: the card moved in its own plane, mm (x right, y down), and turned, degrees, added to the drawn pose. */
  readonly shiftMm: { readonly x: number; readonly y: number };
  readonly yaw: number;
  readonly pitch: number;
  readonly roll: number;
  /** Camera (motion) blur radius of this frame, frame px. */
  readonly cameraBlurPx: number;
  /** Seed of this frame's sensor noise (its level is the card's `noiseSigma`). */
  readonly noiseSeed: number;
  /** Centre of the glare on the card in this frame (fractions; radius and strength are the card's). */
  readonly glare: { readonly u: number; readonly v: number };
}

/**
 * Frame `index` of the card `params` describes (deterministic from the card's seed and the index).
 * Frame 0 is the card exactly as drawn (no jitter, the drawn camera blur and noise: the single frame
 * the benchmark scored before it had frames). Each later frame draws, around the drawn pose, a hand
 * jitter of up to {@link FRAME_JITTER}, a camera blur from `CARD_RANGES.cameraBlurPx` (motion blur
 * changes with the hand's speed in each exposure) and its own noise; the glare, a specular reflection
 * of a light far away, moves over the card: turning a mirror by δ turns the reflected ray by 2δ, so
 * the spot that reflects into a camera `d` away moves by about 2δ·d over the card (±16 mm, a fifth of
 * the card's width, for 1.5° at 30 cm), and by −s when the card moves by s in its plane.
 * A degradation an ablation switched off (`withoutDegradations`: camera blur 0, tilt 0) stays off in
 * every frame; the noise's level, the defocus and the JPEG quality are the card's.
 */
export function cardFrame(params: CardParams, index: number): CardFrame {
  if (!(Number.isInteger(index) && index >= 0)) throw new TypeError(`cardFrame needs a frame index ≥ 0, got ${index}`);
  if (index === 0) {
    return { index, shiftMm: { x: 0, y: 0 }, yaw: 0, pitch: 0, roll: 0, cameraBlurPx: params.cameraBlurPx, noiseSeed: (params.seed ^ 0xc0ffee) >>> 0, glare: { u: params.glare.u, v: params.glare.v } };
  }
  // A stream of its own per frame (golden-ratio steps apart), unrelated to the card's draws.
  const random = seededRandom((params.seed ^ 0xf4a3e5 ^ Math.imul(index, 0x9e3779b9)) >>> 0);
  const symmetric = (limit: number) => (2 * random() - 1) * limit;
  const shiftMm = { x: symmetric(FRAME_JITTER.shiftMm), y: symmetric(FRAME_JITTER.shiftMm) };
  const squarely = params.yaw === 0 && params.pitch === 0 && params.roll === 0;
  const yaw = squarely ? 0 : symmetric(FRAME_JITTER.tiltDegrees);
  const pitch = squarely ? 0 : symmetric(FRAME_JITTER.tiltDegrees);
  const roll = squarely ? 0 : symmetric(FRAME_JITTER.rollDegrees);
  const [lo, hi] = CARD_RANGES.cameraBlurPx;
  const cameraBlurPx = params.cameraBlurPx === 0 ? 0 : lo + (hi - lo) * random();
  const noiseSeed = Math.floor(random() * 0x100000000) >>> 0;
  const rad = Math.PI / 180;
  const distanceMm = params.distanceCm * 10;
  const glare = {
    u: params.glare.u + (2 * yaw * rad * distanceMm - shiftMm.x) / CARD_MM.width,
    v: params.glare.v + (2 * pitch * rad * distanceMm - shiftMm.y) / CARD_MM.height,
  };
  return { index, shiftMm, yaw, pitch, roll, cameraBlurPx, noiseSeed, glare };
}

/** A seed from a string (FNV-1a), e.g. an image path, so each card is tied to its photo. */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * Draws the parameters of one card from `seed`, its distance from `distanceCm` (default
 * {@link CARD_RANGES}); `side` holds the card on that side of the raw frame instead of a drawn one
 * (everything else drawn as without it).
 */
export function cardParams(seed: number, distanceCm: readonly [number, number] = CARD_RANGES.distanceCm, side?: CardParams['side']): CardParams {
  const random = seededRandom(seed);
  const between = ([lo, hi]: readonly [number, number]) => lo + (hi - lo) * random();
  const symmetric = (limit: number) => (2 * random() - 1) * limit;
  const r = CARD_RANGES;
  return {
    seed,
    distanceCm: between(distanceCm),
    yaw: symmetric(r.tiltDegrees),
    pitch: symmetric(r.tiltDegrees),
    roll: symmetric(r.rollDegrees),
    side: random() < 0.5 ? (side ?? 'left') : (side ?? 'right'),
    centreY: between([0.55, 0.75]),
    cast: [1 + symmetric(r.colourCast), 1 + symmetric(r.colourCast), 1 + symmetric(r.colourCast)],
    cardColour: [between([190, 245]), between([200, 245]), between([200, 250])],
    printBlurPx: between(r.printBlurPx),
    cameraBlurPx: between(r.cameraBlurPx),
    noiseSigma: between(r.noiseSigma),
    glare: { u: random(), v: random(), radius: between(r.glareRadius), strength: between(r.glareStrength) },
    jpegQuality: between(r.jpegQuality),
  };
}

/** Frame pixels per mm of a plane `distanceCm` from a camera whose image is `frameWidth` px wide. */
export function pxPerMm(distanceCm: number, frameWidth: number, hfovDegrees = CAMERA_HFOV_DEGREES): number {
  const visibleMm = 2 * distanceCm * 10 * Math.tan((hfovDegrees / 2) * (Math.PI / 180));
  return frameWidth / visibleMm;
}

/** Copies `image` into a new buffer. */
function clone(image: Pixels): Pixels {
  return { width: image.width, height: image.height, data: new Uint8ClampedArray(image.data) };
}

/** Bilinear sample of channel `c` at (x, y), clamped to the edges. */
function sample(image: Pixels, x: number, y: number, c: number): number {
  const { width, height, data } = image;
  const cx = Math.min(Math.max(x, 0), width - 1);
  const cy = Math.min(Math.max(y, 0), height - 1);
  const x0 = Math.floor(cx);
  const y0 = Math.floor(cy);
  const x1 = Math.min(x0 + 1, width - 1);
  const y1 = Math.min(y0 + 1, height - 1);
  const fx = cx - x0;
  const fy = cy - y0;
  const at = (px: number, py: number) => data[(py * width + px) * 4 + c]!;
  return (at(x0, y0) * (1 - fx) + at(x1, y0) * fx) * (1 - fy) + (at(x0, y1) * (1 - fx) + at(x1, y1) * fx) * fy;
}

/** Box blur of radius `r` (fractional radii blend the two nearest), three passes: close to a Gaussian. */
export function blur(image: Pixels, radius: number): Pixels {
  if (radius <= 0) return clone(image);
  const { width, height } = image;
  let src: Float32Array = new Float32Array(image.data);
  const r0 = Math.floor(radius);
  const frac = radius - r0;
  const pass = (input: Float32Array, horizontal: boolean): Float32Array => {
    const out = new Float32Array(input.length);
    const len = horizontal ? width : height;
    const lines = horizontal ? height : width;
    for (let line = 0; line < lines; line += 1) {
      for (let i = 0; i < len; i += 1) {
        for (let c = 0; c < 4; c += 1) {
          let sum = 0;
          let weight = 0;
          for (let k = -r0 - 1; k <= r0 + 1; k += 1) {
            const w = Math.abs(k) <= r0 ? 1 : frac;
            if (w === 0) continue;
            const j = Math.min(Math.max(i + k, 0), len - 1);
            const idx = horizontal ? (line * width + j) * 4 + c : (j * width + line) * 4 + c;
            sum += input[idx]! * w;
            weight += w;
          }
          out[horizontal ? (line * width + i) * 4 + c : (i * width + line) * 4 + c] = sum / weight;
        }
      }
    }
    return out;
  };
  for (let p = 0; p < 3; p += 1) src = pass(pass(src, true), false);
  return { width, height, data: Uint8ClampedArray.from(src, (v) => Math.round(v)) };
}

/** Averages `factor`×`factor` blocks: an area-correct downscale (the image loses its last partial block). */
export function downscale(image: Pixels, factor: number): Pixels {
  if (factor <= 1) return clone(image);
  const width = Math.floor(image.width / factor);
  const height = Math.floor(image.height / factor);
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      for (let c = 0; c < 4; c += 1) {
        let sum = 0;
        for (let dy = 0; dy < factor; dy += 1) {
          for (let dx = 0; dx < factor; dx += 1) sum += image.data[((y * factor + dy) * image.width + x * factor + dx) * 4 + c]!;
        }
        data[(y * width + x) * 4 + c] = sum / (factor * factor);
      }
    }
  }
  return { width, height, data };
}

/**
 * The card texture at {@link TEXTURE_PX_PER_MM}: background colour, a header band, text-like
 * lines, and the portrait (the {@link PORTRAIT_SOURCE_CROP} of `photo`) printed with a colour cast
 * and print blur, then the glare patch on the card's surface where `frame` sees it (default: the
 * card as drawn, frame 0).
 */
export function renderCard(photo: Pixels, params: CardParams, frame: CardFrame = cardFrame(params, 0)): Pixels {
  return withGlare(printCard(photo, params), params, frame);
}

/** The printed card without glare (what stays the same in every frame of a held card): see {@link renderCard}. */
export function printCard(photo: Pixels, params: CardParams): Pixels {
  const s = TEXTURE_PX_PER_MM;
  const width = Math.round(CARD_MM.width * s);
  const height = Math.round(CARD_MM.height * s);
  const data = new Uint8ClampedArray(width * height * 4);
  const random = seededRandom(params.seed ^ 0x5eed);
  const [cr, cg, cb] = params.cardColour;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const i = (y * width + x) * 4;
      // A faint diagonal guilloche-like pattern over the card colour.
      const wave = 8 * Math.sin((x + 2 * y) / 9);
      data[i] = cr + wave;
      data[i + 1] = cg + wave;
      data[i + 2] = cb + wave;
      data[i + 3] = 255;
    }
  }
  const fill = (x0: number, y0: number, w: number, h: number, rgb: readonly number[]) => {
    for (let y = Math.max(0, Math.round(y0)); y < Math.min(height, Math.round(y0 + h)); y += 1) {
      for (let x = Math.max(0, Math.round(x0)); x < Math.min(width, Math.round(x0 + w)); x += 1) {
        const i = (y * width + x) * 4;
        data[i] = rgb[0]!;
        data[i + 1] = rgb[1]!;
        data[i + 2] = rgb[2]!;
      }
    }
  };
  // Header band and text lines (name, dates, number), dark grey.
  fill(0, 0, width, 9 * s, [cr * 0.55, cg * 0.6, cb * 0.8]);
  for (let line = 0; line < 7; line += 1) {
    const y = (13 + line * 5.2) * s;
    const w = (18 + random() * 30) * s;
    fill(34 * s, y, w, 1.6 * s, [60, 60, 70]);
  }
  // The portrait: bilinear from the source crop, colour cast applied.
  const crop = PORTRAIT_SOURCE_CROP;
  const px = PORTRAIT_MM.x * s;
  const py = PORTRAIT_MM.y * s;
  const pw = PORTRAIT_MM.width * s;
  const ph = PORTRAIT_MM.height * s;
  const portrait: Pixels = { width: Math.round(pw), height: Math.round(ph), data: new Uint8ClampedArray(Math.round(pw) * Math.round(ph) * 4) };
  for (let y = 0; y < portrait.height; y += 1) {
    for (let x = 0; x < portrait.width; x += 1) {
      const sx = (crop.x + (crop.width * (x + 0.5)) / portrait.width) * photo.width - 0.5;
      const sy = (crop.y + (crop.height * (y + 0.5)) / portrait.height) * photo.height - 0.5;
      const i = (y * portrait.width + x) * 4;
      for (let c = 0; c < 3; c += 1) portrait.data[i + c] = sample(photo, sx, sy, c) * params.cast[c]!;
      portrait.data[i + 3] = 255;
    }
  }
  const printed = blur(portrait, params.printBlurPx * s / 10);
  for (let y = 0; y < printed.height; y += 1) {
    for (let x = 0; x < printed.width; x += 1) {
      const from = (y * printed.width + x) * 4;
      const to = ((Math.round(py) + y) * width + Math.round(px) + x) * 4;
      for (let c = 0; c < 3; c += 1) data[to + c] = printed.data[from + c]!;
    }
  }
  return { width, height, data };
}

/** A copy of the printed card `texture` with the glare patch where `frame` sees it. */
function withGlare(texture: Pixels, params: CardParams, frame: CardFrame): Pixels {
  const { width, height } = texture;
  const data = new Uint8ClampedArray(texture.data);
  // Glare: a reflection that washes the surface towards white, strongest at its centre.
  const { radius, strength } = params.glare;
  const { u, v } = frame.glare;
  const gx = u * width;
  const gy = v * height;
  const gr = radius * width;
  for (let y = Math.max(0, Math.floor(gy - gr)); y < Math.min(height, Math.ceil(gy + gr)); y += 1) {
    for (let x = Math.max(0, Math.floor(gx - gr)); x < Math.min(width, Math.ceil(gx + gr)); x += 1) {
      const d = Math.hypot(x - gx, y - gy) / gr;
      if (d >= 1) continue;
      const a = strength * (1 - d * d);
      const i = (y * width + x) * 4;
      for (let c = 0; c < 3; c += 1) data[i + c] = data[i + c]! + (255 - data[i + c]!) * a;
    }
  }
  return { width, height, data };
}

/** The homography (row-major 3×3, h33 = 1) that maps the four `from` points onto the four `to` points. */
export function homography(from: readonly Point[], to: readonly Point[]): number[] {
  // Eight equations in h11..h32: x' (h31 x + h32 y + 1) = h11 x + h12 y + h13, likewise y'.
  const a: number[][] = [];
  for (let i = 0; i < 4; i += 1) {
    const { x, y } = from[i]!;
    const { x: u, y: v } = to[i]!;
    a.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    a.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  // Gaussian elimination with partial pivoting.
  for (let col = 0; col < 8; col += 1) {
    let pivot = col;
    for (let row = col + 1; row < 8; row += 1) if (Math.abs(a[row]![col]!) > Math.abs(a[pivot]![col]!)) pivot = row;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    for (let row = 0; row < 8; row += 1) {
      if (row === col) continue;
      const f = a[row]![col]! / a[col]![col]!;
      for (let k = col; k < 9; k += 1) a[row]![k]! -= f * a[col]![k]!;
    }
  }
  return [...Array.from({ length: 8 }, (_, i) => a[i]![8]! / a[i]![i]!), 1];
}

/** Applies a homography to a point. */
export function applyHomography(h: readonly number[], p: Point): Point {
  const w = h[6]! * p.x + h[7]! * p.y + h[8]!;
  return { x: (h[0]! * p.x + h[1]! * p.y + h[2]!) / w, y: (h[3]! * p.x + h[4]! * p.y + h[5]!) / w };
}

/** Inverse of a 3×3 matrix (row-major). */
function invert3(m: readonly number[]): number[] {
  const [a, b, c, d, e, f, g, h, i] = m as [number, number, number, number, number, number, number, number, number];
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [A, -(b * i - c * h), b * f - c * e, B, a * i - c * g, -(a * f - c * d), C, -(a * h - b * g), a * e - b * d].map((v) => v / det);
}

/**
 * Where the card's corners (top-left, top-right, bottom-right, bottom-left) fall in a
 * `frameWidth`×`frameHeight` frame: the card is rotated (yaw, pitch, roll), placed `distanceCm`
 * from a pinhole camera of {@link CAMERA_HFOV_DEGREES}, beside the frame's centre on `side`, moved
 * and turned by `frame`'s hand jitter (default: frame 0, none).
 */
export function cardCorners(params: CardParams, frameWidth: number, frameHeight: number, frame: CardFrame = cardFrame(params, 0)): Point[] {
  const focal = frameWidth / 2 / Math.tan((CAMERA_HFOV_DEGREES / 2) * (Math.PI / 180));
  const rad = Math.PI / 180;
  const [yaw, pitch, roll] = [params.yaw + frame.yaw, params.pitch + frame.pitch, params.roll + frame.roll];
  const [cy, sy] = [Math.cos(yaw * rad), Math.sin(yaw * rad)];
  const [cp, sp] = [Math.cos(pitch * rad), Math.sin(pitch * rad)];
  const [cr, sr] = [Math.cos(roll * rad), Math.sin(roll * rad)];
  const z0 = params.distanceCm * 10;
  // Card centre: beside the face (the frame's centre third), at centreY of the height.
  const scale = focal / z0;
  // A card too close to fit beside the face is moved in until it fits (it may cover the face).
  const halfWidthPx = (scale * CARD_MM.width) / 2;
  const besideX = (params.side === 'left' ? 0.17 : 0.83) * frameWidth;
  const centreX = Math.min(Math.max(besideX, halfWidthPx), frameWidth - halfWidthPx);
  const cx = (centreX - frameWidth / 2) / scale + frame.shiftMm.x;
  const cyMm = (params.centreY * frameHeight - frameHeight / 2) / scale + frame.shiftMm.y;
  const half = { x: CARD_MM.width / 2, y: CARD_MM.height / 2 };
  return [
    { x: -half.x, y: -half.y },
    { x: half.x, y: -half.y },
    { x: half.x, y: half.y },
    { x: -half.x, y: half.y },
  ].map(({ x, y }) => {
    // Roll in the card's plane, then pitch (about x), then yaw (about y).
    const x1 = x * cr - y * sr;
    const y1 = x * sr + y * cr;
    const y2 = y1 * cp;
    const z2 = y1 * sp;
    const x3 = x1 * cy + z2 * sy;
    const z3 = -x1 * sy + z2 * cy;
    const z = z0 + z3;
    return { x: frameWidth / 2 + (focal * (cx + x3)) / z, y: frameHeight / 2 + (focal * (cyMm + y2)) / z };
  });
}

/**
 * Draws the card into a copy of `scene` (the webcam frame with the student in it): renders the
 * texture, downscales it to about twice the frame's resolution on the card, projects it with the
 * perspective of {@link cardCorners}, then adds camera blur and noise around the card. Returns
 * the frame and the portrait's face width in frame pixels (for the size check of the tests).
 * `frame` is which camera frame of the held card it is (default 0, the card as drawn).
 */
export function synthesizeCardScene(photo: Pixels, scene: Pixels, params: CardParams, frame: CardFrame = cardFrame(params, 0)): { frame: Pixels; portraitWidthPx: number } {
  return filmCard(printCard(photo, params), scene, params, frame);
}

/**
 * `count` consecutive camera frames (0, 1, …) of one held card in `scene`: the card is printed once,
 * each frame sees it with its own {@link cardFrame} variation. Frame `k` is {@link synthesizeCardScene}'s
 * with `cardFrame(params, k)`.
 */
export function synthesizeCardFrames(photo: Pixels, scene: Pixels, params: CardParams, count: number): { frames: Pixels[]; portraitWidthPx: number } {
  if (!(Number.isInteger(count) && count >= 1)) throw new TypeError(`synthesizeCardFrames needs a count ≥ 1, got ${count}`);
  const printed = printCard(photo, params);
  const frames = Array.from({ length: count }, (_, k) => filmCard(printed, scene, params, cardFrame(params, k)));
  return { frames: frames.map((f) => f.frame), portraitWidthPx: frames[0]!.portraitWidthPx };
}

/** Adds camera noise of `sigma` to `image` in place: one Gaussian draw per pixel (Box–Muller, seeded), the same on the three channels (luma noise). */
function addLumaNoise(image: Pixels, sigma: number, seed: number): void {
  const random = seededRandom(seed);
  for (let i = 0; i < image.data.length; i += 4) {
    const g = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()) * sigma;
    for (let c = 0; c < 3; c += 1) image.data[i + c] = image.data[i + c]! + g;
  }
}

/** One camera frame of the `printed` card (see {@link synthesizeCardScene}). */
function filmCard(printed: Pixels, scene: Pixels, params: CardParams, cameraFrame: CardFrame): { frame: Pixels; portraitWidthPx: number } {
  const texture = withGlare(printed, params, cameraFrame);
  const density = pxPerMm(params.distanceCm, scene.width);
  const factor = Math.max(1, Math.floor(TEXTURE_PX_PER_MM / (2 * density)));
  const small = downscale(texture, factor);
  const corners = cardCorners(params, scene.width, scene.height, cameraFrame);
  const texCorners = [
    { x: 0, y: 0 },
    { x: small.width, y: 0 },
    { x: small.width, y: small.height },
    { x: 0, y: small.height },
  ];
  // Frame → texture, to sample the texture at each covered frame pixel (centres at +0.5).
  const toTexture = invert3(homography(texCorners, corners));
  const frame = clone(scene);
  const minX = Math.max(0, Math.floor(Math.min(...corners.map((p) => p.x))));
  const maxX = Math.min(scene.width - 1, Math.ceil(Math.max(...corners.map((p) => p.x))));
  const minY = Math.max(0, Math.floor(Math.min(...corners.map((p) => p.y))));
  const maxY = Math.min(scene.height - 1, Math.ceil(Math.max(...corners.map((p) => p.y))));
  for (let y = minY; y <= maxY; y += 1) {
    for (let x = minX; x <= maxX; x += 1) {
      const t = applyHomography(toTexture, { x: x + 0.5, y: y + 0.5 });
      if (t.x < 0 || t.y < 0 || t.x >= small.width || t.y >= small.height) continue;
      const i = (y * scene.width + x) * 4;
      for (let c = 0; c < 3; c += 1) frame.data[i + c] = sample(small, t.x - 0.5, t.y - 0.5, c);
    }
  }
  // Camera blur and noise over the card and a margin around it (the rest of the scene is the
  // student's frame as given: blurring all of it would only cost time).
  const margin = 8;
  const region = { x: Math.max(0, minX - margin), y: Math.max(0, minY - margin) };
  const regionWidth = Math.min(scene.width, maxX + margin + 1) - region.x;
  const regionHeight = Math.min(scene.height, maxY + margin + 1) - region.y;
  const patch: Pixels = { width: regionWidth, height: regionHeight, data: new Uint8ClampedArray(regionWidth * regionHeight * 4) };
  for (let y = 0; y < regionHeight; y += 1) {
    const from = ((region.y + y) * scene.width + region.x) * 4;
    patch.data.set(frame.data.subarray(from, from + regionWidth * 4), y * regionWidth * 4);
  }
  const defocus = params.defocus === false ? 0 : defocusBlurPx(params.distanceCm, scene.width);
  const blurredPatch = blur(patch, Math.hypot(cameraFrame.cameraBlurPx, defocus));
  addLumaNoise(blurredPatch, params.noiseSigma, cameraFrame.noiseSeed);
  const blurred = frame;
  for (let y = 0; y < regionHeight; y += 1) {
    const to = ((region.y + y) * scene.width + region.x) * 4;
    blurred.data.set(blurredPatch.data.subarray(y * regionWidth * 4, (y + 1) * regionWidth * 4), to);
  }
  // The face fills about 0.75 of the source crop's width (LFW), the crop fills the portrait box.
  const portraitWidthPx = PORTRAIT_MM.width * 0.75 * pxPerMm(params.distanceCm, scene.width);
  return { frame: blurred, portraitWidthPx };
}

/**
 * The attack the card check stops: no card, but `photo` (a person's photo, face about
 * {@link PORTRAIT_SOURCE_CROP}-centred as in LFW) blended softly into a copy of `scene` where the
 * card would be, its face as wide as the card's portrait would be (a real face 2–3 m behind the
 * student is that size). The soft edge leaves no outline (a person in a room has none), camera
 * blur and noise match the card's, and so does the movement from frame to frame (`cameraFrame`:
 * a person sitting still sways about as much as a held card). Returns the frame and the face's
 * width in frame px.
 */
export function synthesizeBackgroundPersonScene(photo: Pixels, scene: Pixels, params: CardParams, cameraFrame: CardFrame = cardFrame(params, 0)): { frame: Pixels; portraitWidthPx: number } {
  const corners = cardCorners(params, scene.width, scene.height, cameraFrame);
  const centre = { x: corners.reduce((s, p) => s + p.x, 0) / 4, y: corners.reduce((s, p) => s + p.y, 0) / 4 };
  const portraitWidthPx = PORTRAIT_MM.width * 0.75 * pxPerMm(params.distanceCm, scene.width);
  // LFW's faces are about 0.42 of the photo's width (0.75 of the card's 0.56 crop).
  const scale = portraitWidthPx / (0.42 * photo.width);
  const radius = 0.45 * photo.width * scale;
  const frame = clone(scene);
  const x0 = Math.max(0, Math.floor(centre.x - radius));
  const y0 = Math.max(0, Math.floor(centre.y - radius));
  const x1 = Math.min(scene.width, Math.ceil(centre.x + radius));
  const y1 = Math.min(scene.height, Math.ceil(centre.y + radius));
  for (let y = y0; y < y1; y += 1) {
    for (let x = x0; x < x1; x += 1) {
      const d = Math.hypot(x - centre.x, y - centre.y) / radius;
      if (d >= 1) continue;
      // Opaque over the head, fading out over the outer 40 %: no edge anywhere.
      const alpha = d < 0.6 ? 1 : 0.5 + 0.5 * Math.cos((Math.PI * (d - 0.6)) / 0.4);
      const i = (y * scene.width + x) * 4;
      for (let c = 0; c < 3; c += 1) {
        const v = sample(photo, photo.width / 2 + (x + 0.5 - centre.x) / scale - 0.5, photo.height / 2 + (y + 0.5 - centre.y) / scale - 0.5, c);
        frame.data[i + c] = frame.data[i + c]! * (1 - alpha) + v * alpha;
      }
    }
  }
  const patch: Pixels = { width: x1 - x0, height: y1 - y0, data: new Uint8ClampedArray((x1 - x0) * (y1 - y0) * 4) };
  for (let y = y0; y < y1; y += 1) patch.data.set(frame.data.subarray((y * scene.width + x0) * 4, (y * scene.width + x1) * 4), (y - y0) * patch.width * 4);
  const blurred = blur(patch, cameraFrame.cameraBlurPx);
  addLumaNoise(blurred, params.noiseSigma, cameraFrame.noiseSeed);
  // Back inside the disc only: a square of noise would draw an outline of its own.
  for (let y = y0; y < y1; y += 1) {
    for (let x = x0; x < x1; x += 1) {
      if (Math.hypot(x - centre.x, y - centre.y) >= radius) continue;
      const from = ((y - y0) * patch.width + x - x0) * 4;
      frame.data.set(blurred.data.subarray(from, from + 3), (y * scene.width + x) * 4);
    }
  }
  return { frame, portraitWidthPx };
}
