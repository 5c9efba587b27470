using System.Collections;
using System.Reflection;
using HaTangSo.Telemetry.Contracts;

namespace HaTangSo.Telemetry.Server.Api;

/// <summary>A request body that checks itself, writing each problem under its JSON path below <c>prefix</c>.</summary>
internal interface IValidatableRequest
{
    /// <summary>Adds every problem of this body to <paramref name="errors"/>, paths below <paramref name="prefix"/>.</summary>
    void Validate(RequestErrors errors, string prefix);
}

/// <summary>A route or query parameter that is a name of <paramref name="kind"/> (checked by <see cref="NameRules"/>).</summary>
[AttributeUsage(AttributeTargets.Parameter)]
internal sealed class NameRuleAttribute(NameKind kind) : Attribute
{
    /// <summary>The rule the value must follow.</summary>
    public NameKind Kind { get; } = kind;
}

/// <summary>
/// One validation step for every API route, added once to the API's route group: each body that is an
/// <see cref="IValidatableRequest"/> (or a list of them: <c>[3].source</c>) and each parameter marked
/// <see cref="NameRuleAttribute"/> is checked before the handler runs, and a refusal answers 400 with a validation
/// problem naming every field and its rule. Handlers can then assume their input is clean; a route added later is
/// covered by being mapped in the group.
/// </summary>
internal static class RequestValidation
{
    /// <summary>Adds the validation step to every endpoint of <paramref name="builder"/>.</summary>
    public static TBuilder ValidateRequests<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.AddEndpointFilterFactory(Create);

    private static EndpointFilterDelegate Create(EndpointFilterFactoryContext context, EndpointFilterDelegate next)
    {
        var checks = context.MethodInfo.GetParameters().Select(Check.For).OfType<Check>().ToArray();
        if (checks.Length == 0)
        {
            return next;
        }

        return invocation =>
        {
            var errors = new RequestErrors();
            foreach (var check in checks)
            {
                check.Run(invocation.Arguments[check.Index], errors);
            }

            return errors.IsEmpty
                ? next(invocation)
                : ValueTask.FromResult<object?>(TypedResults.ValidationProblem(errors.ToDictionary(), title: "The request breaks the API's rules."));
        };
    }

    /// <summary>How one parameter of a handler is checked, worked out once when the endpoint is built.</summary>
    private sealed record Check(int Index, string Name, NameKind? Kind, bool Optional, bool IsList)
    {
        public static Check? For(ParameterInfo parameter)
        {
            if (parameter.GetCustomAttribute<NameRuleAttribute>() is { } rule)
            {
                return new Check(parameter.Position, parameter.Name!, rule.Kind, IsOptional(parameter), false);
            }

            if (typeof(IValidatableRequest).IsAssignableFrom(parameter.ParameterType))
            {
                return new Check(parameter.Position, parameter.Name!, null, false, false);
            }

            return IsListOfRequests(parameter.ParameterType) ? new Check(parameter.Position, parameter.Name!, null, false, true) : null;
        }

        public void Run(object? value, RequestErrors errors)
        {
            if (Kind is { } kind)
            {
                // A query parameter left out is null: the handler's default applies.
                errors.Name(Name, kind, value as string, required: !Optional);
            }
            else if (!IsList)
            {
                (value as IValidatableRequest)?.Validate(errors, string.Empty);
            }
            else if (value is IEnumerable list)
            {
                var index = 0;
                foreach (var item in list)
                {
                    if (item is IValidatableRequest element)
                    {
                        element.Validate(errors, $"[{index}]");
                    }
                    else
                    {
                        errors.Add($"[{index}]", "is missing (null)");
                    }

                    index++;
                }
            }
        }
    }

    private static bool IsOptional(ParameterInfo parameter) =>
        parameter.HasDefaultValue || new NullabilityInfoContext().Create(parameter).ReadState == NullabilityState.Nullable;

    private static bool IsListOfRequests(Type type) =>
        type != typeof(string) && type.GetInterfaces().Append(type)
            .Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>)
                      && typeof(IValidatableRequest).IsAssignableFrom(i.GetGenericArguments()[0]));
}
