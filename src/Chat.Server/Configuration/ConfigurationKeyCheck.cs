using System.Reflection;
using Microsoft.Extensions.Options;

namespace Chat.Server.Configuration;

/// <summary>The marker the key check is registered under, so that it runs at start with the options' own validation.</summary>
public sealed class ConfigurationKeys;

/// <summary>
/// Every key under <c>Chat</c> and <c>ConnectionStrings</c> must be one that a registered
/// options class declares (CONTRACT.md §0: a key the server does not act on is never accepted
/// silently). A misspelt <c>Chat:Channels:IdelTimeout</c> stops the server, and the message
/// suggests the key that was meant.
/// </summary>
internal sealed class ConfigurationKeyCheck(IConfiguration configuration, IEnumerable<ConfigurationSectionOwner> owners) : IValidateOptions<ConfigurationKeys>
{
    private static readonly string[] CheckedRoots = ["Chat", "ConnectionStrings"];

    public ValidateOptionsResult Validate(string? name, ConfigurationKeys options)
    {
        var sections = owners.OrderByDescending(o => o.Section.Length).ToArray();
        var failures = new List<string>();
        foreach (var root in CheckedRoots)
        {
            foreach (var (key, value) in configuration.GetSection(root).AsEnumerable())
            {
                if (value is null)
                {
                    continue; // a section, not a value: its keys are checked one by one
                }

                if (Find(sections, key) is not { } owner)
                {
                    failures.Add($"{key} is not a setting of this server (docs/configuration.md lists them).");
                    continue;
                }

                var path = key.Length == owner.Section.Length ? [] : key[(owner.Section.Length + 1)..].Split(':');
                if (!IsKnown(owner.OptionsType, path, 0))
                {
                    var suggestion = Suggest(owner, path);
                    failures.Add($"{key} is not a setting of this server{(suggestion is null ? "" : $"; did you mean {suggestion}?")} (docs/configuration.md lists them).");
                }
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static ConfigurationSectionOwner? Find(ConfigurationSectionOwner[] sections, string key) =>
        sections.FirstOrDefault(o => key.Equals(o.Section, StringComparison.OrdinalIgnoreCase)
            || key.StartsWith(o.Section + ":", StringComparison.OrdinalIgnoreCase));

    private static bool IsKnown(Type type, string[] path, int index)
    {
        if (index == path.Length)
        {
            return true;
        }

        if (IsScalar(type))
        {
            return false;
        }

        if (ElementOfDictionary(type) is { } valueType)
        {
            return IsKnown(valueType, path, index + 1);
        }

        if (ElementOfList(type) is { } elementType)
        {
            return int.TryParse(path[index], out _) && IsKnown(elementType, path, index + 1);
        }

        return FindProperty(type, path[index]) is { } property && IsKnown(property.PropertyType, path, index + 1);
    }

    private static PropertyInfo? FindProperty(Type type, string key) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .FirstOrDefault(p => SectionBinder.KeyOf(p).Equals(key, StringComparison.OrdinalIgnoreCase));

    private static bool IsScalar(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan)
            || type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(Guid) || type == typeof(Uri);
    }

    private static Type? ElementOfDictionary(Type type) =>
        type.GetInterfaces().Append(type)
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() is var d && (d == typeof(IDictionary<,>) || d == typeof(IReadOnlyDictionary<,>)))
            ?.GetGenericArguments()[1];

    private static Type? ElementOfList(Type type) =>
        type.IsArray ? type.GetElementType()
        : type == typeof(string) ? null
        : type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];

    /// <summary>The declared key closest to a misspelt one (at most two edits away), for the error message.</summary>
    private static string? Suggest(ConfigurationSectionOwner owner, string[] path)
    {
        var type = owner.OptionsType;
        var prefix = owner.Section;
        for (var i = 0; i < path.Length; i++)
        {
            var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance);
            if (FindProperty(type, path[i]) is { } exact)
            {
                prefix += ":" + SectionBinder.KeyOf(exact);
                type = exact.PropertyType;
                continue;
            }

            var best = properties
                .Select(p => (Name: SectionBinder.KeyOf(p), Distance: Distance(p.Name, path[i])))
                .Where(c => c.Distance <= 2)
                .OrderBy(c => c.Distance)
                .FirstOrDefault();
            return best.Name is null ? null : prefix + ":" + best.Name;
        }

        return null;
    }

    private static int Distance(string a, string b)
    {
        a = a.ToUpperInvariant();
        b = b.ToUpperInvariant();
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }
}
