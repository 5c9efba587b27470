namespace HaTangSo.Telemetry.Server.Compliance;

/// <summary>Days and months as the provinces count them: Vietnam time, UTC+7 all year (no daylight saving).</summary>
internal static class VietnamTime
{
    /// <summary>UTC+7.</summary>
    public static readonly TimeSpan Offset = TimeSpan.FromHours(7);

    /// <summary>The zone for cron schedules: the system's Asia/Ho_Chi_Minh, or a fixed UTC+7 where tzdata is missing.</summary>
    public static TimeZoneInfo Zone { get; } = TimeZoneInfo.TryFindSystemTimeZoneById("Asia/Ho_Chi_Minh", out var zone)
        ? zone
        : TimeZoneInfo.CreateCustomTimeZone("UTC+07", Offset, "Vietnam (UTC+7)", "Vietnam (UTC+7)");

    /// <summary>00:00 Vietnam time of <paramref name="day"/>, as an instant (in UTC, as PostgreSQL stores it).</summary>
    public static DateTimeOffset StartOf(DateOnly day) => new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), Offset).ToUniversalTime();

    /// <summary>The Vietnamese calendar day <paramref name="time"/> falls in.</summary>
    public static DateOnly DayOf(DateTimeOffset time) => DateOnly.FromDateTime(time.ToOffset(Offset).DateTime);

    /// <summary>The first day of the month <paramref name="time"/> falls in.</summary>
    public static DateOnly MonthOf(DateTimeOffset time)
    {
        var day = DayOf(time);
        return new DateOnly(day.Year, day.Month, 1);
    }

    /// <summary><paramref name="time"/> rounded down to a whole <paramref name="step"/> (hours, minutes).</summary>
    public static DateTimeOffset Floor(DateTimeOffset time, TimeSpan step) =>
        new(time.UtcTicks - (time.UtcTicks % step.Ticks), TimeSpan.Zero);
}
