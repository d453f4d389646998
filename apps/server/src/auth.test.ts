import { rm } from 'node:fs/promises';
import { silentLogger } from '@chatd/core';
import { ManualClock } from '@chatd/core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Users } from './auth.js';
import { type OpenedDatabase, openDatabase, type ServerDatabase } from './database.js';
import { newDataDir } from './test-support/test-server.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The server's database on embedded PGlite, with every statement of `db` counted. */
async function database(): Promise<{
  opened: OpenedDatabase;
  db: ServerDatabase;
  reads: () => number;
}> {
  const dataDir = await newDataDir('chatd-auth-');
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const opened = await openDatabase(
    { databaseUrl: undefined, dataDir, leaseStaleAfterMs: 30_000 },
    silentLogger,
  );
  cleanups.push(() => opened.close());
  let tokenReads = 0;
  const db: ServerDatabase = {
    query: (sql, params) => {
      if (sql.includes('FROM server_tokens t')) tokenReads += 1;
      return opened.db.query(sql, params);
    },
  };
  return { opened, db, reads: () => tokenReads };
}

function users(opened: OpenedDatabase, db: ServerDatabase, clock = new ManualClock()) {
  const created = new Users(db, { pubsub: opened.pubsub, clock });
  cleanups.push(() => created.close());
  return created;
}

describe('Users.authenticate', () => {
  it('reads a valid token once, then trusts the check for a minute', async () => {
    const { opened, db, reads } = await database();
    const clock = new ManualClock();
    const replica = users(opened, db, clock);
    const admin = await replica.create('ann', true);
    const { token, id: tokenId } = await replica.issueToken(admin?.id as string, 'laptop');
    expect(await replica.authenticate(token)).toEqual({
      user: { id: admin?.id, name: 'ann', isAdmin: true },
      tokenId,
    });
    expect(await replica.authenticate(token)).toMatchObject({ user: { name: 'ann' }, tokenId });
    expect(reads()).toBe(1);
    await clock.advance(60_000);
    expect(await replica.authenticate(token)).toMatchObject({ user: { name: 'ann' } });
    expect(reads()).toBe(2);
  });

  it('keeps nothing of an unknown token', async () => {
    const { opened, db, reads } = await database();
    const replica = users(opened, db);
    expect(await replica.authenticate('chatd_guess')).toBeUndefined();
    expect(await replica.authenticate('chatd_guess')).toBeUndefined();
    expect(reads()).toBe(2);
  });

  it('refuses a revoked token at once on the replica that revoked it', async () => {
    const { opened, db } = await database();
    const replica = users(opened, db);
    const user = await replica.create('bob', false);
    const issued = await replica.issueToken(user?.id as string, 'phone');
    expect(await replica.authenticate(issued.token)).toBeDefined();
    expect(await replica.revokeToken(issued.id)).toBe(true);
    expect(await replica.authenticate(issued.token)).toBeUndefined();
  });

  it('refuses a revoked token on another replica once its hint arrives', async () => {
    const { opened, db } = await database();
    // Two replicas: two Users on one PubSub, as two processes share LISTEN/NOTIFY.
    const a = users(opened, db);
    const b = users(opened, db);
    const user = await a.create('carol', false);
    const issued = await a.issueToken(user?.id as string, 'tablet');
    expect(await b.authenticate(issued.token)).toBeDefined();
    const heardOnB: string[] = [];
    b.onRevoked((tokenId) => heardOnB.push(tokenId));
    await a.revokeToken(issued.id);
    await vi.waitFor(async () => expect(await b.authenticate(issued.token)).toBeUndefined());
    // What B opened with it (its streams) is told too.
    await vi.waitFor(() => expect(heardOnB).toEqual([issued.id]));
  });

  it('forgets the checks of a changed user here at once and on another replica once its hint arrives', async () => {
    const { opened, db } = await database();
    const a = users(opened, db);
    const b = users(opened, db);
    const user = await a.create('dan', true);
    const { token } = await a.issueToken(user?.id as string, 'phone');
    expect((await a.authenticate(token))?.user.isAdmin).toBe(true);
    expect((await b.authenticate(token))?.user.isAdmin).toBe(true);
    expect(await a.update(user?.id as string, { isAdmin: false, name: 'daniel' })).toEqual({
      id: user?.id,
      name: 'daniel',
      isAdmin: false,
    });
    expect((await a.authenticate(token))?.user).toMatchObject({ name: 'daniel', isAdmin: false });
    await vi.waitFor(async () =>
      expect((await b.authenticate(token))?.user).toMatchObject({ isAdmin: false }),
    );
    // The token itself stays valid.
    expect(await b.authenticate(token)).toBeDefined();
    await a.create('erin', false);
    expect(await a.update(user?.id as string, { name: 'erin' })).toBe('name-taken');
    expect(await a.update('00000000-0000-4000-8000-000000000000', { name: 'x' })).toBeUndefined();
  });

  it('does not keep a check whose read raced a revocation', async () => {
    const { opened, db } = await database();
    let releaseRead: () => void = () => {};
    const readHeld = new Promise<void>((resolve) => {
      releaseRead = resolve;
    });
    const slow: ServerDatabase = {
      async query(sql, params) {
        const rows = await db.query(sql, params);
        if (sql.includes('FROM server_tokens t')) await readHeld;
        return rows as never;
      },
    };
    const replica = users(opened, slow);
    const user = await replica.create('dave', false);
    const issued = await replica.issueToken(user?.id as string, 'desk');
    // The read finds the token, then the token is revoked before the check completes.
    const racing = replica.authenticate(issued.token);
    await replica.revokeToken(issued.id);
    releaseRead();
    expect(await racing).toBeDefined();
    expect(await replica.authenticate(issued.token)).toBeUndefined();
  });
});

describe('Users.bootstrapAdmin', () => {
  it('creates the admin with its token once, whichever of two replicas asks first', async () => {
    const { opened, db } = await database();
    const [first, second] = [users(opened, db), users(opened, db)];
    const tokens = await Promise.all([
      first.bootstrapAdmin(undefined),
      second.bootstrapAdmin(undefined),
    ]);
    const shown = tokens.filter((token) => token !== undefined);
    expect(shown).toHaveLength(1);
    expect(await first.authenticate(shown[0] as string)).toMatchObject({
      user: { name: 'admin', isAdmin: true },
    });
    const admins = await first.list();
    expect(admins).toEqual([expect.objectContaining({ name: 'admin', isAdmin: true })]);
    expect(await first.listTokens(admins[0]?.id as string)).toHaveLength(1);
    expect(await first.bootstrapAdmin(undefined)).toBeUndefined();
  });

  it('creates neither the admin nor its token when the token cannot be stored', async () => {
    const { opened, db } = await database();
    const replica = users(opened, db);
    // Any failure of the token's insert (here a constraint nothing passes) must not leave an
    // admin behind without a token: the next start would find it and show none.
    await opened.db.query(
      'ALTER TABLE server_tokens ADD CONSTRAINT refuse_all CHECK (false) NOT VALID',
    );
    await expect(replica.bootstrapAdmin(undefined)).rejects.toThrow();
    expect(await replica.list()).toEqual([]);
    await opened.db.query('ALTER TABLE server_tokens DROP CONSTRAINT refuse_all');
    expect(await replica.bootstrapAdmin(undefined)).toMatch(/^chatd_/);
  });
});
