export { closeListener, createListener, listen } from './listen.js';
export { baseUrl, configureNet, netSettings, type NetScheme, type NetSettings } from './scheme.js';
