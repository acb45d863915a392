import { Args } from '@oclif/core';
import { CairnCommand } from '../../src/cli/base-command.js';
import { addKey, type KeySummary } from '../../src/storage/encryption-keys.js';

export default class EncryptionAddKey extends CairnCommand {
  static override summary = 'Add a new key to a key file (key rotation).';
  static override description =
    'Appends a random AES-256 key with the next id to FILE (kept at mode 0600). After a restart, a node given this file seals new data under the new key and still opens data sealed under the older keys, so keep every key that sealed data in the file. The key is never printed.';
  static override examples = [
    {
      description: 'Rotate: add key 2, then restart the node with the same file',
      command: '<%= config.bin %> <%= command.id %> /etc/cairn/n1.keys',
    },
  ];
  static override args = {
    file: Args.string({ description: 'the key file', required: true }),
  };

  async run(): Promise<KeySummary & { file: string }> {
    const { args } = await this.parse(EncryptionAddKey);
    const added = await addKey(args.file);
    this.log(
      `added key ${added.id} (fingerprint ${added.fingerprint}) to ${args.file}; it seals new data after a restart`,
    );
    return { file: args.file, ...added };
  }
}
