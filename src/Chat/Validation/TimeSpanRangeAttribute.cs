using System.ComponentModel.DataAnnotations;

namespace Chat.Validation;

/// <summary>A <see cref="RangeAttribute"/> over <see cref="TimeSpan"/> bounds, safe to validate from several threads at once.</summary>
/// <remarks>
/// <see cref="RangeAttribute"/> converts its string bounds on first use, on the instance that
/// every validation of the type shares; two hosts validating the same options at once could see
/// a half-done conversion and fail with an InvalidCastException (seen in the test suite, where
/// hosts start in parallel). Converting in the constructor, before the instance is shared,
/// leaves nothing to race on.
/// </remarks>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class TimeSpanRangeAttribute : RangeAttribute
{
    public TimeSpanRangeAttribute(string minimum, string maximum)
        : base(typeof(TimeSpan), minimum, maximum) => _ = base.IsValid(TimeSpan.Zero);
}
