import { Args } from '@oclif/core';
import type { LeaseRevoked } from '../../src/api/index.js';
import { CairnCommand } from '../../src/cli/base-command.js';
import { clientFlags } from '../../src/cli/flags.js';
import { CoordinationClient } from '../../src/client/index.js';

export default class LeaseRevoke extends CairnCommand {
  static override summary = 'Revoke a lease: its locks are released in the same entry.';
  static override examples = [
    { description: 'Revoke lease 42', command: '<%= config.bin %> <%= command.id %> 42' },
  ];
  static override args = { id: Args.integer({ description: 'lease id', required: true, min: 1 }) };
  static override flags = { ...clientFlags };

  async run(): Promise<LeaseRevoked> {
    const { args, flags } = await this.parse(LeaseRevoke);
    const client = this.makeClient(flags);
    try {
      const answer = await new CoordinationClient(client).revokeLease(args.id);
      this.log(`lease ${args.id} revoked`);
      return answer;
    } finally {
      await client.close();
    }
  }
}
