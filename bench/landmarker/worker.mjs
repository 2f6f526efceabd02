// Module worker of bench/landmarker.ts: one MediaPipe task configured as the page asks, timed on
// frames it fetches and decodes before the clock starts. Plain JS, served as is (never shipped).
import { FaceDetector, FaceLandmarker } from '/tasks-vision/vision_bundle.mjs';

const origin = self.location.origin;
const fileset = {
  wasmLoaderPath: `${origin}/tasks-vision/wasm/vision_wasm_module_internal.js`,
  wasmBinaryPath: `${origin}/tasks-vision/wasm/vision_wasm_module_internal.wasm`,
};
let task = null;
let config = null;
let timestampMs = 0;

async function decode(url) {
  return createImageBitmap(await (await fetch(url)).blob());
}

/** The box of a face's landmarks in frame pixels, given the region the landmarker saw. */
function landmarkBox(landmarks, seen) {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const p of landmarks) {
    const x = seen.x + p.x * seen.width;
    const y = seen.y + p.y * seen.height;
    [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
  }
  return { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, side: Math.max(x1 - x0, y1 - y0) };
}

async function create(options) {
  config = options;
  const model = options.detectorOnly ? 'detector/face_detector.tflite' : 'models/face_landmarker.task';
  const baseOptions = { modelAssetPath: `${origin}/${model}`, delegate: options.delegate };
  task = options.detectorOnly
    ? await FaceDetector.createFromOptions(fileset, { baseOptions, runningMode: options.mode })
    : await FaceLandmarker.createFromOptions(fileset, {
        baseOptions,
        runningMode: options.mode,
        numFaces: options.numFaces,
        outputFaceBlendshapes: options.blendshapes,
        outputFacialTransformationMatrixes: options.blendshapes,
      });
}

/** Runs the task on each frame; with `cropScale`, on a square of that many face sizes around the previous face. */
async function time(urls, blankSize) {
  const frames = [];
  for (const url of urls) frames.push(blankSize ? await createImageBitmap(new ImageData(blankSize, blankSize)) : await decode(url));
  const times = [];
  let faces = 0;
  let previous = null;
  for (const frame of frames) {
    const start = performance.now();
    let input = frame;
    let seen = { x: 0, y: 0, width: frame.width, height: frame.height };
    if (config.cropScale && previous) {
      const side = Math.round(Math.min(frame.width, frame.height, previous.side * config.cropScale));
      const x = Math.round(Math.max(0, Math.min(frame.width - side, previous.cx - side / 2)));
      const y = Math.round(Math.max(0, Math.min(frame.height - side, previous.cy - side / 2)));
      seen = { x, y, width: side, height: side };
      input = await createImageBitmap(frame, x, y, side, side);
    }
    timestampMs += 100;
    const result = config.mode === 'VIDEO' ? task.detectForVideo(input, timestampMs) : task.detect(input);
    times.push(performance.now() - start);
    if (input !== frame) input.close();
    if (config.detectorOnly) {
      faces += result.detections.length;
    } else {
      faces += result.faceLandmarks.length;
      previous = result.faceLandmarks.length ? landmarkBox(result.faceLandmarks[0], seen) : null;
    }
  }
  for (const frame of frames) frame.close();
  return { times, faces };
}

self.onmessage = async ({ data }) => {
  try {
    if (data.kind === 'create') {
      await create(data.options);
      postMessage({ ok: true });
    } else {
      postMessage({ ok: true, ...(await time(data.urls, data.blankSize)) });
    }
  } catch (error) {
    postMessage({ ok: false, error: String(error?.stack ?? error) });
  }
};
