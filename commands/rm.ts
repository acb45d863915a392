import { Args, Flags } from '@oclif/core';
import { CairnCommand } from '../src/cli/base-command.js';
import { clientFlags, fenceFlag } from '../src/cli/flags.js';
import type { DeleteResult } from '../src/client/index.js';

export default class Rm extends CairnCommand {
  static override summary = 'Delete an object.';
  static override description =
    "The delete commits through Raft; the object's chunks are garbage-collected later. A missing object fails with CAIRN_ERR_NOT_FOUND (exit 1).";
  static override examples = [
    {
      description: 'Delete an object',
      command: '<%= config.bin %> <%= command.id %> backups/old.tar',
    },
    {
      description: 'Delete only if unchanged',
      command: '<%= config.bin %> <%= command.id %> config.json --if-version 42',
    },
  ];
  static override args = { key: Args.string({ description: 'object key', required: true }) };
  static override flags = {
    ...clientFlags,
    fence: fenceFlag,
    'if-version': Flags.integer({
      description: 'delete only if the object is at this version',
      min: 1,
    }),
  };

  async run(): Promise<DeleteResult> {
    const { args, flags } = await this.parse(Rm);
    const client = this.makeClient(flags);
    try {
      const result = await client.deleteObject(args.key, {
        ...(flags['if-version'] === undefined ? {} : { ifVersion: flags['if-version'] }),
        ...(flags.fence === undefined || flags.fence === '' ? {} : { fence: flags.fence }),
      });
      this.log(`${args.key} deleted at version ${result.version}`);
      return result;
    } finally {
      await client.close();
    }
  }
}
