import { Args } from '@oclif/core';
import { CairnCommand } from '../../src/cli/base-command.js';
import { createKeyFile, type KeySummary } from '../../src/storage/encryption-keys.js';

export default class EncryptionCreateKey extends CairnCommand {
  static override summary =
    'Create a key file for encryption at rest (cairn serve --encryption-key-file).';
  static override description =
    'Writes FILE (mode 0600) holding one random AES-256 key with id 1. The key is never printed; only its id and fingerprint are. An existing file is never replaced: it may hold the only key of encrypted data (use `cairn encryption add-key` to rotate). Keep a copy of the key file apart from the data: without it the data cannot be read.';
  static override examples = [
    {
      description: 'Create a key file and start an encrypted node',
      command:
        '<%= config.bin %> <%= command.id %> /etc/cairn/n1.keys && cairn serve --name n1 --data-dir /var/lib/cairn/n1 --encryption-key-file /etc/cairn/n1.keys',
    },
  ];
  static override args = {
    file: Args.string({ description: 'the key file to create', required: true }),
  };

  async run(): Promise<KeySummary & { file: string }> {
    const { args } = await this.parse(EncryptionCreateKey);
    const created = await createKeyFile(args.file);
    this.log(
      `created ${args.file} (mode 0600): key ${created.id}, fingerprint ${created.fingerprint}`,
    );
    return { file: args.file, ...created };
  }
}
