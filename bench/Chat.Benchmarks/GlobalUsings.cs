global using Chat.Messages;
global using Chat.Rooms;
