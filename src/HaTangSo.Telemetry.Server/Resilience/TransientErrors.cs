using System.Net.Sockets;
using HaTangSo.Telemetry.InfluxDb;
using MQTTnet.Exceptions;
using Npgsql;

namespace HaTangSo.Telemetry.Server.Resilience;

/// <summary>
/// The server's one answer to "can trying again later succeed?", used by every pipeline. Transient: the dependency
/// could not be reached or said "not now" (<see cref="NpgsqlException.IsTransient"/>, <see cref="InfluxDbException.IsRetryable"/>,
/// sockets, timeouts, HTTP 408/429/5xx, a broken MQTT connection, a refused broker login — which an operator fixes on the
/// broker while we keep trying). Anything else is permanent and surfaces at once (a failed job, a stopped start-up, a
/// quarantined message, a log line) instead of being retried forever.
/// </summary>
public static class TransientErrors
{
    /// <summary>True when <paramref name="exception"/> may go away by itself; a cancellation of <paramref name="cancellationToken"/> never does.</summary>
    public static bool IsTransient(Exception exception, CancellationToken cancellationToken = default) => exception switch
    {
        OperationCanceledException => !cancellationToken.IsCancellationRequested, // a timeout, not a shutdown
        InfluxDbException influx => influx.IsRetryable,
        NpgsqlException npgsql => npgsql.IsTransient,
        HttpRequestException http => http.StatusCode is null or System.Net.HttpStatusCode.RequestTimeout or System.Net.HttpStatusCode.TooManyRequests
            || (int)http.StatusCode >= 500,
        BrokerUnavailableException => true,
        MqttCommunicationException or SocketException or TimeoutException => true,
        MailKit.Net.Smtp.SmtpCommandException smtp => (int)smtp.StatusCode is >= 400 and < 500, // RFC 5321 4.2.1: 4yz is transient, 5yz permanent
        MailKit.Net.Smtp.SmtpProtocolException or MailKit.ServiceNotConnectedException => true,
        IOException io => io.InnerException is SocketException || io is EndOfStreamException,
        _ => false,
    };
}

/// <summary>The broker could not be reached, or refused the login (a retryable condition: see <see cref="TransientErrors"/>).</summary>
public sealed class BrokerUnavailableException(string message, Exception? innerException = null) : Exception(message, innerException);
