using HaTangSo.Telemetry.Probe.Agent;

namespace HaTangSo.Telemetry.Probe.Tests;

public sealed class ScheduleTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan s_interval = TimeSpan.FromMinutes(15);

    [Fact]
    public void Next_NewSchedule_EveryLinkDueWithinOneIntervalAtARandomOffset()
    {
        var offsets = new HashSet<DateTimeOffset>();
        for (var seed = 0; seed < 20; seed++)
        {
            var schedule = new Schedule(1, s_interval, s_now, new Random(seed));
            var (_, at) = schedule.Next();
            Assert.InRange(at, s_now, s_now + s_interval);
            offsets.Add(at);
        }

        Assert.True(offsets.Count > 15, "probes started together get different offsets");
    }

    [Fact]
    public void Done_TwoLinks_EachTestedOncePerInterval()
    {
        var schedule = new Schedule(2, s_interval, s_now, new Random(1));
        var runs = new List<(int Link, DateTimeOffset At)>();
        for (var i = 0; i < 8; i++)
        {
            var next = schedule.Next();
            runs.Add(next);
            schedule.Done(next.Link, next.At + TimeSpan.FromSeconds(30));
        }

        Assert.Equal(4, runs.Count(r => r.Link == 0));
        Assert.Equal(4, runs.Count(r => r.Link == 1));
        foreach (var link in new[] { 0, 1 })
        {
            var times = runs.Where(r => r.Link == link).Select(r => r.At).ToList();
            Assert.All(times.Zip(times.Skip(1)), pair => Assert.Equal(s_interval, pair.Second - pair.First));
        }
    }

    [Fact]
    public void Done_BoxWasOffForHours_SkipsMissedSlotsKeepsOffset()
    {
        var schedule = new Schedule(1, s_interval, s_now, new Random(3));
        var (_, first) = schedule.Next();

        schedule.Done(0, first + TimeSpan.FromHours(5) + TimeSpan.FromMinutes(1));

        var (_, next) = schedule.Next();
        Assert.True(next > first + TimeSpan.FromHours(5));
        Assert.True(next - (first + TimeSpan.FromHours(5)) <= s_interval);
        Assert.Equal(0, (next - first).Ticks % s_interval.Ticks);
    }
}
