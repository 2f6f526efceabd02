/**
 * The shape of a UI text catalogue. Every language file implements all of it, so a missing
 * translation is a type error. Texts are plain text (never HTML); `{name}` placeholders are
 * filled in by the element.
 */

/** Languages with a complete catalogue. */
export type UiLanguage = 'it' | 'en';

/**
 * Every text the element shows. Placeholders: `{controller}`, `{purpose}`, `{alternative}`
 * (the text of `alternativeDescription`), `{date}` (the retention date, long format),
 * `{percent}`, `{collected}`, `{needed}`, `{done}`, `{step}`, `{steps}`.
 */
export interface UiMessages {
  /** Accessible name of the element's region (a landmark). */
  readonly regionLabel: string;

  // Layered notice, shown before an enrollment.
  readonly noticeTitle: string;
  readonly noticeControllerLabel: string;
  /** `{controller}`. */
  readonly noticeController: string;
  readonly noticePurposeLabel: string;
  /** `{purpose}`. */
  readonly noticePurpose: string;
  readonly noticeDeviceLabel: string;
  readonly noticeDevice: string;
  readonly noticeRetentionLabel: string;
  /** `{date}`. */
  readonly noticeRetention: string;
  readonly noticeAlternativeLabel: string;
  /** The offer of the alternative, on the notice and before a check. `{alternative}`. */
  readonly alternativeOffer: string;
  /** What the institution's non-biometric alternative is. */
  readonly alternativeDescription: string;
  readonly fullNotice: string;
  readonly newTab: string;
  readonly choiceQuestion: string;
  readonly choiceFace: string;
  readonly choiceAlternative: string;

  // Before a check.
  readonly checkTitle: string;
  readonly checkIntro: string;

  // Models loading.
  readonly loadingTitle: string;
  readonly loadingBody: string;
  readonly loadingProgressLabel: string;
  /** `{percent}`. */
  readonly loadingProgress: string;
  /** Downloads done, runtimes still starting. */
  readonly loadingAlmostReady: string;

  // Camera starting (the browser may be asking for permission).
  readonly startingTitle: string;
  readonly startingBody: string;

  // Capture.
  readonly enrollTitle: string;
  readonly captureTitle: string;
  readonly captureIntro: string;
  readonly captureProgressLabel: string;
  /** `{collected}`, `{needed}`. */
  readonly captureProgress: string;
  /** The same with gestures to make (the bar covers both): `{collected}`, `{needed}`, `{done}`, `{steps}`. */
  readonly captureProgressGestures: string;
  readonly guideStarting: string;
  readonly guideNoFace: string;
  readonly guideMultipleFaces: string;
  readonly guideTooSmall: string;
  readonly guideHeadTurned: string;
  readonly guideTooDark: string;
  readonly guideTooBright: string;
  readonly guideLowContrast: string;
  readonly guideBlurry: string;
  readonly guideGood: string;
  readonly guideBackgroundFace: string;
  readonly guideDone: string;
  readonly cancel: string;
  // Liveness gestures: one prompt per gesture (turns are the student's own left and right).
  readonly gestureBlink: string;
  readonly gestureTurnLeft: string;
  readonly gestureTurnRight: string;
  readonly gestureOpenMouth: string;
  readonly gestureSmile: string;
  /** `{step}`, `{steps}`. */
  readonly gestureStep: string;
  readonly gestureHelp: string;
  /** Button: asks for another gesture instead of the current one. */
  readonly gestureCannot: string;

  // Identity document, after the live frames of an enrollment that asks for it.
  /** On the notice: the document is compared on this device and not kept. */
  readonly noticeDocumentLabel: string;
  readonly noticeDocument: string;
  readonly documentTitle: string;
  readonly documentIntro: string;
  /** Accessible name of the card frame drawn on the preview. */
  readonly documentFrameLabel: string;
  readonly guideDocumentNoPortrait: string;
  readonly guideDocumentWhole: string;
  readonly guideDocumentCloser: string;
  readonly guideDocumentGlare: string;
  readonly guideDocumentHoldStill: string;
  readonly guideDocumentGood: string;
  readonly guideDocumentDone: string;
  readonly documentProgressLabel: string;
  /** `{collected}`, `{needed}`. */
  readonly documentProgress: string;
  readonly documentDeclineHelp: string;
  /** Button: the student declines to show a document (the teacher approves instead). */
  readonly documentDecline: string;

  // Results.
  readonly enrolledTitle: string;
  /** `{date}`. */
  readonly enrolledBody: string;
  /** After an enrollment with the document: what the comparison found, and what happens next. */
  readonly enrolledDocumentMatched: string;
  readonly enrolledDocumentNotMatched: string;
  readonly enrolledDocumentNotRun: string;
  readonly passedTitle: string;
  readonly passedBody: string;
  readonly checkFailedTitle: string;
  readonly enrollFailedTitle: string;
  readonly reasonMismatch: string;
  readonly reasonLiveness: string;
  /** A gesture of the challenge not seen within its time limit. */
  readonly reasonGestureTimeout: string;
  readonly reasonNoFace: string;
  readonly reasonMultipleFaces: string;
  readonly reasonTimeout: string;
  readonly reasonNotEnrolled: string;
  readonly stepsLabel: string;
  readonly retryTips: string;
  readonly livenessTips: string;
  readonly nothingKept: string;
  readonly noRetry: string;
  readonly retry: string;

  // Camera problems: what happened, then what to do.
  readonly cameraTitle: string;
  readonly cameraDenied: string;
  readonly cameraDeniedSteps: string;
  readonly cameraBusy: string;
  readonly cameraBusySteps: string;
  readonly cameraNotFound: string;
  readonly cameraNotFoundSteps: string;
  readonly cameraConstraints: string;
  readonly cameraConstraintsSteps: string;
  readonly cameraInsecure: string;
  readonly cameraInsecureSteps: string;
  readonly cameraPolicy: string;
  readonly cameraPolicySteps: string;
  readonly cameraFailed: string;
  readonly cameraFailedSteps: string;

  // Any other problem (models could not load, storage unavailable…).
  readonly errorTitle: string;
  readonly errorBody: string;
  readonly errorSteps: string;

  // The alternative, once chosen. `{alternative}`.
  readonly alternativeTitle: string;
  readonly alternativeBody: string;
}

/** A key of {@link UiMessages}. */
export type MessageKey = keyof UiMessages;
