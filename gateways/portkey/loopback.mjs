// Preloaded with `node --import ./loopback.mjs`: Portkey's start-server.js calls
// @hono/node-server's serve() with a port and no host, which binds every interface. This makes
// a listen() that names no host bind PORTKEY_HOST (default 127.0.0.1) instead, so the gateway is
// reachable from loopback only.
import net from 'node:net';

const host = process.env.PORTKEY_HOST || '127.0.0.1';
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  // listen(port[, backlog][, cb]) or listen({port, ...}[, cb])
  if (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0]))) {
    const port = Number(args[0]);
    const cb = args.find((a) => typeof a === 'function');
    if (typeof args[1] !== 'string')
      return cb ? listen.call(this, port, host, cb) : listen.call(this, port, host);
  } else if (args[0] && typeof args[0] === 'object' && args[0].port !== undefined && !args[0].host && !args[0].path) {
    args[0] = { ...args[0], host };
  }
  return listen.apply(this, args);
};
