using HaTangSo.Telemetry.Server.Ingestion;
using Microsoft.Extensions.Options;

namespace HaTangSo.Telemetry.Server.Provisioning;

/// <summary>Probe enrolment and revocation on the broker (Mosquitto dynamic security).</summary>
internal static class ProvisioningExtensions
{
    public static IHostApplicationBuilder AddProvisioning(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptionsWithValidateOnStart<ProvisioningOptions>().BindConfiguration(ProvisioningOptions.SectionName);
        builder.Services.AddSingleton<IValidateOptions<ProvisioningOptions>, ProvisioningOptionsValidator>();
        builder.Services.AddSingleton<IPostConfigureOptions<MqttOptions>, ServerIdentityPostConfigure>();
        builder.Services.AddSingleton<IValidateOptions<MqttOptions>, ServerIdentityValidator>();
        builder.Services.AddSingleton<ReservedNames>();
        builder.Services.AddSingleton<DynamicSecurity>();
        builder.Services.AddSingleton<ServerBrokerIdentity>();
        builder.Services.AddSingleton<ProbeEnrolment>();
        builder.Services.AddSingleton<ProbeRoleUpgrade>();
        builder.Services.AddHostedService<ProvisioningStartup>();
        return builder;
    }
}
