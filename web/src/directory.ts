// The room list: `chat:lobby` gives its first page on join, `list_rooms` the pages after it,
// and it tells every member about new rooms (`room_created`); creating a room goes through it
// too (`create_room`). Should the server not offer the lobby channel, the list comes from
// GET /api/rooms, a page at a time, and rooms are made by POST.
import type { Channel, Socket } from "phoenix";
import * as api from "./api";
import { ApiError, describeFieldErrors } from "./api";
import { Emitter } from "./emitter";
import type { Room, RoomPage } from "./types";

export class RoomDirectory {
  readonly changed = new Emitter<void>();
  readonly rooms = new Map<string, Room>();
  loaded = false;
  error: string | null = null;
  private readonly channel: Channel;
  private viaHttp = false;

  constructor(
    socket: Socket,
    private readonly token: string,
  ) {
    this.channel = socket.channel("chat:lobby", {});
    this.channel.on("room_created", ({ room }: { room: Room }) => this.upsert([room]));
    this.channel
      .join()
      .receive("ok", (page: RoomPage) => {
        this.error = null;
        this.upsert(page.rooms, !page.has_more);
        if (page.has_more) void this.fetchRest(page);
      })
      .receive("error", () => {
        // No lobby channel on this server: read the list over HTTP instead.
        this.channel.leave();
        this.viaHttp = true;
        void this.fetchOverHttp();
      });
  }

  get sorted(): Room[] {
    return [...this.rooms.values()].sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: "base" }));
  }

  upsert(rooms: Room[], loaded = this.loaded): void {
    for (const room of rooms) this.rooms.set(room.slug, room);
    this.loaded = loaded;
    this.changed.emit();
  }

  async create(name: string, description: string): Promise<Room> {
    if (this.viaHttp || this.channel.state !== "joined") {
      const { room } = await api.createRoom(this.token, name, description);
      this.upsert([room]);
      return room;
    }
    return new Promise((resolve, reject) => {
      this.channel
        .push("create_room", { name, description })
        .receive("ok", ({ room }: { room: Room }) => {
          this.upsert([room]);
          resolve(room);
        })
        .receive("error", (response: any) => {
          const errors = response?.errors ?? {};
          reject(new ApiError(422, describeFieldErrors(errors) || "The room could not be created.", errors));
        })
        .receive("timeout", () => reject(new ApiError(0, "The server did not answer. Try again.")));
    });
  }

  leave(): void {
    this.channel.leave();
  }

  /** The pages after the join's, over the lobby; a rejoin starts over with its own first page. */
  private async fetchRest(page: RoomPage): Promise<void> {
    try {
      while (page.has_more) {
        page = await this.nextPage(page.rooms[page.rooms.length - 1].slug);
        this.upsert(page.rooms, !page.has_more);
      }
    } catch (error) {
      this.error = error instanceof Error ? error.message : "The rooms could not be loaded.";
      this.changed.emit();
    }
  }

  private nextPage(after: string): Promise<RoomPage> {
    return new Promise((resolve, reject) => {
      this.channel
        .push("list_rooms", { after })
        .receive("ok", resolve)
        .receive("error", () => reject(new Error("The rooms could not be loaded.")))
        .receive("timeout", () => reject(new Error("The server did not answer. Reload to see every room.")));
    });
  }

  private async fetchOverHttp(): Promise<void> {
    try {
      let page: RoomPage = { rooms: [], has_more: true };
      let after: string | undefined;
      while (page.has_more) {
        page = await api.listRooms(after);
        after = page.rooms[page.rooms.length - 1]?.slug;
        this.error = null;
        this.upsert(page.rooms, !page.has_more);
      }
    } catch (error) {
      this.error = error instanceof Error ? error.message : "The rooms could not be loaded.";
      this.changed.emit();
    }
  }
}
