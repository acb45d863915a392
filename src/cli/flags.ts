// Flags every client command shares (DESIGN.md section 6).
import { Flags } from '@oclif/core';

export const endpointsFlag = Flags.string({
  description: 'comma-separated HOST:PORT client addresses of cluster nodes',
  env: 'CAIRN_ENDPOINTS',
  helpGroup: 'CLUSTER',
});

export const policyFlag = Flags.option({
  options: ['round-robin', 'random', 'key-hash'] as const,
  description: 'how requests are spread over the endpoints',
  default: 'round-robin' as const,
  helpGroup: 'CLUSTER',
})();

export const consistencyFlag = Flags.option({
  options: ['linearizable', 'serializable'] as const,
  description:
    "linearizable (ReadIndex through the leader) or serializable (the answering node's local state)",
  default: 'linearizable' as const,
})();

export const clientFlags = { endpoints: endpointsFlag, policy: policyFlag };
