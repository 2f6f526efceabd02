import { describe, expect, it } from 'vitest';
import { cropTexture, TEXTURE_MARGIN, textureRegion } from './faceTexture.js';

describe('textureRegion', () => {
  it('keeps the landmarks with a margin of a quarter of their box, inside the frame', () => {
    // A box 100 wide and 120 high: a margin of 30 px.
    const points = [{ x: 200, y: 100 }, { x: 300, y: 220 }, { x: 250, y: 160 }];
    expect(TEXTURE_MARGIN).toBe(0.25);
    expect(textureRegion(points, 640, 480)).toEqual({ x: 170, y: 70, width: 161, height: 181 });
    expect(textureRegion(points, 320, 240)).toEqual({ x: 170, y: 70, width: 150, height: 170 });
  });
});

describe('cropTexture', () => {
  it('copies the region and says where it lies', () => {
    const frame = { width: 4, height: 3, data: Float32Array.from({ length: 12 }, (_, i) => i) };
    const texture = cropTexture(frame, { x: 1, y: 1, width: 2, height: 2 });
    expect(texture.origin).toEqual({ x: 1, y: 1 });
    expect(Array.from(texture.image.data)).toEqual([5, 6, 9, 10]);
    texture.image.data.fill(0);
    expect(frame.data[5]).toBe(5);
  });
});
