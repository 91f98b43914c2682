// The pool's worker when kport runs from source (tests and benches under tsx): node 20's worker threads do not
// take `--import tsx` ("Unknown file extension .ts": every file failed), so the TypeScript worker is loaded through
// tsx's CommonJS hook. The bundle (dist/check-worker.js) needs none of this.
require('tsx/cjs/api').register();
require('./worker.ts');
