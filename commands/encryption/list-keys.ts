import { Args } from '@oclif/core';
import { CairnCommand } from '../../src/cli/base-command.js';
import { type KeySummary, readKeyFile, summarize } from '../../src/storage/encryption-keys.js';

export default class EncryptionListKeys extends CairnCommand {
  static override summary = 'List the keys of a key file (ids, creation times, fingerprints).';
  static override description =
    'Shows each key id, when it was created and a fingerprint (the first 16 hex digits of a SHA-256 of the key), never the key. The highest id seals new data.';
  static override examples = [
    {
      description: 'List the keys',
      command: '<%= config.bin %> <%= command.id %> /etc/cairn/n1.keys',
    },
  ];
  static override args = {
    file: Args.string({ description: 'the key file', required: true }),
  };

  async run(): Promise<{ file: string; keys: KeySummary[] }> {
    const { args } = await this.parse(EncryptionListKeys);
    const keys = summarize(await readKeyFile(args.file));
    const newest = keys.at(-1)?.id;
    for (const key of keys)
      this.log(
        `${key.id}  ${key.created}  ${key.fingerprint}${key.id === newest ? '  (seals)' : ''}`,
      );
    return { file: args.file, keys };
  }
}
