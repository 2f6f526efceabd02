/** Production worker entry: exposes {@link FaceWorkerApi} with Comlink. */
import * as Comlink from 'comlink';
import type { FaceWorkerApi } from './api.js';
import { createFaceWorkerService } from './service.js';
import { preserveErrorCodes } from './transferErrors.js';

preserveErrorCodes();
const api: FaceWorkerApi = createFaceWorkerService().api;
Comlink.expose(api);
