// oclif's explicit command strategy (the directory strategy fails inside the single
// executable): every command is listed here by its id.
import Limits from './limits.js';
import Serve from './serve.js';

export const COMMANDS = {
  limits: Limits,
  serve: Serve,
};
