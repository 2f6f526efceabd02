import { describe, expect, it } from 'vitest';
import { loadDeploymentConfig, templateRetainUntil } from '../compliance/config.js';
import { DEMO_CONFIG_FILE, demoDeployment, demoRetention } from './notice.js';

const example = loadDeploymentConfig(DEMO_CONFIG_FILE);
const endNoon = Date.parse(`${example.course.end}T12:00:00Z`);

describe('demoDeployment', () => {
  it('is the example configuration, its notice approved, while its course has not ended', () => {
    const current = demoDeployment(endNoon - 1);
    expect({ ...current, noticeApproval: undefined }).toEqual({ ...example, noticeApproval: undefined });
    expect(current.noticeApproval?.date).toBe(example.course.start);
  });

  it('moves the course and the attendance retention forward by whole years once the course has ended', () => {
    const later = demoDeployment(endNoon + 400 * 86_400_000);
    const years = (date: string, base: string) => Number(date.slice(0, 4)) - Number(base.slice(0, 4));
    expect(years(later.course.end, example.course.end)).toBe(2);
    expect(later.course.end.slice(4)).toBe(example.course.end.slice(4));
    expect(years(later.course.start, example.course.start)).toBe(2);
    expect(years(later.retention.attendanceUntil, example.retention.attendanceUntil)).toBe(2);
    expect(templateRetainUntil(later).getTime()).toBeGreaterThan(endNoon + 400 * 86_400_000);
    expect(later.controller).toEqual(example.controller);
  });
});

describe('demoRetention', () => {
  it('deletes device keys and templates at the course end the notice names, attendance at attendanceUntil', () => {
    expect(demoRetention(example)).toEqual({
      enrollmentsUntil: endNoon,
      lessonsUntil: Date.parse(`${example.retention.attendanceUntil}T00:00:00Z`),
    });
  });
});
