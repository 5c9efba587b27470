using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using MQTTnet;
using MQTTnet.Adapter;
using MQTTnet.Channel;
using MQTTnet.Diagnostics.Logger;
using MQTTnet.Formatter;
using MQTTnet.Implementations;
using MQTTnet.Packets;

namespace HaTangSo.Telemetry.Server.Ingestion;

/// <summary>
/// The ingestion client's TCP channel. It stops reading the socket while the <see cref="IngestionQueue"/> is full: the
/// kernel's receive window then closes and the broker holds the rest of the session's queue. MQTTnet reads eagerly into
/// an unbounded queue of its own, and Mosquitto 2.0.11 does not keep to Receive Maximum once acknowledgements come (see
/// <see cref="IngestionQueue"/>), so without this the whole backlog of a session lands in the server's memory. The wait
/// is woken by the queue (the batch writer taking a message), never by polling; one read still goes through after
/// <see cref="MaxHold"/>, so that a PINGRESP or DISCONNECT is never starved for longer than that while the batch writer
/// waits for a dependency.
/// <para>
/// It also saves system calls and CPU, which on a 2-core host shared with the broker and InfluxDB are taken from them:
/// MQTTnet reads every packet with two or three small reads (the fixed header's 2 bytes, each further length byte,
/// then the body), so reads are served from a 64 KiB buffer filled by one socket read; and a batch's PUBACKs are
/// written by <see cref="AcknowledgeAsync"/> as one write of 4 bytes each, not by MQTTnet one packet at a time (each
/// of which cost a closure, an encoder pass, an array and two locks). A PUBACK answers a packet identifier of this
/// connection only: <see cref="Generation"/> names it.
/// </para>
/// </summary>
internal sealed class ThrottledChannel(IMqttChannel inner, IngestionQueue queue, TimeProvider timeProvider) : IMqttChannel, IPubAckWriter
{
    /// <summary>The longest a read is held back (well below MQTTnet's 15 s request timeout and the keep-alive).</summary>
    public static readonly TimeSpan MaxHold = TimeSpan.FromSeconds(5);

    // One socket read's worth: about a hundred results. What it holds beyond a full queue is bounded by its size.
    private const int ReadBufferSize = 64 * 1024;

    // A PUBACK with reason Success and no properties: type 4 (0x40), remaining length 2, the packet identifier (MQTT 5,
    // 3.4.2.1: the reason code and property length may be left out then; MQTT 3.1.1, 3.4: always this form).
    private const int PubAckLength = 4;

    private readonly byte[] _read = new byte[ReadBufferSize];
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private int _readStart;
    private int _readEnd;

    public EndPoint RemoteEndPoint => inner.RemoteEndPoint;

    public EndPoint LocalEndPoint => inner.LocalEndPoint;

    public bool IsSecureConnection => inner.IsSecureConnection;

    public X509Certificate2 ClientCertificate => inner.ClientCertificate;

    /// <inheritdoc />
    public long Generation { get; init; }

    /// <summary>Reads of the socket so far (the benchmark's count of system calls; one reader, so no lock).</summary>
    public long SocketReads { get; private set; }

    /// <summary>Writes to the socket so far (under the write lock).</summary>
    public long SocketWrites { get; private set; }

    public Task ConnectAsync(CancellationToken cancellationToken) => inner.ConnectAsync(cancellationToken);

    public Task DisconnectAsync(CancellationToken cancellationToken) => inner.DisconnectAsync(cancellationToken);

    public async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        if (_readStart == _readEnd)
        {
            await queue.WaitForRoomAsync(MaxHold, timeProvider, cancellationToken);
            SocketReads++;
            if (count >= _read.Length)
            {
                return await inner.ReadAsync(buffer, offset, count, cancellationToken);
            }

            var read = await inner.ReadAsync(_read, 0, _read.Length, cancellationToken);
            if (read <= 0)
            {
                return read;
            }

            (_readStart, _readEnd) = (0, read);
        }

        var taken = Math.Min(count, _readEnd - _readStart);
        _read.AsSpan(_readStart, taken).CopyTo(buffer.AsSpan(offset, taken));
        _readStart += taken;
        return taken;
    }

    public async Task WriteAsync(ReadOnlySequence<byte> buffer, bool isEndOfPacket, CancellationToken cancellationToken)
    {
        // Whole packets only (ThrottledAdapterFactory turns MQTTnet's packet fragmentation off), so a batch of PUBACKs
        // written in between can never split one.
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            SocketWrites++;
            await inner.WriteAsync(buffer, isEndOfPacket, cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <inheritdoc />
    public async Task AcknowledgeAsync(IReadOnlyList<ushort> packetIds, CancellationToken cancellationToken)
    {
        var packets = ArrayPool<byte>.Shared.Rent(packetIds.Count * PubAckLength);
        try
        {
            var length = 0;
            foreach (var packetId in packetIds)
            {
                // 0 is no packet identifier (MQTT 5, 2.2.1): a QoS 0 delivery, which has nothing to acknowledge. A PUBACK of 0
                // is a protocol error, for which Mosquitto drops the connection.
                if (packetId == 0)
                {
                    continue;
                }

                packets[length] = 0x40;
                packets[length + 1] = 2;
                BinaryPrimitives.WriteUInt16BigEndian(packets.AsSpan(length + 2, 2), packetId);
                length += PubAckLength;
            }

            if (length == 0)
            {
                return;
            }

            await WriteAsync(new ReadOnlySequence<byte>(packets, 0, length), true, cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(packets);
        }
    }

    public void Dispose()
    {
        inner.Dispose();
        _writeLock.Dispose();
    }
}

/// <summary>
/// Creates the ingestion client's adapters over a <see cref="ThrottledChannel"/> (TCP, with or without TLS). Each PUBLISH
/// the adapter decodes is counted in the queue (<see cref="IngestionQueue.Decoded"/>) until the client's message handler
/// takes it: that handler must call <see cref="IngestionQueue.Taken"/> once for every message, first thing.
/// </summary>
internal sealed class ThrottledAdapterFactory(IngestionQueue queue, TimeProvider timeProvider, MqttConnectionState? connection = null) : IMqttClientAdapterFactory
{
    public IMqttChannelAdapter CreateClientAdapter(MqttClientOptions options, MqttPacketInspector packetInspector, IMqttNetLogger logger)
    {
        var channel = new ThrottledChannel(new MqttTcpChannel(options), queue, timeProvider) { Generation = connection?.Generation ?? 0 };
        connection?.Attach(channel);
        queue.ConnectionStarted();
        var formatter = new MqttPacketFormatterAdapter(options.ProtocolVersion, new MqttBufferWriter(options.WriterBufferSize, options.WriterBufferSizeMax));
        // No fragmentation: every packet MQTTnet sends is one write, so ThrottledChannel.AcknowledgeAsync cannot split one.
        var adapter = new MqttChannelAdapter(channel, formatter, logger) { AllowPacketFragmentation = false, PacketInspector = packetInspector };
        return new CountingAdapter(adapter, queue);
    }

    /// <summary>Counts the PUBLISH packets the client decodes; everything else passes through.</summary>
    private sealed class CountingAdapter(MqttChannelAdapter inner, IngestionQueue queue) : IMqttChannelAdapter
    {
        public long BytesReceived => inner.BytesReceived;

        public long BytesSent => inner.BytesSent;

        public X509Certificate2 ClientCertificate => inner.ClientCertificate;

    /// <inheritdoc />
    public long Generation { get; init; }

        public EndPoint RemoteEndPoint => inner.RemoteEndPoint;

        public EndPoint LocalEndPoint => inner.LocalEndPoint;

        public bool IsSecureConnection => inner.IsSecureConnection;

        public MqttPacketFormatterAdapter PacketFormatterAdapter => inner.PacketFormatterAdapter;

        public Task ConnectAsync(CancellationToken cancellationToken) => inner.ConnectAsync(cancellationToken);

        public Task DisconnectAsync(CancellationToken cancellationToken) => inner.DisconnectAsync(cancellationToken);

        public async Task<MqttPacket> ReceivePacketAsync(CancellationToken cancellationToken)
        {
            var packet = await inner.ReceivePacketAsync(cancellationToken);
            if (packet is MqttPublishPacket)
            {
                queue.Decoded();
            }

            return packet;
        }

        public void ResetStatistics() => inner.ResetStatistics();

        public Task SendPacketAsync(MqttPacket packet, CancellationToken cancellationToken) => inner.SendPacketAsync(packet, cancellationToken);

        public void Dispose() => inner.Dispose();
    }
}
