/**
 * The `capturing` screen: the mirrored live preview with the oval guide, the guidance line, the
 * gesture asked during the liveness challenge, and the capture progress. During an enrollment's
 * identity-document phase the same screen asks for the document: a card-shaped frame replaces the
 * oval, the progress counts clear views of the document's photo, and a button declines. The
 * preview plays the element's stream in a video element only: no frame is drawn to a canvas or kept.
 */
import type { CaptureProgress } from '../../protocol/capture.js';
import type { PresenzaUiOperation } from '../options.js';
import { h } from './dom.js';
import type { GuidanceTone } from './guidance.js';
import { actions, screen, type View, type ViewContext } from './screen.js';

/** The capture screen, updated after each frame. */
export interface CaptureView extends View {
  /** Shows the guidance and progress after a frame (switching to the document phase on its first frame). */
  update(progress: CaptureProgress, text: string, tone: GuidanceTone): void;
  /** Whether the screen shows the identity-document phase. */
  readonly documentPhase: boolean;
  /** Detaches the camera stream from the preview. */
  release(): void;
}

/** A muted, inline video showing `stream`, mirrored by CSS, hidden from assistive technology. */
function previewVideo(stream: MediaStream): HTMLVideoElement {
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.autoplay = true;
  video.disablePictureInPicture = true;
  video.setAttribute('aria-hidden', 'true');
  video.srcObject = stream;
  video.play().catch(() => undefined);
  return video;
}

/** Builds the capture screen around the preview of `stream`. */
export function captureView(ctx: ViewContext, operation: PresenzaUiOperation, stream: MediaStream): CaptureView {
  const { t } = ctx;
  const video = previewVideo(stream);
  const guide = h('div', { class: 'guide', 'data-tone': 'wait' });
  const guidance = h('p', { class: 'guidance', 'data-tone': 'wait' }, t('guideStarting'));
  const label = h('label', { for: 'capture-progress' }, t('captureProgressLabel'));
  const bar = h('progress', { id: 'capture-progress', max: 1, value: 0 });
  // Shown only while a gesture is asked: which one of how many, and the way out if it is hard.
  const gestureStep = h('p', { class: 'gesture-step' });
  const gestureHelp = h('p', { class: 'note' }, t('gestureHelp'));
  const otherGesture = actions(ctx, ['other-gesture']);
  const gesture = h('div', { class: 'gesture', hidden: true }, gestureStep, gestureHelp, otherGesture);
  // Shown in the identity-document phase: where to hold the card, and the way to decline.
  const cardFrame = h('div', { class: 'card-frame', 'data-tone': 'wait', 'aria-hidden': 'true', hidden: true });
  const intro = h('p', {}, t('captureIntro'));
  const decline = h('div', { class: 'document', hidden: true }, h('p', { class: 'note' }, t('documentDeclineHelp')), actions(ctx, ['decline-document']));
  const view = screen(
    'capturing',
    t(operation === 'enroll' ? 'enrollTitle' : 'captureTitle'),
    {},
    intro,
    h('div', { class: 'stage' }, video, guide, cardFrame),
    guidance,
    gesture,
    h('div', { class: 'meter' }, label, bar),
    decline,
    actions(ctx, ['cancel', 'alternative']),
  );
  let documentPhase = false;
  return {
    ...view,
    get documentPhase() {
      return documentPhase;
    },
    update(progress, text, tone) {
      guide.dataset.tone = cardFrame.dataset.tone = guidance.dataset.tone = tone;
      guidance.textContent = text;
      const shown = progress.document;
      if (shown) {
        if (!documentPhase) {
          documentPhase = true;
          view.heading.textContent = t('documentTitle');
          intro.textContent = t('documentIntro');
          guide.hidden = gesture.hidden = true;
          cardFrame.hidden = decline.hidden = false;
        }
        bar.max = shown.needed;
        bar.value = shown.collected;
        label.textContent = `${t('documentProgressLabel')}: ${t('documentProgress', { collected: shown.collected, needed: shown.needed })}`;
        return;
      }
      const live = progress.liveness;
      gesture.hidden = !live?.step;
      otherGesture.hidden = !live?.alternativeAvailable;
      if (live?.step) gestureStep.textContent = t('gestureStep', { step: (live.stepIndex ?? 0) + 1, steps: live.steps ?? 1 });
      // Images first, then gestures: the bar covers both.
      const gestures = live?.steps ?? 0;
      const gesturesDone = progress.done ? gestures : live?.step ? (live.stepIndex ?? 0) : 0;
      bar.max = progress.needed + gestures;
      bar.value = progress.collected + gesturesDone;
      // The words say what the bar shows: with gestures, a full count of images is not the end.
      const counts = { collected: progress.collected, needed: progress.needed, done: gesturesDone, steps: gestures };
      label.textContent = `${t('captureProgressLabel')}: ${t(gestures > 0 ? 'captureProgressGestures' : 'captureProgress', counts)}`;
    },
    release() {
      video.pause();
      video.srcObject = null;
    },
  };
}
