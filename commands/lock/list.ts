import { Flags } from '@oclif/core';
import type { LockHolders } from '../../src/api/index.js';
import { CairnCommand } from '../../src/cli/base-command.js';
import { clientFlags } from '../../src/cli/flags.js';
import { CoordinationClient } from '../../src/client/index.js';

/** Pages read at most (lockListPageMax locks each). */
const pagesMax = 1_000;

export default class LockListCommand extends CairnCommand {
  static override summary = 'List the locks that have holders or waiters.';
  static override description =
    'One row per holder (with its fencing token) and per waiter (with its place in line), by lock name, as the leader has them. Elections are the locks election/NAME. (`cairn lock list` is this command, so a lock cannot be named "list".)';
  static override examples = [
    { description: 'Every lock', command: '<%= config.bin %> <%= command.id %>' },
    {
      description: 'The deploy locks, as JSON',
      command: '<%= config.bin %> <%= command.id %> --prefix deploy/ --json',
    },
  ];
  static override flags = {
    ...clientFlags,
    prefix: Flags.string({ description: 'only locks whose name starts with this' }),
  };

  async run(): Promise<{ items: LockHolders[] }> {
    const { flags } = await this.parse(LockListCommand);
    const client = this.makeClient(flags);
    try {
      const coordination = new CoordinationClient(client);
      const items: LockHolders[] = [];
      let after: string | undefined;
      for (let page = 0; page < pagesMax; page++) {
        const list = await coordination.listLocks({
          ...(flags.prefix === undefined ? {} : { prefix: flags.prefix }),
          ...(after === undefined ? {} : { after }),
        });
        items.push(...list.items);
        if (list.next === undefined) break;
        after = list.next;
      }
      this.printTable(['LOCK', 'MODE', 'STANDING', 'TOKEN', 'LEASE', 'REQUEST ID'], rows(items));
      return { items };
    } finally {
      await client.close();
    }
  }
}

function rows(items: readonly LockHolders[]): string[][] {
  const table: string[][] = [];
  for (const lock of items) {
    const mode = (entry: LockHolders['holders'][number]): string =>
      entry.mode === 'semaphore' ? `semaphore ${lock.semaphoreLimit}` : entry.mode;
    for (const holder of lock.holders)
      table.push([
        lock.name,
        mode(holder),
        'holds',
        String(holder.token ?? ''),
        String(holder.leaseId),
        holder.requestId,
      ]);
    lock.waiters.forEach((waiter, index) => {
      table.push([
        lock.name,
        mode(waiter),
        `waits #${index + 1}`,
        '',
        String(waiter.leaseId),
        waiter.requestId,
      ]);
    });
  }
  return table;
}
