namespace HaTangSo.Telemetry.Testing;

/// <summary>The signals tests send to the processes they start (<see cref="TestProcess.SignalAsync"/>).</summary>
public enum UnixSignal
{
    /// <summary>SIGTERM: a clean stop.</summary>
    Terminate,

    /// <summary>SIGSTOP: the process is paused; it cannot catch or ignore it.</summary>
    Stop,

    /// <summary>SIGCONT: a paused process resumes.</summary>
    Continue,
}
