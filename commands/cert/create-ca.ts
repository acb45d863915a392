import { Flags } from '@oclif/core';
import { CairnCommand } from '../../src/cli/base-command.js';
import {
  authorityValidDaysDefault,
  type CreatedCertificate,
  certificateDirectoryDefault,
  createAuthorityFiles,
} from '../../src/net/certificate-files.js';
import { certificateAuthorityNameDefault } from '../../src/net/certificates.js';
import { limits } from '../../src/util/limits.js';

export default class CertCreateCa extends CairnCommand {
  static override summary =
    'Create the certificate authority (CA) that signs node and client certificates.';
  static override description =
    `Writes ca.crt (the CA certificate, mode 0644) and ca.key (its P-256 private key, mode 0600) into --dir (default ${certificateDirectoryDefault}). No openssl needed. Keep ca.key secret: whoever holds it can issue certificates every node trusts. An existing file is kept unless --force is given.`;
  static override examples = [
    {
      description: `Create a CA in ${certificateDirectoryDefault}`,
      command: '<%= config.bin %> <%= command.id %>',
    },
    {
      description: 'Name it and keep it for 5 years',
      command:
        '<%= config.bin %> <%= command.id %> --dir /etc/cairn/certs --name "acme cairn CA" --valid-days 1825',
    },
  ];
  static override flags = {
    dir: Flags.directory({
      description: 'the certificate directory',
      default: certificateDirectoryDefault,
    }),
    name: Flags.string({
      description: 'the CA common name',
      default: certificateAuthorityNameDefault,
    }),
    'valid-days': Flags.integer({
      description: 'days the CA stays valid',
      default: authorityValidDaysDefault,
      min: 1,
      max: limits.certificateValidityDaysMax,
    }),
    force: Flags.boolean({ description: 'replace an existing ca.crt and ca.key' }),
  };

  async run(): Promise<CreatedCertificate> {
    const { flags } = await this.parse(CertCreateCa);
    const created = await createAuthorityFiles({
      directory: flags.dir,
      name: flags.name,
      validDays: flags['valid-days'],
      force: flags.force,
    });
    this.log(`created the CA "${flags.name}" in ${created.directory}`);
    for (const file of created.files)
      this.log(`  ${file.path}  ${file.contents}, mode ${file.mode}`);
    this.log(`expires ${created.certificate.notAfter}`);
    this.log(`fingerprint (SHA-256) ${created.certificate.fingerprintSha256}`);
    return created;
  }
}
