// Listing at a revision over HTTP: every page says its revision, the client pins the
// next pages to the first page's revision, so writes between pages do not show, and
// list-then-watch from that revision + 1 sees exactly the changes after the listing.
import type { Server } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MetaCommand } from '../../src/meta/commands.js';
import { listObjects } from '../../src/meta/index.js';
import { applyCommandReporting } from '../../src/meta/state-machine.js';
import { ObjectService } from '../../src/node/object-service.js';
import { WatchHub } from '../../src/node/watch-hub.js';
import { serveWatch } from '../../src/node/watch-service.js';
import { CairnClient } from '../../src/client/index.js';
import { createClientServer } from '../../src/server/client-server.js';
import { bootstrappedStore, inline } from '../meta/helpers.js';
import { closeServer, listenOn } from '../helpers/wait.js';
import { standInClientHandlers, standInLeadership } from './stand-in-ports.js';

test('pages are pinned to the first page revision; list-then-watch misses nothing', async () => {
  const store = bootstrappedStore();
  let index = 1;
  const hub = new WatchHub({ reader: () => store, leaderKnown: () => true });
  const apply = (command: MetaCommand) => {
    const applied = applyCommandReporting(command, ++index, store);
    hub.notify();
    return applied.revision;
  };
  const put = (key: string, text: string): MetaCommand => ({
    type: 'putObject',
    key,
    value: inline(text),
    requestId: '',
  });
  for (let step = 0; step < 20; step++) apply(put(`p/${String(step).padStart(2, '0')}`, 'old'));
  const expected = listObjects(store, { prefix: 'p/' }).items;
  const objects = new ObjectService({
    group: {
      propose: () => Promise.reject(new Error('no writes through this test')),
      readBarrier: async () => undefined,
      reader: () => store,
      requireMember: () => undefined,
    },
    placement: () => {
      throw new Error('no chunks in this test');
    },
    refuseWritesWhenLow: () => undefined,
    observe: () => undefined,
  });
  const server: Server = createClientServer({
    handlers: standInClientHandlers({
      listObjects: ({ query }) => objects.list(query),
      watch: ({ query, request, response }) => serveWatch(hub, query, request, response),
    }),
    leadership: standInLeadership(),
  });
  const address = await listenOn(server);
  const client = new CairnClient({ endpoints: address });
  try {
    const listed = [];
    const changedAfter: number[] = [];
    let revision: number | undefined;
    let step = 0;
    for await (const page of client.listAllObjects('p/', { pageKeys: 3 })) {
      revision ??= page.revision;
      assert.is(page.revision, revision, 'every page at the first page revision');
      listed.push(...page.items);
      // Between pages: overwrite a key not yet listed, delete one, add one.
      changedAfter.push(apply(put(`p/${String(19 - step).padStart(2, '0')}`, `new${step}`)));
      changedAfter.push(apply({ type: 'deleteObject', key: 'p/05', requestId: '' }));
      changedAfter.push(apply(put(`p/new${step}`, 'x')));
      step++;
    }
    assert.equal(listed, expected, 'the listing shows the state at its revision');
    const seen: number[] = [];
    for await (const item of client.watch('p/', { fromRevision: (revision as number) + 1 })) {
      if (item.kind === 'revision') seen.push(item.revision);
      if (seen.length >= new Set(changedAfter).size) break;
    }
    const changing = [...new Set(changedAfter)].filter((at) => at > (revision as number));
    assert.equal(seen, changing, 'the watch from revision + 1 sees every later change');
  } finally {
    await client.close();
    hub.stopAll();
    await closeServer(server);
  }
});

test.run();
