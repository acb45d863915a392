import { Flags } from '@oclif/core';
import { CairnCommand } from '../../src/cli/base-command.js';
import {
  type CertificateListEntry,
  certificateDirectoryDefault,
  listCertificateFiles,
} from '../../src/net/certificate-files.js';

const fingerprintShownCharacters = 23; // the first 8 bytes; inspect shows all 32

export default class CertList extends CairnCommand {
  static override summary = 'List the certificates of a certificate directory.';
  static override description =
    `A table of every .crt file in --dir (default ${certificateDirectoryDefault}): its kind (ca, node, client, other, or invalid), subject, expiry and the start of its SHA-256 fingerprint (the whole fingerprint with --json or \`cairn cert inspect\`). Private keys are never read.`;
  static override examples = [
    { description: 'List the certificates', command: '<%= config.bin %> <%= command.id %>' },
    {
      description: 'Certificates that expire within 30 days',
      command:
        '<%= config.bin %> <%= command.id %> --dir ./certs --json | jq -r --arg t "$(date -d +30days -Is)" \'.[] | select(.notAfter < $t) | .file\'',
    },
  ];
  static override flags = {
    dir: Flags.directory({
      description: 'the certificate directory',
      default: certificateDirectoryDefault,
    }),
  };

  async run(): Promise<CertificateListEntry[]> {
    const { flags } = await this.parse(CertList);
    const entries = await listCertificateFiles(flags.dir);
    this.printTable(
      ['file', 'kind', 'subject', 'expires', 'fingerprint (SHA-256)'],
      entries.map((entry) => [
        entry.file,
        entry.kind,
        entry.error ?? entry.subject,
        entry.notAfter === null ? '' : `${entry.notAfter}${entry.expired ? ' (expired)' : ''}`,
        entry.fingerprintSha256 === null
          ? ''
          : `${entry.fingerprintSha256.slice(0, fingerprintShownCharacters)}…`,
      ]),
    );
    return entries;
  }
}
