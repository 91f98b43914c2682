/** Entry of dist/server.js, the server VS Code starts over node-ipc (any transport flag works). */
import { startServer } from './server';

startServer();
