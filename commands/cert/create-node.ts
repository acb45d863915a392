import { Args, Flags } from '@oclif/core';
import { CairnCommand } from '../../src/cli/base-command.js';
import { UsageError } from '../../src/util/errors.js';
import {
  type CreatedCertificate,
  certificateDirectoryDefault,
  createNodeFiles,
  endEntityValidDaysDefault,
} from '../../src/net/certificate-files.js';
import { nodeUriScheme } from '../../src/net/certificates.js';
import { limits } from '../../src/util/limits.js';

export default class CertCreateNode extends CairnCommand {
  static override summary = "Create a node's certificate, signed by the CA.";
  static override description =
    `Writes node-NAME.crt and node-NAME.key (P-256, mode 0600) into --dir (default ${certificateDirectoryDefault}), signed by ca.crt and ca.key there (run \`cairn cert create-ca\` first). Every HOST (an IP address or a DNS name) the node is reached at becomes a subject alternative name, checked by clients. The certificate is usable as a TLS server and client certificate, and is marked as a node's by the URI ${nodeUriScheme}NAME, so the peer port accepts it and refuses client certificates of the same CA.`;
  static override examples = [
    {
      description: 'A certificate for node n1, reached at 10.0.0.1 and n1.cairn.internal',
      command: '<%= config.bin %> <%= command.id %> n1 10.0.0.1 n1.cairn.internal',
    },
    {
      description: 'A local test node',
      command:
        '<%= config.bin %> <%= command.id %> n1 127.0.0.1 localhost --dir ./certs --valid-days 30',
    },
  ];
  static override strict = false; // HOST... takes the remaining arguments
  static override usage =
    '<%= command.id %> NAME HOST... [--dir <value>] [--valid-days <value>] [--force] [--json]';
  static override args = {
    name: Args.string({
      description: 'the node id (as given to cairn serve --id)',
      required: true,
    }),
    // Not required here: the one-line error for no HOST comes from the module.
    host: Args.string({ description: 'IP addresses and DNS names of the node (one or more)' }),
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
    force: Flags.boolean({ description: 'replace existing files of this node' }),
  };

  async run(): Promise<CreatedCertificate> {
    const { args, argv, flags } = await this.parse(CertCreateNode);
    const hosts = (argv as string[]).slice(1);
    // Without strict parsing a mistyped flag would arrive as a host.
    const unknownFlag = hosts.find((host) => host.startsWith('-'));
    if (unknownFlag !== undefined) throw new UsageError(`unknown flag ${unknownFlag}`);
    const created = await createNodeFiles({
      directory: flags.dir,
      name: args.name,
      hosts,
      validDays: flags['valid-days'],
      force: flags.force,
    });
    const names = created.certificate.subjectAlternativeNames;
    this.log(`created the certificate of node ${args.name} in ${created.directory}`);
    for (const file of created.files)
      this.log(`  ${file.path}  ${file.contents}, mode ${file.mode}`);
    this.log(`names ${names.map((name) => `${name.type}:${name.value}`).join(', ')}`);
    this.log(`expires ${created.certificate.notAfter}`);
    return created;
  }
}
