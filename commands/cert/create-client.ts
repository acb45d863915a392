import { Args, Flags } from '@oclif/core';
import { CairnCommand } from '../../src/cli/base-command.js';
import {
  type CreatedCertificate,
  certificateDirectoryDefault,
  createClientFiles,
  endEntityValidDaysDefault,
} from '../../src/net/certificate-files.js';
import { limits } from '../../src/util/limits.js';

export default class CertCreateClient extends CairnCommand {
  static override summary = "Create a client's certificate for a user, signed by the CA.";
  static override description =
    `Writes client-USER.crt and client-USER.key (P-256, mode 0600) into --dir (default ${certificateDirectoryDefault}), signed by ca.crt and ca.key there (run \`cairn cert create-ca\` first). The certificate's common name is the user; it is valid for TLS client authentication only, so the peer port of a node refuses it.`;
  static override examples = [
    {
      description: 'A certificate for the user alice',
      command: '<%= config.bin %> <%= command.id %> alice',
    },
    {
      description: 'The root user, in another directory, for 30 days',
      command: '<%= config.bin %> <%= command.id %> root --dir ./certs --valid-days 30',
    },
  ];
  static override args = {
    user: Args.string({ description: 'the user, the certificate common name', required: true }),
  };
  static override flags = {
    dir: Flags.directory({
      description: 'the certificate directory, holding the CA',
      default: certificateDirectoryDefault,
    }),
    'valid-days': Flags.integer({
      description: 'days the certificate stays valid',
      default: endEntityValidDaysDefault,
      min: 1,
      max: limits.certificateValidityDaysMax,
    }),
    force: Flags.boolean({ description: 'replace existing files of this user' }),
  };

  async run(): Promise<CreatedCertificate> {
    const { args, flags } = await this.parse(CertCreateClient);
    const created = await createClientFiles({
      directory: flags.dir,
      user: args.user,
      validDays: flags['valid-days'],
      force: flags.force,
    });
    this.log(`created the client certificate of user ${args.user} in ${created.directory}`);
    for (const file of created.files)
      this.log(`  ${file.path}  ${file.contents}, mode ${file.mode}`);
    this.log(`expires ${created.certificate.notAfter}`);
    return created;
  }
}
