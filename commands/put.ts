import { Args, Flags } from '@oclif/core';
import { CairnCommand } from '../src/cli/base-command.js';
import { clientFlags, durationFlag, fenceFlag } from '../src/cli/flags.js';
import { putObjectFrom } from '../src/cli/object-transfer.js';
import type { ObjectMetadata } from '../src/client/index.js';
import { stageObjectFrom, type StagedPut } from '../src/cli/stage-transfer.js';
import { limits } from '../src/util/limits.js';

export default class Put extends CairnCommand {
  static override summary = 'Store an object from a file or stdin.';
  static override description =
    'Objects up to 64 KiB are stored inline in the replicated metadata; larger ones are cut into 4 MiB chunks, each stored durably on its R nodes before the object is committed. Prints the key, version, size and SHA-256. With --if-version or --if-absent the write happens only if the object is still at that version (compare-and-set).';
  static override examples = [
    {
      description: 'Store a file',
      command: '<%= config.bin %> <%= command.id %> backups/db.tar ./db.tar',
    },
    {
      description: 'Store stdin',
      command: 'echo hello | <%= config.bin %> <%= command.id %> greetings/en -',
    },
    {
      description: 'Create only if absent',
      command: '<%= config.bin %> <%= command.id %> locks/job ./owner.txt --if-absent',
    },
    {
      description: 'Compare-and-set on the version',
      command: '<%= config.bin %> <%= command.id %> config.json ./config.json --if-version 42',
    },
    {
      description: 'Stage a large object; print the handle a txn commits (putStaged)',
      command: '<%= config.bin %> <%= command.id %> --stage videos/a.mp4 ./a.mp4',
    },
  ];
  static override args = {
    key: Args.string({ description: 'object key (UTF-8, 1 to 1024 bytes)', required: true }),
    file: Args.string({ description: 'file to store, or - for stdin', required: true }),
  };
  static override flags = {
    ...clientFlags,
    fence: fenceFlag,
    lease: Flags.integer({
      description: 'delete the object when this lease ends (cairn lease grant)',
      min: 1,
    }),
    'if-version': Flags.integer({
      description: 'write only if the object is at this version (0: absent)',
      min: 0,
      exclusive: ['if-absent'],
    }),
    'if-absent': Flags.boolean({
      description: 'write only if the key does not exist',
      exclusive: ['if-version'],
    }),
    stage: Flags.boolean({
      description:
        'store the bytes as a staged upload and print its handle; a txn commits it under KEY with {"type":"putStaged","key":KEY,"handle":...}',
      exclusive: ['if-version', 'if-absent'],
    }),
    'stage-lifetime': durationFlag({
      description: 'with --stage: drop the upload if no txn commits it within this long',
      minimumMilliseconds: 1000,
      maximumMilliseconds: limits.stagingLifetimeMillisecondsMax,
    }),
  };

  async run(): Promise<ObjectMetadata | StagedPut> {
    const { args, flags } = await this.parse(Put);
    const client = this.makeClient(flags);
    try {
      if (flags.stage) {
        const lifetime = flags['stage-lifetime'];
        const staged = await stageObjectFrom(client, {
          key: args.key,
          source: args.file,
          ...(lifetime === undefined ? {} : { lifetimeMilliseconds: lifetime }),
        });
        this.log(staged.handle);
        return staged;
      }
      const result = await putObjectFrom(client, {
        key: args.key,
        source: args.file,
        ...(flags['if-version'] === undefined ? {} : { ifVersion: flags['if-version'] }),
        ...(flags['if-absent'] ? { ifAbsent: true } : {}),
        ...(flags.fence === undefined || flags.fence === '' ? {} : { fence: flags.fence }),
        ...(flags.lease === undefined ? {} : { lease: flags.lease }),
      });
      this.log(
        `${result.key} version ${result.version} size ${result.size} sha256 ${result.sha256}`,
      );
      return result;
    } finally {
      await client.close();
    }
  }
}
