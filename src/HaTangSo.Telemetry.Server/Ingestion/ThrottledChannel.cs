using System.Buffers;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using MQTTnet;
using MQTTnet.Adapter;
using MQTTnet.Channel;
using MQTTnet.Diagnostics.Logger;
using MQTTnet.Formatter;
using MQTTnet.Implementations;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// The ingestion client's TCP channel, which stops reading the socket while the <see cref="IngestionQueue"/> is full:
/// the kernel's receive window then closes and the broker holds the rest of the session's queue. MQTTnet reads eagerly
/// into an unbounded queue of its own, and Mosquitto 2.0.11 does not keep to Receive Maximum once acknowledgements
/// come (see <see cref="IngestionQueue"/>), so without this the whole backlog of a session lands in the server's memory.
/// One read still goes through every <see cref="MaxHold"/>, so that a PINGRESP or DISCONNECT is never starved for
/// longer than that while the batch writer waits for a dependency.
/// </summary>
internal sealed class ThrottledChannel(IMqttChannel inner, IngestionQueue queue, TimeProvider timeProvider) : IMqttChannel
{
    /// <summary>The longest a read is held back (well below MQTTnet's 15 s request timeout and the keep-alive).</summary>
    public static readonly TimeSpan MaxHold = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(5);

    public EndPoint RemoteEndPoint => inner.RemoteEndPoint;

    public EndPoint LocalEndPoint => inner.LocalEndPoint;

    public bool IsSecureConnection => inner.IsSecureConnection;

    public X509Certificate2 ClientCertificate => inner.ClientCertificate;

    public Task ConnectAsync(CancellationToken cancellationToken) => inner.ConnectAsync(cancellationToken);

    public Task DisconnectAsync(CancellationToken cancellationToken) => inner.DisconnectAsync(cancellationToken);

    public async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();
        while (queue.IsFull && timeProvider.GetElapsedTime(started) < MaxHold)
        {
            await Task.Delay(s_poll, timeProvider, cancellationToken);
        }

        return await inner.ReadAsync(buffer, offset, count, cancellationToken);
    }

    public Task WriteAsync(ReadOnlySequence<byte> buffer, bool isEndOfPacket, CancellationToken cancellationToken) =>
        inner.WriteAsync(buffer, isEndOfPacket, cancellationToken);

    public void Dispose() => inner.Dispose();
}

/// <summary>Creates the ingestion client's adapters over a <see cref="ThrottledChannel"/> (TCP, with or without TLS).</summary>
internal sealed class ThrottledAdapterFactory(IngestionQueue queue, TimeProvider timeProvider) : IMqttClientAdapterFactory
{
    public IMqttChannelAdapter CreateClientAdapter(MqttClientOptions options, MqttPacketInspector packetInspector, IMqttNetLogger logger)
    {
        var channel = new ThrottledChannel(new MqttTcpChannel(options), queue, timeProvider);
        var formatter = new MqttPacketFormatterAdapter(options.ProtocolVersion, new MqttBufferWriter(options.WriterBufferSize, options.WriterBufferSizeMax));
        return new MqttChannelAdapter(channel, formatter, logger) { AllowPacketFragmentation = options.AllowPacketFragmentation, PacketInspector = packetInspector };
    }
}
