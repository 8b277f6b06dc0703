using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Options;

namespace Chat.Server.Configuration;

/// <summary>
/// Validates an options class by its data annotations and <see cref="IValidatableObject"/>,
/// and names each failure by its configuration key (<c>Chat:Channels:MaxFrameBytes must be
/// between 1024 and 16777216; it is 0</c>), not by the C# member, since the key is what an
/// operator can change. Properties marked <see cref="ValidateObjectMembersAttribute"/> are
/// validated too, under their own sub-section. A property marked
/// <c>[DataType(DataType.Password)]</c> is a secret: its value is never shown.
/// </summary>
internal sealed class SectionValidator<TOptions>(string section) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var failures = new List<string>();
        Collect(options, section, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Collect(object options, string path, List<string> failures)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        foreach (var result in results)
        {
            var members = result.MemberNames.ToArray();
            if (members.Length == 0)
            {
                failures.Add($"{path}: {result.ErrorMessage}");
                continue;
            }

            foreach (var member in members)
            {
                var property = options.GetType().GetProperty(member);
                var key = path + ":" + (property is null ? member : SectionBinder.KeyOf(property));
                // A secret's value is never shown: the message alone says what is wrong with it.
                failures.Add(property?.GetCustomAttribute<DataTypeAttribute>()?.DataType == DataType.Password
                    ? $"{key} {result.ErrorMessage}"
                    : $"{key} {result.ErrorMessage}; it is {Describe(property?.GetValue(options))}");
            }
        }

        foreach (var property in options.GetType().GetProperties())
        {
            if (property.IsDefined(typeof(ValidateObjectMembersAttribute)) && property.GetValue(options) is { } nested)
            {
                Collect(nested, path + ":" + SectionBinder.KeyOf(property), failures);
            }
        }
    }

    private static string Describe(object? value) => value switch
    {
        null => "not set",
        string text => $"\"{text}\"",
        System.Collections.IEnumerable list => "[" + string.Join(", ", list.Cast<object?>().Select(Describe)) + "]",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
