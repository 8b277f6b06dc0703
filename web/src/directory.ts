// The room list: `chat:lobby` gives it on join and tells every member about new rooms
// (`room_created`); creating a room goes through it too (`create_room`). Should the server not
// offer the lobby channel, the list comes from GET /api/rooms and rooms are made by POST.
import type { Channel, Socket } from "phoenix";
import * as api from "./api";
import { ApiError, describeFieldErrors } from "./api";
import { Emitter } from "./emitter";
import type { Room } from "./types";

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
      .receive("ok", ({ rooms }: { rooms: Room[] }) => {
        this.error = null;
        this.upsert(rooms, true);
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

  private async fetchOverHttp(): Promise<void> {
    try {
      const { rooms } = await api.listRooms();
      this.error = null;
      this.upsert(rooms, true);
    } catch (error) {
      this.error = error instanceof Error ? error.message : "The rooms could not be loaded.";
      this.changed.emit();
    }
  }
}
