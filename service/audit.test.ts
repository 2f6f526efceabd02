import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendAudit, entryHash, readAudit, verifyAuditChain } from './audit.js';
import type { Db } from './db.js';
import { appendEvents, eventsAfter } from './eventLog.js';
import { ENGINES, freshDatabase } from '../testing/serviceWorld.js';

/** Values that JSON escapes in different ways: the database must hash them as entryHash does. */
const AWKWARD = ['plain', 'quote " and \\ backslash', 'line\nbreak\ttab\r', 'control \u0001\u001f\u007f', 'è à ù — “typographic”', 'emoji 🎓 and 𝔘', '</script> & <b>', '\u2028\u2029', ''];

let db: Db;

describe.each(ENGINES)('audit chain on %s', (engine) => {
  beforeEach(async () => {
    db = await freshDatabase(engine);
  });
  afterEach(async () => {
    await db.close();
  });

  it('stores each entry with the hash entryHash computes, linked to the one before, whatever the text', async () => {
    for (const [i, text] of AWKWARD.entries()) {
      await appendAudit(db, 1_700_000_000_000 + i, { id: text || null, role: 'student' }, 'lesson.joined', {
        lessonId: `lesson ${text}`,
        targetId: i % 2 ? null : text,
        detail: { note: text, n: i, ok: true },
      });
    }
    const entries = await readAudit(db);
    expect(entries).toHaveLength(AWKWARD.length);
    expect(entries.map((e) => e.actorId)).toEqual(AWKWARD.map((text) => text || null));
    for (const [i, entry] of entries.entries()) {
      expect(entry.seq).toBe(i + 1);
      expect(entry.hash).toBe(entryHash(entry));
      expect(entry.prevHash).toBe(i === 0 ? '0'.repeat(64) : entries[i - 1]!.hash);
    }
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, entries: AWKWARD.length });
  });

  it('concurrent appends from separate transactions form one gapless chain', async () => {
    await Promise.all(Array.from({ length: 30 }, (_, i) => db.transaction((tx) => appendAudit(tx, 1_700_000_000_000 + i, { id: `s${i}`, role: 'student' }, 'check.answered'))));
    const entries = await readAudit(db);
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, entries: 30 });
  });

  it('the newest entries deleted are detected, as an edited one is', async () => {
    for (let i = 0; i < 5; i++) await appendAudit(db, 1_700_000_000_000 + i, { id: 't', role: 'teacher' }, 'check.fired');
    await db.run('DELETE FROM audit_log WHERE seq >= 4');
    expect(await verifyAuditChain(db)).toMatchObject({ ok: false, brokenAt: 4, problem: 'the newest entries are missing' });
  });

  it('a transaction rolled back leaves neither its entry nor its events, and the chain goes on', async () => {
    await appendAudit(db, 1, { id: 't', role: 'teacher' }, 'lesson.started');
    await expect(
      db.transaction(async (tx) => {
        await appendAudit(tx, 2, { id: 't', role: 'teacher' }, 'check.fired');
        await appendEvents(tx, 2, [{ channel: 'c', type: 'check', data: {} }]);
        throw new Error('cut off');
      }),
    ).rejects.toThrow('cut off');
    await appendAudit(db, 3, { id: 't', role: 'teacher' }, 'lesson.ended');
    expect((await readAudit(db)).map((e) => e.action)).toEqual(['lesson.started', 'lesson.ended']);
    expect(await eventsAfter(db, 0)).toEqual([]);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, entries: 2 });
  });

  it('entries and events get their place in commit order: the change that commits first comes first', async () => {
    let releaseFirst!: () => void;
    const firstHolds = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstAppended!: () => void;
    const appended = new Promise<void>((resolve) => (firstAppended = resolve));
    const teacher = { id: 't', role: 'teacher' } as const;
    // The first change appends, then stays open while a second one appends and commits.
    const first = db.transaction(async (tx) => {
      await appendEvents(tx, 1, [{ channel: 'c', type: 'first', data: {} }], { actor: teacher, action: 'check.fired' });
      firstAppended();
      await firstHolds;
    });
    await appended;
    const second = db.transaction((tx) => appendEvents(tx, 2, [{ channel: 'c', type: 'second', data: {} }], { actor: teacher, action: 'lesson.ended' }));
    if (engine === 'postgres') {
      await second;
      expect(await eventsAfter(db, 0)).toEqual([expect.objectContaining({ type: 'second' })]);
    }
    releaseFirst();
    await Promise.all([first, second]);
    // SQLite runs one writing transaction at a time: the second waited for the first.
    const order = engine === 'postgres' ? ['second', 'first'] : ['first', 'second'];
    expect((await eventsAfter(db, 0)).map((e) => e.type)).toEqual(order);
    expect((await readAudit(db)).map((e) => e.action)).toEqual(order.map((o) => (o === 'first' ? 'check.fired' : 'lesson.ended')));
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, entries: 2 });
  });
});
