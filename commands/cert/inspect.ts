import { Args } from '@oclif/core';
import { CairnCommand } from '../../src/cli/base-command.js';
import { inspectCertificateFile } from '../../src/net/certificate-files.js';
import type { CertificateSummary } from '../../src/net/certificates.js';

export default class CertInspect extends CairnCommand {
  static override summary = 'Show what a certificate says: subject, SANs, expiry, fingerprint.';
  static override description =
    'Reads one PEM certificate (any, not only those of cairn cert) and shows its kind (ca, node, client or other), subject, issuer, subject alternative names, validity, SHA-256 fingerprint and serial number; for a node certificate its node name, for a client certificate its user. A private key file is refused, never shown.';
  static override examples = [
    {
      description: "Inspect a node's certificate",
      command: '<%= config.bin %> <%= command.id %> ./cairn-certs/node-n1.crt',
    },
    {
      description: "The CA's fingerprint, for a script",
      command:
        '<%= config.bin %> <%= command.id %> ./cairn-certs/ca.crt --json | jq -r .fingerprintSha256',
    },
  ];
  static override args = {
    file: Args.file({ description: 'a PEM certificate file', required: true }),
  };

  async run(): Promise<CertificateSummary> {
    const { args } = await this.parse(CertInspect);
    const summary = await inspectCertificateFile(args.file);
    const names = summary.subjectAlternativeNames.map((name) => `${name.type}:${name.value}`);
    const rows: [string, string][] = [
      ['kind', summary.kind],
      ['subject', summary.subject],
      ['issuer', summary.issuer],
      ['names (SANs)', names.length === 0 ? '(none)' : names.join(', ')],
      ['not before', summary.notBefore],
      ['not after', `${summary.notAfter}${summary.expired ? ' (expired)' : ''}`],
      ['fingerprint (SHA-256)', summary.fingerprintSha256],
      ['serial number', summary.serialNumber],
    ];
    if (summary.nodeName !== null) rows.push(['node', summary.nodeName]);
    if (summary.user !== null) rows.push(['user', summary.user]);
    const width = Math.max(...rows.map(([label]) => label.length));
    for (const [label, value] of rows) this.log(`${label.padEnd(width)}  ${value}`);
    return summary;
  }
}
