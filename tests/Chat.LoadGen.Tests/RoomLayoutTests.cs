using Chat.LoadGen.Worker;

namespace Chat.LoadGen.Tests;

public class RoomLayoutTests
{
    [Fact]
    public void Two_thousand_rooms_of_ten_from_ten_thousand_sockets_in_two_rooms_each()
    {
        var layout = new RoomLayout { Rooms = 2000, RoomsPerSocket = 2 };
        var members = new Dictionary<int, HashSet<long>>();
        for (long socket = 0; socket < 10_000; socket++)
        {
            var first = layout.RoomOf(socket, 0);
            var second = layout.RoomOf(socket, 1);
            Assert.NotEqual(first, second);
            foreach (var room in new[] { first, second })
            {
                (members.TryGetValue(room, out var set) ? set : members[room] = []).Add(socket);
            }
        }

        Assert.Equal(2000, members.Count);
        Assert.All(members.Values, set => Assert.Equal(10, set.Count));
    }
}
