import { CairnCommand } from '../../src/cli/base-command.js';
import { clientFlags, durationFlag } from '../../src/cli/flags.js';
import type { LeaseView } from '../../src/api/index.js';
import { CoordinationClient } from '../../src/client/index.js';
import { limits } from '../../src/util/limits.js';

export default class LeaseGrant extends CairnCommand {
  static override summary = 'Grant a lease and print its id.';
  static override description =
    `A lease lives for its TTL after its grant or last keepalive (at least ${limits.leaseTtlMillisecondsMin} ms, leaseTtlMillisecondsMin). Its expiry is decided by the leader and committed; it is never expired earlier, and a new leader never gives it a fresh TTL.`;
  static override examples = [
    { description: 'A 10 s lease', command: '<%= config.bin %> <%= command.id %> --ttl 10s' },
  ];
  static override flags = {
    ...clientFlags,
    ttl: durationFlag({
      description: 'time to live after each keepalive',
      minimumMilliseconds: limits.leaseTtlMillisecondsMin,
      maximumMilliseconds: limits.leaseTtlMillisecondsMax,
      fallback: '10s',
    }),
  };

  async run(): Promise<LeaseView> {
    const { flags } = await this.parse(LeaseGrant);
    const client = this.makeClient(flags);
    try {
      const lease = await new CoordinationClient(client).grantLease(flags.ttl);
      this.log(`lease ${lease.id} granted, ttl ${lease.ttlMilliseconds} ms`);
      return lease;
    } finally {
      await client.close();
    }
  }
}
