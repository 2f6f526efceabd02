/**
 * Detection stage: turns the landmarker's raw observations into faces with a box, the five
 * alignment points, head pose, eye blink and mouth, and picks the face the check is about.
 */
import type { Point } from './pixels.js';
import type { LandmarkObservation } from '../runtime/mediapipe.js';

/** Head pose in degrees. Yaw > 0: the face turns toward the image's right (see DESIGN and SOURCES). */
export interface HeadPose {
  readonly yaw: number;
  readonly pitch: number;
  readonly roll: number;
}

/** A face in pixel coordinates. */
export interface DetectedFace {
  readonly box: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  /** Image-left eye, image-right eye, nose tip, image-left and image-right mouth corner. */
  readonly fivePoints: readonly Point[];
  readonly pose: HeadPose;
  /** `eyeBlinkLeft` / `eyeBlinkRight` blendshape scores (0 open, 1 closed). */
  readonly blink: { readonly left: number; readonly right: number };
  /** `jawOpen` and the mean of `mouthSmileLeft` / `mouthSmileRight` blendshape scores (0..1). */
  readonly mouth: { readonly open: number; readonly smile: number };
  /** Landmarks in pixels (kept inside the worker: liveness and tracking use them). */
  readonly points: readonly Point[];
}

/** The face a check is about, and the other faces in view. */
export interface FaceSelection {
  readonly primary: DetectedFace;
  /** Other faces at least {@link COMPARABLE_FACE_RATIO} of the primary's size: the frame is ambiguous. */
  readonly comparable: readonly DetectedFace[];
  /** Other, much smaller faces (e.g. people far in the background): only a hint. */
  readonly background: readonly DetectedFace[];
}

/**
 * A second face counts as another person at the camera (`multiple_faces`) when its box is at
 * least this fraction of the primary face's box side (about half the area). Smaller faces are
 * background faces: LFW has them in about 7 % of photos, and a webcam sees them behind a student.
 */
export const COMPARABLE_FACE_RATIO = 0.7;

/** MediaPipe face-mesh indices of the eye contours, used for eye centres. */
const IMAGE_LEFT_EYE = [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246] as const;
const IMAGE_RIGHT_EYE = [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466] as const;
const NOSE_TIP = 1;
const MOUTH_LEFT = 61;
const MOUTH_RIGHT = 291;
const DEGREES = 180 / Math.PI;

function centroid(points: readonly Point[], indices: readonly number[]): Point {
  let x = 0;
  let y = 0;
  for (const i of indices) {
    x += points[i]!.x;
    y += points[i]!.y;
  }
  return { x: x / indices.length, y: y / indices.length };
}

/** Yaw and pitch from the 4×4 column-major facial transformation matrix, roll from the eye line. */
export function headPose(matrix: ArrayLike<number> | null, leftEye: Point, rightEye: Point): HeadPose {
  const roll = Math.atan2(rightEye.y - leftEye.y, rightEye.x - leftEye.x) * DEGREES;
  if (!matrix || matrix.length < 16) return { yaw: Number.NaN, pitch: Number.NaN, roll };
  // Third column: the face's forward axis in camera space.
  const fx = matrix[8]!;
  const fy = matrix[9]!;
  const fz = matrix[10]!;
  return { yaw: Math.atan2(fx, fz) * DEGREES, pitch: Math.atan2(fy, Math.hypot(fx, fz)) * DEGREES, roll };
}

/** Converts one observation to a {@link DetectedFace} in the pixel space of a `width`×`height` image. */
export function toDetectedFace(observation: LandmarkObservation, width: number, height: number): DetectedFace {
  // Normalised coordinates have 0 at the image edge; pixel centres sit at integer positions.
  const points = observation.landmarks.map((p) => ({ x: p.x * width - 0.5, y: p.y * height - 0.5 }));
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const p of points) {
    minX = Math.min(minX, p.x);
    minY = Math.min(minY, p.y);
    maxX = Math.max(maxX, p.x);
    maxY = Math.max(maxY, p.y);
  }
  const shapes = observation.blendshapes;
  const leftEye = centroid(points, IMAGE_LEFT_EYE);
  const rightEye = centroid(points, IMAGE_RIGHT_EYE);
  return {
    box: { x: minX, y: minY, width: maxX - minX, height: maxY - minY },
    fivePoints: [leftEye, rightEye, points[NOSE_TIP]!, points[MOUTH_LEFT]!, points[MOUTH_RIGHT]!],
    pose: headPose(observation.matrix, leftEye, rightEye),
    blink: { left: shapes.eyeBlinkLeft ?? 0, right: shapes.eyeBlinkRight ?? 0 },
    mouth: { open: shapes.jawOpen ?? 0, smile: ((shapes.mouthSmileLeft ?? 0) + (shapes.mouthSmileRight ?? 0)) / 2 },
    points,
  };
}

function faceSize(face: DetectedFace): number {
  return Math.max(face.box.width, face.box.height);
}

/**
 * Picks the face nearest the image centre (as LFW intends, and where a student sits in front of
 * a webcam) and sorts the others into comparable faces and background faces.
 * Returns null when there is no face.
 */
export function selectFace(faces: readonly DetectedFace[], width: number, height: number): FaceSelection | null {
  if (faces.length === 0) return null;
  const distance = (f: DetectedFace) =>
    Math.hypot(f.box.x + f.box.width / 2 - width / 2, f.box.y + f.box.height / 2 - height / 2);
  const primary = faces.reduce((best, f) => (distance(f) < distance(best) ? f : best));
  const others = faces.filter((f) => f !== primary);
  const isComparable = (f: DetectedFace) => faceSize(f) >= COMPARABLE_FACE_RATIO * faceSize(primary);
  return {
    primary,
    comparable: others.filter(isComparable),
    background: others.filter((f) => !isComparable(f)),
  };
}
