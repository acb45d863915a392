export {
  closeListener,
  createListener,
  isLoopbackAddress,
  listen,
  type PeerIdentity,
  type PortKind,
  peerIdentity,
} from './listen.js';
export {
  baseUrl,
  configureNet,
  type NetScheme,
  type NetSettings,
  netSettings,
  onTlsReload,
  replaceTlsMaterial,
} from './scheme.js';
export {
  clientDialOptions,
  clientTlsDefault,
  configureClientTls,
  nodeDialOptions,
  nodeDispatcher,
} from './dial.js';
export {
  type ClientTls,
  type ClientTlsPaths,
  nodeTlsPaths,
  readClientTls,
  readNodeTlsMaterial,
  type TlsMaterial,
} from './tls-material.js';
export { watchNodeTls } from './tls-reload.js';
