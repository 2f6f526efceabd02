import { describe, expect, it } from 'vitest';
import { MIGRATIONS, openDatabase } from './db.js';
import { emptyPostgresSchema, POSTGRES_URL } from '../testing/serviceWorld.js';

describe.runIf(POSTGRES_URL)('migrations on PostgreSQL', () => {
  it('instances starting together on an empty database all start, and each migration is applied once', async () => {
    await emptyPostgresSchema();
    const instances = await Promise.all(Array.from({ length: 4 }, () => openDatabase({ url: POSTGRES_URL, file: '' })));
    const versions = await instances[0]!.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(versions.map((v) => Number(v.version))).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await instances[0]!.all('SELECT id FROM audit_head')).toHaveLength(1);
    await Promise.all(instances.map((db) => db.close()));
  });
});
