// Preloaded with NODE_OPTIONS=--require in tests of the fallback: removes
// the internal net._createServerHandle, as a Node without it would be, so
// the supervisor accepts and deals connections (src/supervisor/dealer.ts).
import net = require('node:net');

delete (net as unknown as { _createServerHandle?: unknown })._createServerHandle;
