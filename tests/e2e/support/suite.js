// One server per describe block, and the sockets its tests open, closed after the block.
import { after, before } from "node:test";
import { TestServer } from "./server.js";
import { connectSocket, disconnect } from "./phoenix.js";

export function serverSuite(options = {}) {
  const suite = {
    server: null,
    sockets: [],
    /** A phoenix Socket for the token, connected; closed after the block. */
    open(token, socketOptions = {}) {
      const socket = connectSocket(suite.server.socketUrl, { params: { token }, ...socketOptions });
      suite.sockets.push(socket);
      return socket;
    },
  };
  before(async () => { suite.server = await new TestServer(options).start(); });
  after(async () => {
    await Promise.all(suite.sockets.map(disconnect));
    await suite.server.dispose();
  });
  return suite;
}
