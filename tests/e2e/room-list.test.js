// The room list comes a page at a time (CONTRACT.md §2, §3): GET /api/rooms with after and
// limit, and the lobby's join with list_rooms after it, through the official phoenix client.
// One page is the same whichever way it is read.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { call, createRoom, signUp, uniqueName } from "./support/api.js";
import { join, reply } from "./support/phoenix.js";
import { serverSuite } from "./support/suite.js";

describe("the room list, a page at a time", () => {
  // 105 rooms from one user: far past the 10 a minute a person may create.
  const suite = serverSuite({ env: { Chat__RateLimit__RoomCreations: "1000" } });
  let token;
  let ours;

  before(async () => {
    ({ token } = await signUp(suite.server));
    const stem = uniqueName("Paged ");
    ours = [];
    for (let i = 0; i < 105; i++) ours.push(await createRoom(suite.server, token, `${stem} ${String(i).padStart(3, "0")}`));
  });

  async function everyRoomOverHttp(limit) {
    const rooms = [];
    let after = null;
    for (;;) {
      const query = new URLSearchParams({ ...(after ? { after } : {}), ...(limit ? { limit: String(limit) } : {}) });
      const { status, body } = await call(suite.server, "GET", `/api/rooms?${query}`);
      assert.equal(status, 200);
      rooms.push(...body.rooms);
      if (!body.has_more) return rooms;
      assert.equal(body.rooms.length, limit ?? 100);
      after = body.rooms.at(-1).slug;
    }
  }

  test("over HTTP: 100 rooms by default, the rest after the last slug, every room once in name order", async () => {
    const rooms = await everyRoomOverHttp();
    assert.equal(rooms.length, 106); // ours and the lobby
    assert.deepEqual(rooms.filter((r) => ours.some((o) => o.id === r.id)).map((r) => r.id), ours.map((r) => r.id));
    assert.deepEqual((await everyRoomOverHttp(7)).map((r) => r.id), rooms.map((r) => r.id));

    const bad = await call(suite.server, "GET", "/api/rooms?limit=201");
    assert.deepEqual([bad.status, bad.body], [422, { errors: { limit: ["must be less than or equal to 200"] } }]);
    const gone = await call(suite.server, "GET", "/api/rooms?after=no-such-room");
    assert.deepEqual([gone.status, gone.body], [422, { errors: { after: ["does not exist"] } }]);
  });

  test("the lobby: the join is the first page, list_rooms the next, as over HTTP", async () => {
    const lobby = suite.open(token).channel("chat:lobby");
    const joined = await join(lobby);
    const firstPage = (await call(suite.server, "GET", "/api/rooms")).body;
    assert.equal(joined.status, "ok");
    assert.deepEqual(joined.response, firstPage);
    assert.equal(joined.response.rooms.length, 100);
    assert.equal(joined.response.has_more, true);

    const next = await reply(lobby.push("list_rooms", { after: joined.response.rooms.at(-1).slug }));
    assert.equal(next.status, "ok");
    assert.deepEqual(next.response, (await call(suite.server, "GET", `/api/rooms?after=${joined.response.rooms.at(-1).slug}`)).body);
    assert.equal(next.response.rooms.length, 6);
    assert.equal(next.response.has_more, false);

    const small = await reply(lobby.push("list_rooms", { limit: 2 }));
    assert.deepEqual(small.response.rooms.map((r) => r.id), joined.response.rooms.slice(0, 2).map((r) => r.id));
    const bad = await reply(lobby.push("list_rooms", { after: "no-such-room" }));
    assert.deepEqual(bad, { status: "error", response: { errors: { after: ["does not exist"] } } });
  });
});
